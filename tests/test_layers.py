"""Every layer against a naive loop written here, with the same parameters."""

from __future__ import annotations

import pytest
import torch

from lenet import paper
from lenet.layers import (
    Convolution,
    EuclideanRBF,
    FullConnection,
    MaskedConvolution,
    ScaledTanh,
    Subsampling,
)


def naive_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, inputs_of: list[list[int]]) -> torch.Tensor:
    """One output unit at a time, summing over the listed input maps only."""
    n, _, h, w = x.shape
    out_maps, _, k, _ = weight.shape
    out = torch.zeros(n, out_maps, h - k + 1, w - k + 1, dtype=torch.float64)
    for b in range(n):
        for m in range(out_maps):
            for i in range(h - k + 1):
                for j in range(w - k + 1):
                    total = float(bias[m])
                    for c in inputs_of[m]:
                        total += float((x[b, c, i:i + k, j:j + k] * weight[m, c]).sum())
                    out[b, m, i, j] = total
    return out


def naive_subsampling(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    n, maps, h, w = x.shape
    out = torch.zeros(n, maps, h // 2, w // 2, dtype=torch.float64)
    for b in range(n):
        for m in range(maps):
            for i in range(h // 2):
                for j in range(w // 2):
                    cell = x[b, m, 2 * i, 2 * j] + x[b, m, 2 * i + 1, 2 * j] + x[b, m, 2 * i, 2 * j + 1] \
                        + x[b, m, 2 * i + 1, 2 * j + 1]
                    out[b, m, i, j] = float(cell) * float(weight[m]) + float(bias[m])
    return out


def test_scaled_tanh_constants() -> None:
    f = ScaledTanh()
    a = torch.tensor([-1.0, 0.0, 1.0])
    assert torch.allclose(f(a), torch.tensor([-1.0, 0.0, 1.0]), atol=2e-4)
    assert torch.allclose(f(a), paper.SQUASH_A * torch.tanh(paper.SQUASH_S * a))
    x = torch.linspace(-3, 3, 61, dtype=torch.float64, requires_grad=True)
    f(x).sum().backward()
    assert torch.allclose(x.grad, f.derivative(x.detach()))


def test_c1_equals_naive_loop() -> None:
    layer = Convolution(1, 6)
    layer.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(2, 1, 32, 32)
    expected = naive_conv(x, layer.weight.detach(), layer.bias.detach(), [[0]] * 6)
    assert torch.allclose(layer(x).double(), expected, atol=1e-5)


def test_c3_equals_naive_per_map_loop() -> None:
    layer = MaskedConvolution()
    # Fill even the unconnected weights: the layer must ignore them.
    layer.weight.data.uniform_(-0.3, 0.3)
    layer.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(2, 6, 14, 14)
    inputs_of = [[r for r in range(6) if paper.TABLE_I[r][m] == "X"] for m in range(16)]
    expected = naive_conv(x, layer.weight.detach(), layer.bias.detach(), inputs_of)
    assert torch.allclose(layer(x).double(), expected, atol=1e-5)


def test_c3_unconnected_weights_get_no_gradient_and_are_not_counted() -> None:
    layer = MaskedConvolution()
    layer(torch.randn(3, 6, 14, 14)).pow(2).sum().backward()
    unconnected = ~layer.connections.t()
    assert layer.weight.grad[unconnected].abs().max() == 0
    assert layer.weight.grad[~unconnected].abs().max() > 0
    assert layer.weight.detach()[unconnected].abs().max() == 0  # zero from initialisation
    assert layer.trainable_count() == 1516


def test_c3_table_i_structure() -> None:
    layer = MaskedConvolution()
    assert layer.connections.shape == (6, 16) and layer.connections.dtype == torch.bool
    per_map = layer.connections.sum(0).tolist()
    assert per_map == [3] * 6 + [4] * 9 + [6]
    for m in range(6):  # contiguous triples, wrapping around
        assert sorted(layer.connections[:, m].nonzero().flatten().tolist()) == sorted({m, (m + 1) % 6, (m + 2) % 6})
    for m in range(6, 12):  # contiguous quadruples
        assert sorted(layer.connections[:, m].nonzero().flatten().tolist()) == sorted(
            {(m - 6 + d) % 6 for d in range(4)})


@pytest.mark.parametrize("maps, size", [(6, 28), (16, 10)])
def test_subsampling_equals_naive_loop(maps: int, size: int) -> None:
    layer = Subsampling(maps)
    layer.bias.data.uniform_(-0.5, 0.5)
    x = torch.randn(2, maps, size, size)
    expected = naive_subsampling(x, layer.weight.detach(), layer.bias.detach())
    assert torch.allclose(layer(x).double(), expected, atol=1e-5)
    assert layer.weight.shape == (maps,) and layer.bias.shape == (maps,)


def test_full_connection_and_rbf_equal_naive_loops() -> None:
    f6 = FullConnection(120, 84)
    x = torch.randn(3, 120)
    out = f6(x).detach()
    for b in range(3):
        for i in range(84):
            expected = sum(float(f6.weight.detach()[i, j]) * float(x[b, j]) for j in range(120)) \
                + float(f6.bias.detach()[i])
            assert abs(float(out[b, i]) - expected) < 1e-4
    rbf = EuclideanRBF()
    h = torch.randn(3, 84)
    y = rbf(h)
    assert y.shape == (3, 10)
    for b in range(3):
        for i in range(10):
            expected = sum((float(h[b, j]) - float(rbf.prototypes[i, j])) ** 2 for j in range(84))
            assert abs(float(y[b, i]) - expected) < 1e-3
    assert not list(rbf.parameters()), "the prototypes are fixed, not trainable"


# Subsampling gets 500 maps (fan-in still 4) so that the spread test has enough weights.
@pytest.mark.parametrize("make, fan_in", [(lambda: Convolution(1, 6), 25), (lambda: Convolution(16, 120), 400),
                                          (lambda: FullConnection(120, 84), 120), (lambda: Subsampling(500), 4)])
@pytest.mark.parametrize("rule, divisor", [("fan_in", lambda f: f), ("sqrt_fan_in", lambda f: f**0.5)])
def test_initialisation_within_paper_bounds(make, fan_in: int, rule: str, divisor) -> None:
    bound = paper.INIT_RANGE / divisor(fan_in)
    layer = make()
    layer.reset_parameters(rule)
    w = layer.weight.detach()
    assert w.abs().max() <= bound
    assert w.abs().max() > 0.8 * bound  # uniform over the whole range, not a narrower one


def test_unknown_initialisation_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="fan_in"):
        Convolution(1, 6).reset_parameters("he")


def test_c3_initialisation_uses_connected_fan_in() -> None:
    layer = MaskedConvolution()
    for m in range(16):
        fan_in = int(layer.connections[:, m].sum()) * 25
        assert layer.weight.detach()[m].abs().max() <= paper.INIT_RANGE / fan_in
