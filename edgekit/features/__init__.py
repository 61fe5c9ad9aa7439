"""The audio front end: log-mel filterbank energies, shared by training and the runtime.

``numpy_frontend`` is the reference (and what the torch-free runtime runs); ``torch_frontend``
computes the same function batched on CPU or GPU for training. Importing this package never
imports torch.
"""

from edgekit.features.audio import fit_clip, read_audio, resample
from edgekit.features.numpy_frontend import logmel
from edgekit.features.params import FrontEndParams

__all__ = ["FrontEndParams", "fit_clip", "logmel", "read_audio", "resample"]
