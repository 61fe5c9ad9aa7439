"""The torch-free runtime: read a bundle, run its members progressively (numpy + one backend).

Nothing here may import torch or edgekit's training code; ``tests/runtime`` checks it in a fresh
interpreter and in a separate venv with tflite-runtime and numpy<2 alone.
"""

from edgekit.runtime.bundle import Bundle, load_bundle
from edgekit.runtime.manifest import FORMAT_VERSION, Manifest, MemberEntry, parse_manifest
from edgekit.runtime.members import MemberRunner, prefix_accuracies

__all__ = [
    "FORMAT_VERSION",
    "Bundle",
    "Manifest",
    "MemberEntry",
    "MemberRunner",
    "load_bundle",
    "parse_manifest",
    "prefix_accuracies",
]
