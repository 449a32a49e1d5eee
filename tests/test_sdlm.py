"""SDLM (Appendix C): h_kk against a per-connection computation on a tiny network."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from lenet import LeNet5
from lenet.layers import Convolution, FullConnection, MaskedConvolution, ScaledTanh, Subsampling
from lenet.sdlm import SDLM, gauss_newton_diagonal


class Tiny(nn.Module):
    """conv 1->3 (3x3) -> subsampling -> masked conv 3->2 (2x2) -> full 8->4, on 8x8 inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = Convolution(1, 3, kernel=3)
        self.s2 = Subsampling(3)
        self.c3 = MaskedConvolution(table=("X.", "XX", ".X"), kernel=2)
        self.f6 = FullConnection(8, 4)
        self.squash = ScaledTanh()
        for p in self.parameters():
            nn.init.uniform_(p, -0.8, 0.8)

    def stages(self):
        return [("c1", self.c1), ("s2", self.s2), ("c3", self.c3), ("f6", self.f6)]


def connections(name: str, layer: nn.Module, in_shape: tuple, out_shape: tuple):
    """Every connection (output unit, input unit or None for the bias, key of the shared weight)."""
    if isinstance(layer, Convolution):
        k = layer.kernel
        mask = layer.connections.t() if isinstance(layer, MaskedConvolution) else torch.ones(out_shape[0], in_shape[0])
        for m, i, j in itertools.product(*map(range, out_shape)):
            yield (m, i, j), None, (f"{name}.bias", (m,))
            for c, di, dj in itertools.product(range(in_shape[0]), range(k), range(k)):
                if mask[m, c]:
                    yield (m, i, j), (c, i + di, j + dj), (f"{name}.weight", (m, c, di, dj))
    elif isinstance(layer, Subsampling):
        for m, i, j in itertools.product(*map(range, out_shape)):
            yield (m, i, j), None, (f"{name}.bias", (m,))
            for a, b in itertools.product(range(2), range(2)):
                yield (m, i, j), (m, 2 * i + a, 2 * j + b), (f"{name}.weight", (m,))
    else:
        for i in range(out_shape[0]):
            yield (i,), None, (f"{name}.bias", (i,))
            for j in range(in_shape[0]):
                yield (i,), (j,), (f"{name}.weight", (i, j))


def brute_force_h(model: Tiny, images: torch.Tensor) -> dict[str, torch.Tensor]:
    """d2E/da_i^2 = f'(a_i)^2 sum_k u_ki^2 d2E/dx_k^2; d2E/du_ij^2 = d2E/da_i^2 x_j^2; summed per shared weight."""
    params = dict(model.named_parameters())
    h = {k: torch.zeros_like(p, dtype=torch.float64) for k, p in params.items()}
    for image in images:
        xs, pre = [image[None]], []
        for _, layer in model.stages():
            x = xs[-1].flatten(1) if isinstance(layer, FullConnection) else xs[-1]
            a = layer(x).detach()
            pre.append(a)
            xs.append(model.squash(a))
        # E = sum_j (x_j - w_Dj)^2 at the F6 outputs: d2E/dx^2 = 2.
        d2x = {unit: 2.0 for unit in itertools.product(*map(range, xs[-1].shape[1:]))}
        for index in reversed(range(len(pre))):
            name, layer = model.stages()[index]
            a, x_in = pre[index][0], xs[index][0]
            if isinstance(layer, FullConnection):
                x_in = x_in.flatten()
            fp = model.squash.derivative(a)
            d2a = {unit: float(fp[unit]) ** 2 * v for unit, v in d2x.items()}
            below: dict[tuple, float] = {}
            for out, inp, (key, idx) in connections(name, layer, tuple(x_in.shape), tuple(a.shape)):
                x_j = 1.0 if inp is None else float(x_in[inp])
                h[key][idx] += d2a[out] * x_j ** 2
                if inp is not None:
                    u = float(params[key].detach()[idx])
                    below[inp] = below.get(inp, 0.0) + u * u * d2a[out]
            if isinstance(layer, FullConnection):  # back to the (maps, rows, cols) layout
                shape = xs[index][0].shape
                below = {tuple(int(v) for v in torch.unravel_index(torch.tensor(k[0]), shape)): v
                         for k, v in below.items()}
            d2x = below
    return {k: v / len(images) for k, v in h.items()}


def test_gauss_newton_diagonal_equals_per_connection_recursion() -> None:
    torch.manual_seed(0)
    model = Tiny().double()
    images = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    fast = gauss_newton_diagonal(model, images)
    slow = brute_force_h(model, images)
    assert set(fast) == set(slow)
    for key in slow:
        assert torch.allclose(fast[key], slow[key], rtol=1e-9, atol=1e-12), key
    assert (fast["c3.weight"][~model.c3.connections.t()].abs() == 0).all()


def test_sdlm_step_is_eta_over_mu_plus_h() -> None:
    model = LeNet5()
    opt = SDLM(model.parameters(), lr=1e-3, mu=0.1)
    h = opt.estimate_curvature(model, torch.randn(20, 1, 32, 32))
    before = {k: p.detach().clone() for k, p in model.named_parameters()}
    model(torch.randn(1, 1, 32, 32)).sum().backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters()}
    opt.step()
    for k, p in model.named_parameters():
        assert torch.allclose(p.detach(), before[k] - 1e-3 / (0.1 + h[k]) * grads[k], atol=1e-7), k


def test_sdlm_needs_curvature_first() -> None:
    model = LeNet5()
    opt = SDLM(model.parameters())
    model(torch.randn(1, 1, 32, 32)).sum().backward()
    with pytest.raises(RuntimeError, match="estimate_curvature"):
        opt.step()
    with pytest.raises(ValueError):
        SDLM(model.parameters(), mu=0)


def test_sdlm_step_sizes_follow_a_new_mu() -> None:
    model = LeNet5()
    opt = SDLM(model.parameters(), lr=1e-3, mu=0.5)
    h = opt.estimate_curvature(model, torch.randn(20, 1, 32, 32))
    first = opt.step_sizes()[0].clone()
    opt.param_groups[0]["mu"] = 0.02
    assert torch.allclose(opt.step_sizes()[0], 1e-3 / (0.02 + h["c1.weight"]))
    assert not torch.allclose(opt.step_sizes()[0], first)
