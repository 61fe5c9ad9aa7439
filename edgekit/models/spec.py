"""Model specs: one frozen, validated record naming an architecture and its sizes.

Recipes list candidates as short strings (``cnn1d-16``, ``dscnn-64x4``, ``fastgrnn-32-r8``);
bundles store the spec as a dict. Neither needs torch, so cost accounting and the runtime can
read specs without it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from edgekit.errors import ConfigError

RECURRENT_ARCHS = ("lstm", "gru", "fastgrnn")
CONV_ARCHS = ("cnn1d", "dscnn")
ARCHS = RECURRENT_ARCHS + CONV_ARCHS

# Defaults that a 0 field resolves to, per architecture (absent: the knob does not apply).
_DEFAULT_LAYERS = {"lstm": 1, "gru": 1, "fastgrnn": 1, "cnn1d": 3, "dscnn": 4}
_LAYER_RANGE = {"lstm": (1, 2), "gru": (1, 2), "fastgrnn": (1, 2), "cnn1d": (2, 8), "dscnn": (1, 8)}
_CNN1D_DEFAULTS = {"kernel": 5, "stride": 2, "pool": 2}
MAX_WIDTH = 4096


class ModelSpecError(ConfigError, ValueError):
    """A model spec, input shape or connection shape is invalid.

    A ``ValueError`` too, so callers that do not know edgekit's errors can still catch it.
    """


def _bad(field: str, expected: str, got: object) -> ModelSpecError:
    return ModelSpecError(f"ModelSpec.{field}: expected {expected}, got {got!r}")


def _check_int(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"an integer in [{low}, {high}]", value)


@dataclass(frozen=True)
class ModelSpec:
    """Architecture and sizes of one model; the input shape and class count come at build time.

    ``width`` is the hidden size of a recurrent model or the channel count of a CNN. ``layers``
    is the number of recurrent layers (1-2), 1-D conv blocks (2-8: a connection enters before
    the second) or DS-CNN depthwise-separable blocks (1-8). ``kernel``, ``stride`` (first block
    only) and ``pool`` (max-pool size after each block, 1 for none) apply to ``cnn1d``;
    ``rank_w`` / ``rank_u`` (low-rank input / hidden matrices, None for full rank) to
    ``fastgrnn``. A 0 means the architecture's default and is replaced by it on construction,
    so equal models have equal specs.
    """

    arch: str
    width: int
    layers: int = 0
    kernel: int = 0
    stride: int = 0
    pool: int = 0
    rank_w: int | None = None
    rank_u: int | None = None

    def __post_init__(self) -> None:
        if self.arch not in ARCHS:
            raise _bad("arch", f"one of {', '.join(ARCHS)}", self.arch)
        _check_int("width", self.width, 1, MAX_WIDTH)
        low, high = _LAYER_RANGE[self.arch]
        if self.layers == 0:
            object.__setattr__(self, "layers", _DEFAULT_LAYERS[self.arch])
        _check_int("layers", self.layers, low, high)
        for name, default in _CNN1D_DEFAULTS.items():
            value = getattr(self, name)
            if self.arch != "cnn1d":
                if value != 0:
                    raise _bad(name, f"0 (it applies to cnn1d only, not {self.arch})", value)
                continue
            if value == 0:
                object.__setattr__(self, name, default)
            _check_int(name, getattr(self, name), 1, 64)
        for name in ("rank_w", "rank_u"):
            value = getattr(self, name)
            if value is None:
                continue
            if self.arch != "fastgrnn":
                raise _bad(name, f"None (it applies to fastgrnn only, not {self.arch})", value)
            _check_int(name, value, 1, MAX_WIDTH)
        if self.rank_u is not None and self.rank_u > self.width:
            raise _bad(
                "rank_u", f"at most width={self.width} (a larger rank costs more)", self.rank_u
            )

    @property
    def recurrent(self) -> bool:
        return self.arch in RECURRENT_ARCHS

    def __str__(self) -> str:
        """Short name; DS-CNN always names its block count, as MLPerf's "DS-CNN 64x4" does."""
        text = f"{self.arch}-{self.width}"
        if self.arch == "dscnn" or self.layers != _DEFAULT_LAYERS[self.arch]:
            text += f"x{self.layers}"
        if self.arch == "cnn1d":
            for name, tag in (("kernel", "k"), ("stride", "s"), ("pool", "p")):
                if getattr(self, name) != _CNN1D_DEFAULTS[name]:
                    text += f"-{tag}{getattr(self, name)}"
        if self.rank_w is not None and self.rank_w == self.rank_u:
            text += f"-r{self.rank_w}"
        else:
            if self.rank_w is not None:
                text += f"-rw{self.rank_w}"
            if self.rank_u is not None:
                text += f"-ru{self.rank_u}"
        return text

    @classmethod
    def parse(cls, text: str) -> ModelSpec:
        """Read the short form: ``ARCH-WIDTH[xLAYERS][-kK][-sS][-pP][-rR | -rwR][-ruR]``."""
        return parse_spec(text)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelSpecError(
                f"model spec: unknown fields {unknown}; known fields are {sorted(known)}"
            )
        return cls(**data)


_SHORT = re.compile(
    r"(?P<arch>[a-z0-9]+)-(?P<width>\d+)(?:x(?P<layers>\d+))?(?P<opts>(?:-[a-z]+\d+)*)"
)
_OPTION = re.compile(r"-([a-z]+)(\d+)")
_TAGS = {"k": "kernel", "s": "stride", "p": "pool", "rw": "rank_w", "ru": "rank_u"}


def parse_spec(text: str) -> ModelSpec:
    """Parse a short spec string such as ``cnn1d-16``, ``dscnn-64x4`` or ``fastgrnn-32-r8``."""
    match = _SHORT.fullmatch(text.strip().lower())
    if match is None:
        raise ModelSpecError(
            f"model spec {text!r}: expected ARCH-WIDTH[xLAYERS][-kK][-sS][-pP][-rR][-rwR][-ruR] "
            f"with ARCH one of {', '.join(ARCHS)}, e.g. cnn1d-16, dscnn-64x4, fastgrnn-32-r8"
        )
    values: dict[str, Any] = {"arch": match["arch"], "width": int(match["width"])}
    if match["layers"] is not None:
        values["layers"] = int(match["layers"])
    for tag, number in _OPTION.findall(match["opts"]):
        names = ("rank_w", "rank_u") if tag == "r" else (_TAGS.get(tag, ""),)
        if not names[0]:
            raise ModelSpecError(
                f"model spec {text!r}: unknown option -{tag}{number}; options are "
                "-k (kernel), -s (stride), -p (pool), -r (both ranks), -rw, -ru"
            )
        for name in names:
            if name in values:
                raise ModelSpecError(f"model spec {text!r}: {name} is given twice")
            values[name] = int(number)
    for name, value in values.items():
        if value == 0:  # 0 means "default" in the dataclass; a string names what it wants
            raise _bad(name, "an integer >= 1 in the short form", 0)
    return ModelSpec(**values)


def as_spec(spec: ModelSpec | str) -> ModelSpec:
    """Accept a spec or its short string form."""
    if isinstance(spec, ModelSpec):
        return spec
    if isinstance(spec, str):
        return parse_spec(spec)
    raise ModelSpecError(f"model spec: expected a ModelSpec or a string, got {spec!r}")
