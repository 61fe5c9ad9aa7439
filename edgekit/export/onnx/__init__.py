"""ONNX members: float export and onnxruntime static int8 quantization."""

from edgekit.export.onnx.export import OPSET, export_onnx, quantize_onnx

__all__ = ["OPSET", "export_onnx", "quantize_onnx"]
