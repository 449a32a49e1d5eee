"""The building blocks of LeNet-5, each as the paper describes it.

Every trainable layer computes an affine map ``affine(x, weight, bias)`` followed,
in the model, by the squashing function.  Keeping the affine map separate lets
``lenet.sdlm`` run the same map with squared weights and squared inputs, which
is exactly the paper's Gauss-Newton recursion (Appendix C).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import bitmaps, paper


class ScaledTanh(nn.Module):
    """f(a) = A tanh(S a) with A = 1.7159 and S = 2/3 (Appendix A, eq. 6).

    With these constants f(1) = 1 and f(-1) = -1, the targets of the RBF code,
    and the second derivative of f is largest near +-1.
    """

    def __init__(self, amplitude: float = paper.SQUASH_A, slope: float = paper.SQUASH_S) -> None:
        super().__init__()
        self.amplitude = amplitude
        self.slope = slope

    def forward(self, a: Tensor) -> Tensor:
        return torch.tanh(a * self.slope) * self.amplitude

    def derivative(self, a: Tensor) -> Tensor:
        """f'(a), used by the Gauss-Newton recursion of Appendix C."""
        t = torch.tanh(self.slope * a)
        return self.amplitude * self.slope * (1.0 - t * t)

    def extra_repr(self) -> str:
        return f"amplitude={self.amplitude}, slope={self.slope:.4f}"


def _uniform_fan_in_(tensor: Tensor, fan_in: Tensor | float, rule: str = "fan_in") -> None:
    """Fill ``tensor`` uniformly in +-2.4/F_i (Appendix A), or +-2.4/sqrt(F_i) with
    ``rule="sqrt_fan_in"``; F_i per output unit.  ("fan_in_gains" only changes
    ``Subsampling``'s coefficients.)"""
    if rule not in paper.INIT_RULES:
        raise ValueError(f"init rule must be one of {paper.INIT_RULES}, got {rule!r}")
    fan_in = torch.as_tensor(fan_in, dtype=tensor.dtype)
    bound = paper.INIT_RANGE / (fan_in.sqrt() if rule == "sqrt_fan_in" else fan_in)
    shape = (-1,) + (1,) * (tensor.dim() - 1) if bound.dim() else ()
    with torch.no_grad():
        tensor.uniform_(-1.0, 1.0).mul_(bound.reshape(shape))


class Convolution(nn.Module):
    """A layer of 5x5 convolutions with shared weights and one bias per map (C1, C5).

    Section II.B: "units in a feature map share the same set of weights".
    """

    def __init__(self, in_maps: int, out_maps: int, kernel: int = 5) -> None:
        super().__init__()
        self.in_maps, self.out_maps, self.kernel = in_maps, out_maps, kernel
        self.weight = nn.Parameter(torch.empty(out_maps, in_maps, kernel, kernel))
        self.bias = nn.Parameter(torch.empty(out_maps))
        self.reset_parameters()

    def fan_in(self) -> Tensor:
        """Inputs seen by one unit of each output map, the bias not counted."""
        return torch.full((self.out_maps,), float(self.in_maps * self.kernel**2))

    def reset_parameters(self, rule: str = "fan_in") -> None:
        _uniform_fan_in_(self.weight, self.fan_in(), rule)
        nn.init.zeros_(self.bias)

    def effective_weight(self, weight: Tensor) -> Tensor:
        return weight

    def affine(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        return F.conv2d(x, self.effective_weight(weight), bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.affine(x, self.weight, self.bias)

    def trainable_count(self) -> int:
        """Free parameters: the connected kernel weights plus one bias per map."""
        return int(self.fan_in().sum().item()) + self.out_maps

    def connection_count(self, out_hw: tuple[int, int]) -> int:
        """Connections: every output unit's inputs plus its bias (Section II.B)."""
        return int(((self.fan_in() + 1) * (out_hw[0] * out_hw[1])).sum().item())

    def extra_repr(self) -> str:
        return f"{self.in_maps}, {self.out_maps}, kernel={self.kernel}"


class MaskedConvolution(Convolution):
    """C3: 16 convolutions, each over only the S2 maps that Table I names.

    One convolution with a (16, 6, 5, 5) kernel whose unconnected slices are
    multiplied by zero, so they never reach the output and never receive a
    gradient.  ``connections`` is Table I as a (6, 16) boolean buffer, rows the
    S2 maps (Section II.B: the table breaks the symmetry of the network and keeps
    the number of connections within bounds).
    """

    connections: Tensor
    _mask: Tensor

    def __init__(self, table: tuple[str, ...] = paper.TABLE_I, kernel: int = 5) -> None:
        connections = torch.tensor([[c == "X" for c in row] for row in table])
        in_maps, out_maps = connections.shape
        nn.Module.__init__(self)
        self.in_maps, self.out_maps, self.kernel = in_maps, out_maps, kernel
        self.register_buffer("connections", connections)
        # Table I broadcast over the kernels, kept so the forward pass does not rebuild it.
        self.register_buffer("_mask", connections.t()[:, :, None, None].float(), persistent=False)
        self.weight = nn.Parameter(torch.empty(out_maps, in_maps, kernel, kernel))
        self.bias = nn.Parameter(torch.empty(out_maps))
        self.reset_parameters()

    def mask(self) -> Tensor:
        """The (16, 6, 1, 1) 0/1 mask that broadcasts Table I over the kernels."""
        return self._mask

    def fan_in(self) -> Tensor:
        return self.connections.sum(0).to(torch.float32) * self.kernel**2

    def reset_parameters(self, rule: str = "fan_in") -> None:
        super().reset_parameters(rule)
        with torch.no_grad():
            self.weight.mul_(self.mask())

    def effective_weight(self, weight: Tensor) -> Tensor:
        return weight * self.mask()


class Subsampling(nn.Module):
    """S2 and S4: each 2x2 cell's four inputs are added, multiplied by one trainable
    coefficient per map and offset by one trainable bias per map (Section II.B).

    Not max- or average-pooling: with the coefficient and the squashing function
    that follows, the layer can act as a near-linear blur, a noisy OR or a noisy
    AND, depending on the values it learns.
    """

    def __init__(self, maps: int) -> None:
        super().__init__()
        self.maps = maps
        self.weight = nn.Parameter(torch.empty(maps))
        self.bias = nn.Parameter(torch.empty(maps))
        self.reset_parameters()

    def fan_in(self) -> Tensor:
        return torch.full((self.maps,), 4.0)

    def reset_parameters(self, rule: str = "fan_in") -> None:
        if rule == "fan_in_gains":
            with torch.no_grad():
                self.weight.copy_(paper.INIT_RANGE / self.fan_in())
        else:
            _uniform_fan_in_(self.weight, self.fan_in(), rule)
        nn.init.zeros_(self.bias)

    def affine(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        # avg_pool * 4 is the plain sum of the cell, for every map at once.
        return torch.addcmul(bias.view(-1, 1, 1), F.avg_pool2d(x, 2), weight.view(-1, 1, 1), value=4.0)

    def forward(self, x: Tensor) -> Tensor:
        return self.affine(x, self.weight, self.bias)

    def trainable_count(self) -> int:
        return 2 * self.maps

    def connection_count(self, out_hw: tuple[int, int]) -> int:
        return self.maps * out_hw[0] * out_hw[1] * (4 + 1)

    def extra_repr(self) -> str:
        return f"maps={self.maps}"


class FullConnection(nn.Module):
    """F6: 84 units, each a dot product of the 120 C5 outputs plus a bias (Section II.B)."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        self.reset_parameters()

    def fan_in(self) -> Tensor:
        return torch.full((self.out_features,), float(self.in_features))

    def reset_parameters(self, rule: str = "fan_in") -> None:
        _uniform_fan_in_(self.weight, self.fan_in(), rule)
        nn.init.zeros_(self.bias)

    def affine(self, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
        return F.linear(x, weight, bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.affine(x, self.weight, self.bias)

    def trainable_count(self) -> int:
        return self.out_features * (self.in_features + 1)

    def connection_count(self, out_hw: tuple[int, int] = (1, 1)) -> int:
        return self.trainable_count()

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}"


class EuclideanRBF(nn.Module):
    """The output layer: y_i = sum_j (x_j - w_ij)^2 (Section II.B, eq. 7).

    The centres ``prototypes`` (10, 84) are the fixed +1/-1 bitmaps of
    ``lenet.bitmaps``: a buffer, not a parameter.  The output is a squared
    distance, so the smallest y_i is the most likely class.
    """

    prototypes: Tensor

    def __init__(self, prototypes: Tensor | None = None) -> None:
        super().__init__()
        centres = bitmaps.prototypes() if prototypes is None else prototypes.detach().clone()
        if centres.dim() != 2:
            raise ValueError(f"prototypes must be (classes, features), got shape {tuple(centres.shape)}")
        self.register_buffer("prototypes", centres)

    def forward(self, x: Tensor) -> Tensor:
        return (x[:, None, :] - self.prototypes[None]).pow(2).sum(-1)

    def trainable_count(self) -> int:
        return 0

    def connection_count(self, out_hw: tuple[int, int] = (1, 1)) -> int:
        return self.prototypes.numel()

    def extra_repr(self) -> str:
        classes, features = self.prototypes.shape
        return f"{features} -> {classes}, fixed prototypes"

