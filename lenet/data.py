"""MNIST as LeNet-5 reads it (Sections II.B and III.A).

The digits come through ``torchvision.datasets.MNIST``.  Each split is held as
one tensor, so a batch is a slice and stays on the device it was loaded to.

Offline use: set ``LENET_MNIST_DIR`` to a folder holding the four official
files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``).  They are copied
into ``<data root>/MNIST/raw`` and torchvision checks their MD5 sums, so no
network is needed.  The data root is ``LENET_DATA_DIR``, or ``~/.cache/lenet``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from . import paper

MNIST_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
OFFLINE_ENV = "LENET_MNIST_DIR"
ROOT_ENV = "LENET_DATA_DIR"


class MNISTUnavailable(RuntimeError):
    """MNIST could be neither found, copied nor downloaded."""


def data_root() -> Path:
    """Where MNIST is unpacked: ``$LENET_DATA_DIR`` or ``~/.cache/lenet``."""
    return Path(os.environ.get(ROOT_ENV) or Path.home() / ".cache" / "lenet").expanduser()


def _copy_offline_files(source: Path, raw: Path) -> None:
    missing = [f for f in MNIST_FILES if not (source / f).is_file()]
    if missing:
        raise MNISTUnavailable(
            f"{OFFLINE_ENV}={source} must name a folder holding the four official MNIST files; "
            f"missing: {', '.join(missing)}"
        )
    raw.mkdir(parents=True, exist_ok=True)
    for name in MNIST_FILES:
        target = raw / name
        if not target.exists() or target.stat().st_size != (source / name).stat().st_size:
            shutil.copyfile(source / name, target)


def _torchvision_mnist(train: bool, root: Path):
    from torchvision.datasets import MNIST

    offline = os.environ.get(OFFLINE_ENV)
    if offline:
        _copy_offline_files(Path(offline).expanduser(), root / "MNIST" / "raw")
    try:
        return MNIST(str(root), train=train, download=True)
    except (OSError, RuntimeError) as err:
        raise MNISTUnavailable(
            f"MNIST is not in {root / 'MNIST'} and could not be downloaded ({err}). "
            f"Offline, put the four official .gz files ({', '.join(MNIST_FILES)}) in a folder "
            f"and set {OFFLINE_ENV} to that folder, e.g. export {OFFLINE_ENV}=/path/to/MNIST/raw"
        ) from None


def to_paper_scale(pixels: Tensor) -> Tensor:
    """Map grey levels to the paper's input scale (Section II.B).

    ``pixels`` is uint8 in 0..255 or float in 0..1, 0 being the background:
    background becomes -0.1 and full ink 1.175, so the mean input is about 0
    and the variance about 1, which speeds learning.
    """
    if pixels.dtype == torch.uint8:
        unit = pixels.float() / 255.0
    elif pixels.is_floating_point():
        unit = pixels.float()
    else:
        raise ValueError(f"pixels must be uint8 (0..255) or float (0..1), got dtype {pixels.dtype}")
    return paper.BACKGROUND + unit * (paper.FOREGROUND - paper.BACKGROUND)


def pad_to_32(images: Tensor) -> Tensor:
    """Pad (..., 28, 28) digits to 32x32 with the background value (Section II.B).

    The margin lets stroke end points and corners reach the centre of the
    receptive fields of the highest feature detectors.
    """
    margin = (paper.INPUT_SIZE - images.shape[-1]) // 2
    if images.shape[-2:] != (paper.MNIST_SIZE, paper.MNIST_SIZE):
        raise ValueError(f"expected 28x28 digits, got shape {tuple(images.shape)}")
    return F.pad(images, (margin,) * 4, value=paper.BACKGROUND)


@dataclass
class Split:
    """One MNIST split as two tensors: ``images`` (N, 1, 32, 32) in the paper's
    scale and ``labels`` (N,) int64, on one device."""

    images: Tensor
    labels: Tensor

    def __len__(self) -> int:
        return self.labels.shape[0]

    def to(self, device: torch.device | str) -> Split:
        return Split(self.images.to(device), self.labels.to(device))

    def subset(self, count: int) -> Split:
        """The first ``count`` digits (MNIST's own order)."""
        return Split(self.images[:count], self.labels[:count])


def load_mnist(split: str = "train", device: torch.device | str = "cpu", root: Path | None = None) -> Split:
    """Load the ``"train"`` (60,000) or ``"test"`` (10,000) split, padded and scaled."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    dataset = _torchvision_mnist(split == "train", root or data_root())
    images = pad_to_32(to_paper_scale(dataset.data)).unsqueeze(1)
    return Split(images.to(device), dataset.targets.to(device))


@dataclass(frozen=True)
class DistortionRanges:
    """Ranges of the random affine distortions (Section III.C: horizontal and vertical
    translation, scaling, squeezing, horizontal shearing).  The paper gives no
    ranges; these are ours."""

    translate: float = 2.0  # pixels, each direction
    scale: float = 0.1  # +- relative size
    squeeze: float = 0.15  # +- width/height change in opposite directions
    shear: float = 0.15  # +- horizontal shift per unit of height


def distort(images: Tensor, generator: torch.Generator | None = None,
            ranges: DistortionRanges = DistortionRanges()) -> Tensor:
    """Apply one random affine distortion per image, all at once on the images' device.

    Background stays exactly -0.1: the map is applied to the ink above background.
    """
    n, _, h, w = images.shape
    rand = torch.rand(n, 5, generator=generator, device="cpu").to(images.device) * 2 - 1
    scale = 1 + ranges.scale * rand[:, 0]
    squeeze = 1 + ranges.squeeze * rand[:, 1]
    shear = ranges.shear * rand[:, 2]
    theta = torch.zeros(n, 2, 3, device=images.device, dtype=images.dtype)
    # theta maps output to input coordinates, hence the reciprocal scales.
    theta[:, 0, 0] = 1 / (scale * squeeze)
    theta[:, 0, 1] = shear
    theta[:, 1, 1] = squeeze / scale
    theta[:, 0, 2] = ranges.translate * rand[:, 3] * 2 / w
    theta[:, 1, 2] = ranges.translate * rand[:, 4] * 2 / h
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    ink = F.grid_sample(images - paper.BACKGROUND, grid, mode="bilinear", padding_mode="zeros",
                        align_corners=False)
    return ink + paper.BACKGROUND


def centre_like_mnist(ink: Tensor) -> Tensor:
    """Normalise a drawn digit the way MNIST was made (Section III.A).

    ``ink`` is (H, W) with 0 = background and 1 = full ink.  The bounding box is
    scaled to fit 20x20 keeping its aspect ratio (area-averaged, hence grey
    levels), placed in a 28x28 field so that its centre of mass is the centre,
    then padded to 32x32 in the paper's scale.  An empty drawing gives an
    all-background image.  Returns (1, 1, 32, 32).  The widget's JavaScript
    mirrors this function step by step.
    """
    if ink.dim() != 2:
        raise ValueError(f"expected a (H, W) drawing, got shape {tuple(ink.shape)}")
    ink = ink.float().clamp(0, 1)
    field = torch.zeros(paper.MNIST_SIZE, paper.MNIST_SIZE)
    rows = torch.nonzero(ink.sum(1) > 0).flatten()
    cols = torch.nonzero(ink.sum(0) > 0).flatten()
    if len(rows):
        box = ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
        bh, bw = box.shape
        factor = paper.MNIST_BOX / max(bh, bw)
        th, tw = max(1, round(bh * factor)), max(1, round(bw * factor))
        small = F.interpolate(box[None, None], size=(th, tw), mode="area")[0, 0]
        total = small.sum()
        ys = torch.arange(th, dtype=torch.float32) + 0.5
        xs = torch.arange(tw, dtype=torch.float32) + 0.5
        cy = float((small.sum(1) * ys).sum() / total)
        cx = float((small.sum(0) * xs).sum() / total)
        top = min(max(round(paper.MNIST_SIZE / 2 - cy), 0), paper.MNIST_SIZE - th)
        left = min(max(round(paper.MNIST_SIZE / 2 - cx), 0), paper.MNIST_SIZE - tw)
        field[top: top + th, left: left + tw] = small
    return pad_to_32(to_paper_scale(field))[None, None]


__all__ = [
    "DistortionRanges", "MNISTUnavailable", "MNIST_FILES", "OFFLINE_ENV", "ROOT_ENV", "Split",
    "centre_like_mnist", "data_root", "distort", "load_mnist", "pad_to_32", "to_paper_scale",
]
