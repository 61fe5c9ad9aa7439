"""The torch-free runtime: read a bundle, run its members progressively (numpy + one backend).

Nothing here may import torch or edgekit's training code; ``tests/runtime`` checks it in a fresh
interpreter and in a separate venv with tflite-runtime and numpy<2 alone.
"""

from edgekit.runtime.bundle import Bundle, load_bundle
from edgekit.runtime.detection import Detection, StreamConfig
from edgekit.runtime.ensemble import Prediction, ProgressiveEnsemble
from edgekit.runtime.inputs import LoadedInput, audio_features, load_input, normalize, read_input
from edgekit.runtime.manifest import FORMAT_VERSION, Manifest, MemberEntry, parse_manifest
from edgekit.runtime.members import MemberRunner, prefix_accuracies
from edgekit.runtime.policy import Policy
from edgekit.runtime.streaming import StreamingRecognizer

__all__ = [
    "FORMAT_VERSION",
    "Bundle",
    "Detection",
    "LoadedInput",
    "Manifest",
    "MemberEntry",
    "MemberRunner",
    "Policy",
    "Prediction",
    "ProgressiveEnsemble",
    "StreamConfig",
    "StreamingRecognizer",
    "audio_features",
    "load_bundle",
    "load_input",
    "normalize",
    "parse_manifest",
    "prefix_accuracies",
    "read_input",
]
