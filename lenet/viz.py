"""The book's figures.  Each function returns a matplotlib Figure and draws one
idea of the paper; the section it illustrates is named in its docstring.

Inputs are drawn in the paper's scale with ink dark, so a digit looks as on
paper; feature maps are drawn on the squashing function's range [-A, A] with a
diverging map, so that sign and saturation read at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor

from . import paper

INK = "gray_r"
MAPS = "RdBu_r"


def _np(t: Tensor) -> np.ndarray:
    # matplotlib reads tensors through a deprecated numpy path; hand it arrays.
    return t.detach().cpu().numpy()


def _grid(count: int, cols: int, cell: float = 1.0, title: str | None = None) -> tuple[Figure, np.ndarray]:
    rows = max(1, -(-count // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell, rows * cell * 1.1 + (0.4 if title else 0)),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig, axes


def show_digits(images: Tensor, titles: Sequence[str] | None = None, cols: int = 10,
                title: str | None = None) -> Figure:
    """A grid of input digits in the paper's scale, background -0.1 and ink 1.175 (Section II.B)."""
    fig, axes = _grid(len(images), cols, title=title)
    for i, ax in enumerate(axes.flat[: len(images)]):
        ax.imshow(_np(images[i, 0]), cmap=INK, vmin=paper.BACKGROUND, vmax=paper.FOREGROUND)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def show_maps(maps: Tensor, title: str | None = None, cols: int = 8, label: str = "map") -> Figure:
    """Feature maps (C, H, W) after the squashing function, on [-A, A] (Section II.B, Appendix A)."""
    fig, axes = _grid(len(maps), cols, title=title)
    for i, ax in enumerate(axes.flat[: len(maps)]):
        ax.imshow(_np(maps[i]), cmap=MAPS, vmin=-paper.SQUASH_A, vmax=paper.SQUASH_A)
        ax.set_title(f"{label} {i}", fontsize=9)
    fig.tight_layout()
    return fig


def show_kernels(weight: Tensor, title: str | None = None) -> Figure:
    """The 5x5 kernels of a convolution layer, one row per input map (Section II.B).

    Each kernel is drawn on its own symmetric range, as a detector's shape
    matters, not its scale.
    """
    out_maps, in_maps = weight.shape[:2]
    fig, axes = plt.subplots(in_maps, out_maps, figsize=(out_maps * 0.9, in_maps * 0.9 + 0.4), squeeze=False)
    for (i, j), ax in np.ndenumerate(axes):
        k = _np(weight[j, i])
        bound = float(np.abs(k).max()) or 1.0
        ax.imshow(k, cmap=MAPS, vmin=-bound, vmax=bound)
        ax.set_xticks([])
        ax.set_yticks([])
        if i == 0:
            ax.set_title(f"{j}", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_squash() -> Figure:
    """f(a) = A tanh(S a) against plain tanh, with f(+-1) = +-1 marked (Appendix A)."""
    a = torch.linspace(-4, 4, 401)
    f = paper.SQUASH_A * torch.tanh(paper.SQUASH_S * a)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(_np(a), _np(f), label=f"$f(a) = {paper.SQUASH_A}\\,\\tanh({paper.SQUASH_S:.3f}\\,a)$")
    ax.plot(_np(a), _np(torch.tanh(a)), "--", label=r"$\tanh(a)$")
    ax.plot([-1, 1], [-1, 1], "ko", label=r"$f(\pm 1) = \pm 1$")
    ax.axhline(paper.SQUASH_A, color="grey", lw=0.5)
    ax.axhline(-paper.SQUASH_A, color="grey", lw=0.5)
    ax.set_xlabel("weighted sum $a$")
    ax.set_ylabel("output")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def compare_pooling(c1_map: Tensor, s2_output: Tensor, coefficient: float, bias: float) -> Figure:
    """One C1 map, its 2x2 average and max pooling, and the paper's trainable
    subsampling: sum of the cell times a coefficient plus a bias, squashed (Section II.B)."""
    x = c1_map[None, None].detach().cpu()
    panels = [
        ("C1 map (28x28)", _np(c1_map)),
        ("average pooling", _np(torch.nn.functional.avg_pool2d(x, 2)[0, 0])),
        ("max pooling", _np(torch.nn.functional.max_pool2d(x, 2)[0, 0])),
        (f"S2: f({coefficient:.2f} x sum {bias:+.2f})", _np(s2_output)),
    ]
    fig, axes = plt.subplots(1, 4, figsize=(10, 2.9))
    for ax, (name, img) in zip(axes, panels, strict=True):
        ax.imshow(img, cmap=MAPS, vmin=-paper.SQUASH_A, vmax=paper.SQUASH_A)
        ax.set_title(name, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def plot_subsampling_coefficients(layers: dict[str, torch.nn.Module]) -> Figure:
    """The trained coefficient and bias of every S2 and S4 map (Section II.B).

    A small coefficient keeps the squashing function near-linear (a blur); a
    large one makes the unit a noisy OR or, with a negative bias, a noisy AND.
    """
    fig, axes = plt.subplots(1, len(layers), figsize=(5 * len(layers), 3.2), squeeze=False)
    for ax, (name, layer) in zip(axes[0], layers.items(), strict=True):
        w, b = _np(layer.weight), _np(layer.bias)
        idx = np.arange(len(w))
        ax.bar(idx - 0.2, w, 0.4, label="coefficient")
        ax.bar(idx + 0.2, b, 0.4, label="bias")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.set_xlabel("feature map")
        ax.set_xticks(idx)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_table_i(connections: Tensor) -> Figure:
    """Table I as a heat map: rows are S2 maps, columns C3 maps (Section II.B)."""
    table = _np(connections).astype(float)
    fig, ax = plt.subplots(figsize=(8, 3.4))
    ax.imshow(table, cmap="Blues", vmin=0, vmax=1.3)
    for i, j in zip(*np.nonzero(table), strict=True):
        ax.text(j, i, "X", ha="center", va="center", fontsize=9)
    ax.set_xticks(range(table.shape[1]))
    ax.set_yticks(range(table.shape[0]))
    ax.set_xlabel("C3 feature map")
    ax.set_ylabel("S2 feature map")
    for edge in (5.5, 11.5, 14.5):
        ax.axvline(edge, color="k", lw=1)
    ax.set_title("Table I: contiguous triples | contiguous quadruples | split quadruples | all six")
    fig.tight_layout()
    return fig


def plot_sdnn(strip: Tensor, distances: Tensor) -> Figure:
    """A line of digits and the RBF distances of the network replicated along it
    (the space-displacement network, Section VII.A).

    ``strip`` is (1, 1, 32, W); ``distances`` (10, W') with one column per
    4-pixel step.  The lower panel marks the winning digit of every column.
    """
    d = _np(distances)
    width = strip.shape[-1]
    # Column c's 32-pixel window starts at 4c; its centre is 4c + 16 pixels in.
    centres = 4 * np.arange(d.shape[1]) + paper.INPUT_SIZE / 2
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 4.6), sharex=True, height_ratios=(1, 1.6))
    top.imshow(_np(strip[0, 0]), cmap=INK, vmin=paper.BACKGROUND, vmax=paper.FOREGROUND,
               extent=(0, width, paper.INPUT_SIZE, 0), aspect="auto")
    top.set_yticks([])
    top.set_title("input")
    step = 4 if len(centres) < 2 else centres[1] - centres[0]
    bottom.imshow(d, cmap="viridis", aspect="auto",
                  extent=(centres[0] - step / 2, centres[-1] + step / 2, 9.5, -0.5))
    winners = d.argmin(0)
    bottom.plot(centres, winners, "w.", ms=8)
    bottom.set_yticks(range(10))
    bottom.set_ylabel("digit")
    bottom.set_xlabel("pixel column of the window's centre")
    bottom.set_title("RBF distance per window position (dark = near); dots: the nearest prototype")
    bottom.set_xlim(0, width)
    fig.tight_layout()
    return fig


def show_bitmaps(codes: Tensor, titles: Sequence[str] | None = None, title: str | None = None,
                 cols: int = 10) -> Figure:
    """84-dim codes drawn as 7x12 bitmaps: the RBF prototypes or F6 states (Section II.B, Fig. 3)."""
    fig, axes = _grid(len(codes), cols, cell=1.0, title=title)
    for i, ax in enumerate(axes.flat[: len(codes)]):
        ax.imshow(_np(codes[i].reshape(12, 7)), cmap=INK, vmin=-1.2, vmax=1.2)
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    fig.tight_layout()
    return fig


def plot_f6_beside_prototypes(images: Tensor, f6: Tensor, prototypes: Tensor, labels: Tensor) -> Figure:
    """Each digit, its F6 state as a 7x12 image, and its class's prototype (Section II.B)."""
    n = len(images)
    fig, axes = plt.subplots(3, n, figsize=(n * 0.95, 4.3), squeeze=False)
    rows = (("digit", None), ("F6 state", f6), ("prototype", prototypes[labels]))
    for r, (name, codes) in enumerate(rows):
        for i in range(n):
            ax = axes[r, i]
            if codes is None:
                ax.imshow(_np(images[i, 0]), cmap=INK, vmin=paper.BACKGROUND, vmax=paper.FOREGROUND)
            else:
                ax.imshow(_np(codes[i].reshape(12, 7)), cmap=INK, vmin=-1.2, vmax=1.2)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(name, fontsize=9)
    fig.tight_layout()
    return fig


def plot_distances(distances: Tensor, labels: Tensor, images: Tensor) -> Figure:
    """RBF outputs y_i = |F6 - prototype_i|^2 for a few digits; the nearest is the answer (Section II.B)."""
    n = len(labels)
    fig, axes = plt.subplots(2, n, figsize=(max(n * 1.9, 3.5), 3.6), height_ratios=(1, 1.3), squeeze=False)
    for i in range(n):
        axes[0, i].imshow(_np(images[i, 0]), cmap=INK, vmin=paper.BACKGROUND, vmax=paper.FOREGROUND)
        axes[0, i].set_axis_off()
        d = _np(distances[i])
        colours = ["tab:green" if k == int(d.argmin()) else "tab:grey" for k in range(10)]
        axes[1, i].bar(range(10), d, color=colours)
        axes[1, i].set_xticks(range(10))
        axes[1, i].tick_params(labelsize=7)
        axes[0, i].set_title(f"label {int(labels[i])}", fontsize=9)
    axes[1, 0].set_ylabel("$y_i$")
    fig.tight_layout()
    return fig


def plot_map_loss(js: Sequence[float], others: float = 60.0) -> Figure:
    """The MAP criterion (eq. 9) against the correct class's distance y_D, for several j,
    with the nine wrong classes held at distance ``others``; ML (eq. 8) is the diagonal."""
    y = torch.linspace(0, 80, 321)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(_np(y), _np(y), "k--", label="ML: $y_D$")
    for j in js:
        terms = torch.stack([torch.full_like(y, -j), -y, torch.full_like(y, -others + np.log(9))])
        ax.plot(_np(y), _np(y + torch.logsumexp(terms, 0)), label=f"MAP, j = {j:g}")
    ax.set_xlabel("distance to the correct prototype $y_D$")
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_history(records: dict[str, dict]) -> Figure:
    """Error per pass of the shipped runs against the paper's Fig. 5 and Section III.C numbers."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, rec), colour in zip(records.items(), ("tab:blue", "tab:orange", "tab:green"), strict=False):
        passes = [h["pass"] for h in rec["history"]]
        ax.plot(passes, [h["test_error"] for h in rec["history"]], "o-", color=colour, label=f"{name}: test")
        train = [h["train_error"] if h["train_error"] is not None else h["train_error_online"]
                 for h in rec["history"]]
        ax.plot(passes, train, "s:", color=colour, label=f"{name}: training")
    ax.axhline(paper.RESULTS["test_error"], color="tab:blue", lw=0.8, ls="--", label="paper: test")
    ax.axhline(paper.RESULTS["test_error_distortions"], color="tab:orange", lw=0.8, ls="--",
               label="paper: test, distortions")
    ax.plot([19], [paper.RESULTS["train_error_after_19_passes"]], "k*", ms=10, label="paper: training, pass 19")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("pass")
    ax.set_ylabel("error (%)")
    ax.set_xlim(0.5, max(paper.PASSES, *(len(r["history"]) for r in records.values())) + 0.5)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig


def plot_comparison(names: Sequence[str], values: dict[str, Sequence[float]]) -> Figure:
    """Side-by-side bars, one panel per measure (error, seconds, parameters)."""
    fig, axes = plt.subplots(1, len(values), figsize=(3.3 * len(values), 3), squeeze=False)
    for ax, (measure, numbers) in zip(axes[0], values.items(), strict=True):
        ax.bar(names, numbers, color=["tab:blue", "tab:red", "tab:green"][: len(names)])
        ax.set_title(measure, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig
