"""Analytic cost of each layer type, from sizes alone."""

from __future__ import annotations

from edgekit.cost.record import LayerCost


def conv_bn(
    name: str,
    kind: str,
    in_ch: int,
    out_ch: int,
    kernel_elems: int,
    positions: int,
    groups: int = 1,
) -> LayerCost:
    """A bias-free convolution followed by BatchNorm (folded: a per-channel bias, no MACs).

    ``kernel_elems`` is the kernel's size (k, or kh * kw), ``positions`` the number of output
    positions (T', or T' * F'); each output element costs in_ch / groups * kernel_elems MACs.
    """
    weights = out_ch * (in_ch // groups) * kernel_elems
    return LayerCost(
        name=name,
        kind=kind,
        params=weights + 2 * out_ch,
        macs=positions * weights,
        int8_weights=weights,
        int8_scales=out_ch,
        int32_values=out_ch,
    )


def linear(
    name: str, in_features: int, out_features: int, *, bias: bool = True, calls: int = 1
) -> LayerCost:
    """A linear map applied ``calls`` times per inference (a recurrent matrix: once per frame)."""
    weights = in_features * out_features
    biases = out_features if bias else 0
    return LayerCost(
        name=name,
        kind="linear",
        params=weights + biases,
        macs=calls * weights,
        int8_weights=weights,
        int8_scales=out_features,
        int32_values=biases,
    )


def matrix(
    name: str, in_features: int, out_features: int, rank: int | None, calls: int
) -> tuple[LayerCost, ...]:
    """A bias-free matrix, factored in_features -> rank -> out_features when low rank."""
    if rank is None:
        return (linear(name, in_features, out_features, bias=False, calls=calls),)
    return (
        linear(f"{name}.0", in_features, rank, bias=False, calls=calls),
        linear(f"{name}.1", rank, out_features, bias=False, calls=calls),
    )


def vectors(name: str, count: int) -> LayerCost:
    """Biases and scalars that belong to no matrix (e.g. FastGRNN's gate biases, zeta, nu)."""
    return LayerCost(name=name, kind="vector", params=count, macs=0, int32_values=count)
