"""Stochastic diagonal Levenberg-Marquardt (Appendix C).

Each parameter w_k gets its own step size eps_k = eta / (mu + h_kk), where h_kk
is a Gauss-Newton estimate of the diagonal second derivative of the loss.  The
paper computes it by a "second-order back-propagation" that looks like the
ordinary one with squared weights and squared derivatives (eqs. 27-30):

    d2E/da_i^2  = f'(a_i)^2 * sum_k u_ki^2 * d2E/dx_k^2     (units)
    d2E/du_ij^2 = d2E/da_i^2 * x_j^2                         (connections)
    h_kk        = sum over the connections (i, j) that share w_k of d2E/du_ij^2

and re-estimates it on a few hundred patterns (500) before each pass.

Implementation: every trainable layer is linear in its weights, so running the
same affine map on squared inputs with squared weights, and back-propagating
through it, performs exactly the recursion above, summed over shared weights
by autograd, for all maps and all samples at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

from . import paper

# d2E/dx_j^2 at the F6 outputs for E = sum_j (x_j - w_Dj)^2: the RBF unit of the
# correct class is a squared distance, whose second derivative is 2 (Appendix C).
OUTPUT_CURVATURE: float = 2.0


def gauss_newton_diagonal(model: nn.Module, images: Tensor) -> dict[str, Tensor]:
    """h_kk for every trainable parameter, averaged over ``images`` (Appendix C).

    ``model`` provides ``stages()`` (the trainable layers in order, each with an
    ``affine(x, weight, bias)`` map) and ``squash`` (with ``derivative``), as
    ``lenet.LeNet5`` does.  Returns {parameter name: tensor shaped like it}.
    """
    if images.shape[0] == 0:
        raise ValueError("need at least one image to estimate the Hessian diagonal")
    x = images.detach()
    x_sq = x * x
    leaves: dict[str, Tensor] = {}
    for name, layer in model.stages():
        if x.dim() == 4 and layer.weight.dim() == 2:
            x, x_sq = x.flatten(1), x_sq.flatten(1)
        w_sq = (layer.weight.detach() ** 2).requires_grad_()
        b_leaf = torch.zeros_like(layer.bias).requires_grad_()
        leaves[f"{name}.weight"], leaves[f"{name}.bias"] = w_sq, b_leaf
        with torch.no_grad():
            a = layer.affine(x, layer.weight, layer.bias)
            x = model.squash(a)
            f_prime_sq = model.squash.derivative(a) ** 2
        a_sq = layer.affine(x_sq, w_sq, b_leaf)
        # Forward value: the real x^2, needed by the next layer's connections;
        # backward: multiply by f'(a)^2, as eq. 27 does.
        x_sq = (x * x) + f_prime_sq * (a_sq - a_sq.detach())
    grads = torch.autograd.grad(x_sq, list(leaves.values()),
                                grad_outputs=torch.full_like(x_sq, OUTPUT_CURVATURE))
    n = images.shape[0]
    return {name: g / n for name, g in zip(leaves, grads, strict=True)}


class SDLM(torch.optim.Optimizer):
    """Stochastic diagonal Levenberg-Marquardt steps: w_k -= eta / (mu + h_kk) * dE/dw_k.

    Appendix C; eta is the learning rate ``lr`` (see ``lenet.paper.ETA_SCHEDULE``)
    and mu = 0.02 guards against tiny h_kk.  Call ``set_curvature`` (or
    ``estimate_curvature``) before the first step and before every pass.
    """

    def __init__(self, params: Iterable[Tensor], lr: float = paper.ETA_SCHEDULE[0][1],
                 mu: float = paper.SDLM_MU) -> None:
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if mu <= 0:
            raise ValueError(f"mu must be positive, got {mu}")
        super().__init__(params, {"lr": lr, "mu": mu})
        self._step_cache: dict[int, tuple[tuple[float, float], list[Tensor]]] = {}

    @torch.no_grad()
    def set_curvature(self, curvature: dict[Tensor, Tensor]) -> None:
        """Store h_kk for each parameter (keys: the parameter tensors)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p not in curvature:
                    raise ValueError("set_curvature needs an h_kk tensor for every parameter")
                h = curvature[p]
                if h.shape != p.shape:
                    raise ValueError(f"h_kk of shape {tuple(h.shape)} for a parameter of shape {tuple(p.shape)}")
                self.state[p]["h"] = h.detach().to(p.device, p.dtype).clone()
        self._step_cache.clear()

    def estimate_curvature(self, model: nn.Module, images: Tensor) -> dict[str, Tensor]:
        """Re-estimate h_kk on ``images`` (500 training patterns in the paper) and store it."""
        h = gauss_newton_diagonal(model, images)
        named = dict(model.named_parameters())
        self.set_curvature({named[k]: v for k, v in h.items()})
        return h

    def step_sizes(self, group_index: int = 0) -> list[Tensor]:
        """eps_k = lr / (mu + h_kk) for every parameter of one group, cached until lr, mu or h change."""
        group = self.param_groups[group_index]
        key = (group["lr"], group["mu"])
        cached = self._step_cache.get(group_index)
        if cached is not None and cached[0] == key:
            return cached[1]
        sizes = []
        for p in group["params"]:
            if "h" not in self.state[p]:
                raise RuntimeError("SDLM needs h_kk: call estimate_curvature(model, images) before stepping")
            sizes.append(group["lr"] / (group["mu"] + self.state[p]["h"]))
        self._step_cache[group_index] = (key, sizes)
        return sizes

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - the torch.optim signature
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for index, group in enumerate(self.param_groups):
            sizes = self.step_sizes(index)
            pairs = [(p, s) for p, s in zip(group["params"], sizes, strict=True) if p.grad is not None]
            if pairs:
                params, steps = zip(*pairs, strict=True)
                torch._foreach_addcmul_(list(params), [p.grad for p in params], list(steps), value=-1.0)
        return loss

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self._step_cache.clear()
