"""TFLite members through litert-torch: float and PT2E int8."""

from edgekit.export.tflite.export import export_tflite

__all__ = ["export_tflite"]
