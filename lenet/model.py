"""LeNet-5 as LeCun et al. (1998) describe it, and the usual modern simplification.

Section II.B of "Gradient-Based Learning Applied to Document Recognition":
C1 -> S2 -> C3 -> S4 -> C5 -> F6 -> Euclidean RBF output, with the scaled
tanh after every layer but the last.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import paper
from .layers import (
    Convolution,
    EuclideanRBF,
    FullConnection,
    MaskedConvolution,
    ScaledTanh,
    Subsampling,
)

LAYER_NAMES: tuple[str, ...] = ("c1", "s2", "c3", "s4", "c5", "f6", "rbf")


def check_images(x: object, *, exact_size: bool = True) -> Tensor:
    """Raise a ValueError that says what is expected unless ``x`` is a batch of
    32x32 one-channel images in the paper's scale (Section II.B)."""
    expected = "a float tensor of shape (N, 1, 32, 32), scaled as lenet.data.to_paper_scale does"
    if not isinstance(x, Tensor):
        raise ValueError(f"expected {expected}; got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(
            f"expected {expected}; got dtype {x.dtype}. Convert raw pixels with "
            "lenet.data.to_paper_scale(images) first"
        )
    if x.dim() == 3 and x.shape[0] == 1:
        hint = " (one image? add the batch dimension with x.unsqueeze(0))"
    elif x.dim() == 2:
        hint = " (one image? use x[None, None])"
    else:
        hint = ""
    if x.dim() != 4:
        raise ValueError(f"expected {expected}; got shape {tuple(x.shape)}{hint}")
    if x.shape[1] != 1:
        raise ValueError(f"expected {expected}; got {x.shape[1]} channels, LeNet-5 reads grey-level images")
    if x.shape[0] == 0:
        raise ValueError(f"expected {expected}; got an empty batch")
    size = paper.INPUT_SIZE
    if exact_size and tuple(x.shape[2:]) != (size, size):
        hint = " (28x28 MNIST digits are padded with lenet.data.pad_to_32)" if x.shape[-1] == 28 else ""
        raise ValueError(f"expected {expected}; got shape {tuple(x.shape)}{hint}")
    if not exact_size and (x.shape[2] < size or x.shape[3] < size):
        raise ValueError(f"expected images of at least 32x32 pixels; got shape {tuple(x.shape)}")
    return x


class LeNet5(nn.Module):
    """LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998, Section II.B).

    Input (N, 1, 32, 32) in the paper's scale (background -0.1, ink 1.175);
    output (N, 10) squared Euclidean distances to the fixed digit prototypes:
    the smaller, the more likely.  60,000 trainable parameters, 340,908
    connections.  Weights start uniform in +-2.4/F_i (Appendix A), or in
    +-2.4/sqrt(F_i) with ``init="sqrt_fan_in"``; with ``init="fan_in_gains"`` the
    S2/S4 coefficients start at +2.4/F_i.  Biases start at zero (the paper does
    not say).
    """

    def __init__(self, init: str = "fan_in") -> None:
        super().__init__()
        self.c1 = Convolution(1, 6)
        self.s2 = Subsampling(6)
        self.c3 = MaskedConvolution()
        self.s4 = Subsampling(16)
        self.c5 = Convolution(16, 120)
        self.f6 = FullConnection(120, 84)
        self.rbf = EuclideanRBF()
        self.squash = ScaledTanh()
        # Change only what the variant changes: a seed gives the paper's draws everywhere else.
        if init == "fan_in_gains":
            self.s2.reset_parameters(init)
            self.s4.reset_parameters(init)
        elif init != "fan_in":
            self.reset_parameters(init)

    def reset_parameters(self, init: str = "fan_in") -> None:
        """Draw every weight again under the rule ``init`` (see ``paper.INIT_RULES``)."""
        for _, layer in self.stages():
            layer.reset_parameters(init)

    def stages(self) -> list[tuple[str, nn.Module]]:
        """The trainable layers in order; each is followed by the squashing function."""
        return [(n, getattr(self, n)) for n in LAYER_NAMES[:-1]]

    def _features(self, x: Tensor) -> Tensor:
        for _, layer in self.stages()[:-1]:
            x = self.squash(layer(x))
        return x

    def forward(self, x: Tensor) -> Tensor:
        check_images(x)
        c5 = self._features(x).flatten(1)
        return self.rbf(self.squash(self.f6(c5)))

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        """The digit of the nearest prototype (smallest RBF output), shape (N,)."""
        return self(x).argmin(1)

    @torch.no_grad()
    def activations(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Every layer's output for one forward pass, keyed by ``LAYER_NAMES``.

        C1-F6 are given after the squashing function; ``rbf`` is the distances.
        """
        check_images(x)
        out: OrderedDict[str, Tensor] = OrderedDict()
        h = x
        for name, layer in self.stages():
            if name == "f6":
                h = h.flatten(1)
            h = self.squash(layer(h))
            out[name] = h
        out["rbf"] = self.rbf(h)
        return out

    @torch.no_grad()
    def distance_maps(self, x: Tensor) -> Tensor:
        """Replicate the network over an input wider or taller than 32x32.

        Because C5 and F6 are convolutions in disguise, the whole network slides
        over a larger image (the space-displacement network of Section VII.A):
        F6 and the RBF layer are applied at every C5 position.  Returns
        (N, 10, H', W') distances, one column per 4-pixel step of the input.
        """
        check_images(x, exact_size=False)
        c5 = self._features(x)  # (N, 120, H', W')
        f6 = self.squash(torch.einsum("nchw,oc->nhwo", c5, self.f6.weight) + self.f6.bias)
        n, h, w, _ = f6.shape
        return self.rbf(f6.reshape(-1, f6.shape[-1])).reshape(n, h, w, -1).permute(0, 3, 1, 2)


class ModernLeNet(nn.Module):
    """The LeNet-5 most tutorials teach: ReLU, max-pooling, a dense C3, a linear
    output read through softmax and trained with cross-entropy.  Not the paper's
    network; the book compares the two.  Output (N, 10) logits: larger = likelier.
    """

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = nn.MaxPool2d(2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.s4 = nn.MaxPool2d(2)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, 10)

    def forward(self, x: Tensor) -> Tensor:
        check_images(x)
        x = self.s2(F.relu(self.c1(x)))
        x = self.s4(F.relu(self.c3(x)))
        x = F.relu(self.c5(x)).flatten(1)
        return self.output(F.relu(self.f6(x)))

    @torch.no_grad()
    def predict(self, x: Tensor) -> Tensor:
        """The class of the largest logit, shape (N,)."""
        return self(x).argmax(1)


@dataclass(frozen=True)
class LayerRow:
    """One row of the paper's layer table (Section II.B)."""

    name: str
    output_shape: tuple[int, ...]
    trainable: int
    connections: int


def layer_table(model: LeNet5 | None = None) -> list[LayerRow]:
    """The paper's layer table, computed from the modules by running one image.

    Connections count each unit's inputs plus its bias; the RBF layer's 840
    fixed prototype values count as connections, not parameters.
    """
    model = model if model is not None else LeNet5()
    device = next(model.parameters()).device
    x = torch.zeros(1, 1, paper.INPUT_SIZE, paper.INPUT_SIZE, device=device)
    acts = model.activations(x)
    rows = []
    for name in LAYER_NAMES:
        layer = getattr(model, name)
        shape = tuple(acts[name].shape[1:])
        hw = shape[1:] if len(shape) == 3 else (1, 1)
        rows.append(LayerRow(name.upper(), shape, layer.trainable_count(), layer.connection_count(hw)))
    rows.append(LayerRow("total", (), sum(r.trainable for r in rows), sum(r.connections for r in rows)))
    return rows


def format_layer_table(rows: list[LayerRow]) -> str:
    """The layer table as aligned text, as ``python -m lenet summary`` prints it."""
    lines = [f"{'layer':<6} {'output':>12} {'trainable':>10} {'connections':>12}"]
    for r in rows:
        shape = "x".join(map(str, r.output_shape))
        lines.append(f"{r.name:<6} {shape:>12} {r.trainable:>10,} {r.connections:>12,}")
    return "\n".join(lines)
