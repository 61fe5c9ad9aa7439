"""The one description of the C tables: operator kinds and the ``ek_tensor`` / ``ek_op`` /
``ek_member`` structs.

Both sides are generated from the tables below, so they cannot drift apart:

- :func:`render_header` writes ``firmware_stubs/include/edgekit_tables.h`` (checked in, with a
  "generated, do not edit" banner; a test fails when it is not what this module renders);
- :func:`initializer` packs one struct for the generated model as a C99 *designated*
  initializer (``{.kind = 1, .stride_h = 2, ...}``): fields are named, never positional, every
  field not given takes the default written here, an unknown field is a Python error and a
  value outside its C type's range is refused before any C is written.

Regenerate the header with ``python -m edgekit.export.c.layout firmware_stubs/include/edgekit_tables.h``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

MAX_DIMS = 5


@dataclass(frozen=True)
class Field:
    name: str
    ctype: str  # C type of one element
    count: int = 0  # array length (0: a scalar)
    default: str = "0"  # C text of the default (arrays: of every element)
    doc: str = ""


@dataclass(frozen=True)
class Kind:
    name: str  # the TFLite builtin operator
    c_name: str  # EK_OP_<c_name>
    value: int
    doc: str


OP_KINDS = (
    Kind("CONV_2D", "CONV2D", 1, "NHWC input, filter [O][KH][KW][I], bias [O]"),
    Kind("DEPTHWISE_CONV_2D", "DWCONV2D", 2, "filter [1][KH][KW][I * depth_mult]"),
    Kind("FULLY_CONNECTED", "FC", 3, "rows of K -> N, filter [N][K]"),
    Kind("MAX_POOL_2D", "MAXPOOL", 4, "filter_h x filter_w window"),
    Kind("MEAN", "MEAN", 5, "over axes[0..naxes)"),
    Kind(
        "CONCATENATION", "CONCAT", 6, "along axes[0]; int8 inputs share the output's quantisation"
    ),
    Kind("PAD", "PAD", 7, "in[1]: int32 [ndim][2] paddings"),
    Kind("TRANSPOSE", "TRANSPOSE", 8, "perm in axes[0..ndim)"),
    Kind("RESHAPE", "RESHAPE", 9, "a copy: same bytes, new shape"),
    Kind("QUANTIZE", "QUANTIZE", 10, "int8 -> int8 (another scale) or float -> int8"),
    Kind("SLICE", "SLICE", 11, "begin in axes[0..ndim), size = the output's dims"),
    Kind("ADD", "ADD", 12, "elementwise, broadcasting dims of 1"),
    Kind("SUB", "SUB", 13, "float only"),
    Kind("MUL", "MUL", 14, ""),
    Kind("LOGISTIC", "LOGISTIC", 15, "float only"),
    Kind("TANH", "TANH", 16, "float only"),
    Kind("DEQUANTIZE", "DEQUANTIZE", 17, "int8 -> float"),
)
KINDS = {k.name: k.value for k in OP_KINDS}

TENSOR_FIELDS = (
    Field("dtype", "uint8_t", doc="ek_dtype"),
    Field("ndim", "uint8_t"),
    Field("dims", "int32_t", MAX_DIMS),
    Field(
        "offset",
        "int32_t",
        default="-1",
        doc="byte offset in the member's working memory (-1: constant)",
    ),
    Field("data", "const void *", default="NULL", doc="constants only"),
    Field("scale", "float", default="0.0f", doc="int8: real = scale * (q - zero_point)"),
    Field("zero_point", "int32_t"),
)

OP_FIELDS = (
    Field("kind", "uint8_t", doc="ek_op_kind"),
    Field("in", "int16_t", 3, "-1", "tensor indices, -1: none (concatenation: up to 3 inputs)"),
    Field("num_inputs", "int16_t", doc="inputs used, in in[0..num_inputs)"),
    Field("out", "int16_t"),
    Field("stride_h", "int16_t", default="1"),
    Field("stride_w", "int16_t", default="1"),
    Field("pad_h", "int16_t", doc="top / left padding"),
    Field("pad_w", "int16_t"),
    Field("dil_h", "int16_t", default="1"),
    Field("dil_w", "int16_t", default="1"),
    Field("filter_h", "int16_t", default="1", doc="max pool window"),
    Field("filter_w", "int16_t", default="1"),
    Field("depth_mult", "int16_t", default="1"),
    Field("naxes", "int16_t"),
    Field("axes", "int16_t", MAX_DIMS),
    Field("act_min", "int32_t", default="-128", doc="int8 output clamp (fused activation)"),
    Field("act_max", "int32_t", default="127"),
    Field("fact_min", "float", default="-3.402823466e38f", doc="float output clamp"),
    Field("fact_max", "float", default="3.402823466e38f"),
    Field(
        "mult",
        "const int32_t *",
        default="NULL",
        doc="int8: fixed-point multiplier per output channel (or one)",
    ),
    Field("shift", "const int32_t *", default="NULL"),
    Field("num_mult", "int32_t"),
)

MEMBER_FIELDS = (
    Field("spec", "const char *", default="NULL"),
    Field("num_tensors", "int32_t"),
    Field("tensors", "const ek_tensor *", default="NULL"),
    Field("num_ops", "int32_t"),
    Field("ops", "const ek_op *", default="NULL"),
    Field("features", "int16_t", default="-1", doc="tensor indices (-1: none)"),
    Field("connection", "int16_t", default="-1"),
    Field("logits", "int16_t", default="-1"),
    Field("activation", "int16_t", default="-1"),
    Field("connected_from", "int32_t", doc="1-based source member of the connection, 0: none"),
    Field(
        "features_inv_scale",
        "float",
        default="0.0f",
        doc="int8 features: 1/scale as float32 (as the Python runtime)",
    ),
    Field("connection_inv_scale", "float", default="0.0f"),
    Field(
        "connection_mult",
        "int32_t",
        doc="int8 connection: a rescale folded into the boundary table (0: none)",
    ),
    Field("connection_shift", "int32_t"),
    Field(
        "connection_zero_point",
        "int32_t",
        doc="the zero point the boundary converts to before that rescale",
    ),
    Field("work_bytes", "uint32_t", doc="working memory of this member"),
    Field(
        "slot_offset",
        "int32_t",
        default="-1",
        doc="where its activation waits for a later member (-1: not kept)",
    ),
    Field("macs", "int64_t"),
)

STRUCTS = (("ek_tensor", TENSOR_FIELDS), ("ek_op", OP_FIELDS), ("ek_member", MEMBER_FIELDS))
_RANGES = {
    "uint8_t": (0, (1 << 8) - 1),
    "int16_t": (-(1 << 15), (1 << 15) - 1),
    "int32_t": (-(1 << 31), (1 << 31) - 1),
    "uint32_t": (0, (1 << 32) - 1),
    "int64_t": (-(1 << 63), (1 << 63) - 1),
}
_ZERO = ("0", "NULL", "0.0f")
BANNER = (
    "/* Generated by edgekit/export/c/layout.py: the layout of the model tables, shared with the\n"
    " * Python code generator. Do not edit: change layout.py and regenerate\n"
    " * (python -m edgekit.export.c.layout firmware_stubs/include/edgekit_tables.h). */\n"
)


def _declaration(f: Field) -> str:
    space = "" if f.ctype.endswith("*") else " "
    decl = f"    {f.ctype}{space}{f.name}{f'[{f.count}]' if f.count else ''};"
    return f"{decl} /* {f.doc} */" if f.doc else decl


def render_header() -> str:
    """``edgekit_tables.h``: the operator kinds and the table structs."""
    kinds = "\n".join(
        f"    EK_OP_{k.c_name} = {k.value}{',' if i < len(OP_KINDS) - 1 else ''}"
        + (f" /* {k.doc} */" if k.doc else "")
        for i, k in enumerate(OP_KINDS)
    )
    parts = [
        BANNER,
        "#ifndef EDGEKIT_TABLES_H\n#define EDGEKIT_TABLES_H\n\n#include <stdint.h>\n",
        f"#define EK_MAX_DIMS {MAX_DIMS}\n",
        f"typedef enum {{\n{kinds}\n}} ek_op_kind;\n",
    ]
    for name, fields in STRUCTS:
        body = "\n".join(_declaration(f) for f in fields)
        parts.append(f"typedef struct {{\n{body}\n}} {name};\n")
    parts.append("#endif /* EDGEKIT_TABLES_H */\n")
    return "\n".join(parts)


def _check(struct: str, f: Field, value: object) -> None:
    limits = _RANGES.get(f.ctype)
    if limits is not None and isinstance(value, int) and not limits[0] <= value <= limits[1]:
        raise ValueError(f"{struct}.{f.name} = {value} does not fit {f.ctype}")


def initializer(struct: str, values: dict[str, object]) -> str:
    """A designated initializer of ``struct`` from ``values`` (field -> int, float text, C
    expression, or a list for arrays, zero-filled past its values); fields not given take
    their defaults."""
    fields = dict(STRUCTS)[struct]
    known = {f.name: f for f in fields}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"{struct} has no field(s) {', '.join(sorted(unknown))}")
    parts = []
    for f in fields:
        if f.name not in values:
            if f.default not in _ZERO:  # C zero-fills fields left out; say the others
                text = "{" + ", ".join([f.default] * f.count) + "}" if f.count else f.default
                parts.append(f".{f.name} = {text}")
            continue
        value = values[f.name]
        if f.count:
            items = list(value)  # type: ignore[call-overload]
            if not items and f.default in _ZERO:
                continue  # ISO C has no empty braces; C zero-fills it
            if len(items) > f.count:
                raise ValueError(f"{struct}.{f.name}: {len(items)} values for {f.count}")
            for item in items:
                _check(struct, f, item)
            text = "{" + ", ".join(map(str, items)) + "}"
        else:
            _check(struct, f, value)
            text = str(value)
        parts.append(f".{f.name} = {text}")
    return "{" + ", ".join(parts) + "}"


def defaults(struct: str) -> dict[str, str]:
    """Field -> C default text (what a missing field is initialised to)."""
    return {f.name: f.default for f in dict(STRUCTS)[struct]}


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(render_header())
