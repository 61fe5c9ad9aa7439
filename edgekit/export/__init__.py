"""Export a B-DISTIL run as a bundle: one ONNX or TFLite file per member, float or int8,
plus a manifest, parity-checked through the runtime (docs/bundle.md)."""
