"""MNIST as LeNet-5 reads it: scaling, padding, offline copy, distortions, centring."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lenet import paper
from lenet.data import (
    MNISTUnavailable,
    centre_like_mnist,
    distort,
    load_mnist,
    pad_to_32,
    to_paper_scale,
)


def test_paper_scaling_values() -> None:
    pixels = torch.tensor([0, 255], dtype=torch.uint8)
    assert torch.allclose(to_paper_scale(pixels), torch.tensor([-0.1, 1.175]))
    assert torch.allclose(to_paper_scale(torch.tensor([0.0, 1.0])), torch.tensor([-0.1, 1.175]))
    with pytest.raises(ValueError, match="uint8"):
        to_paper_scale(torch.tensor([1, 2]))


def test_padding_uses_the_background() -> None:
    padded = pad_to_32(torch.ones(3, 28, 28))
    assert padded.shape == (3, 32, 32)
    assert (padded[:, :2] == paper.BACKGROUND).all() and (padded[:, :, -2:] == paper.BACKGROUND).all()
    assert (padded[:, 2:30, 2:30] == 1).all()
    with pytest.raises(ValueError, match="28x28"):
        pad_to_32(torch.ones(3, 20, 20))


def test_real_mnist_splits(mnist_train, mnist_test) -> None:
    assert mnist_train.images.shape == (60_000, 1, 32, 32)
    assert mnist_test.images.shape == (10_000, 1, 32, 32)
    assert torch.bincount(mnist_test.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert mnist_test.images.min() == pytest.approx(paper.BACKGROUND)
    assert mnist_test.images.max() == pytest.approx(paper.FOREGROUND)
    assert (mnist_test.images[:, :, :2] == paper.BACKGROUND).all()


def test_unknown_split_is_refused() -> None:
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_offline_folder_missing_files_says_what_to_provide(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LENET_MNIST_DIR", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MNISTUnavailable, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("test", root=tmp_path / "root")


def test_offline_without_copy_explains_the_environment_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LENET_MNIST_DIR", raising=False)
    import torchvision.datasets.mnist as tv

    monkeypatch.setattr(tv.MNIST, "mirrors", ["http://127.0.0.1:9/"])  # a closed port: no network
    with pytest.raises(MNISTUnavailable, match="LENET_MNIST_DIR"):
        load_mnist("test", root=tmp_path)


def test_distortions_keep_background_and_move_ink(mnist_test) -> None:
    x = mnist_test.images[:64]
    y = distort(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape
    assert torch.allclose(y[:, :, 0, 0], torch.full((64, 1), paper.BACKGROUND))
    assert y.min() >= paper.BACKGROUND - 1e-6 and y.max() <= paper.FOREGROUND + 1e-6
    assert (y - x).abs().mean() > 0.01
    again = distort(x, torch.Generator().manual_seed(0))
    assert torch.equal(y, again), "same generator state, same distortions"


def test_centre_like_mnist_puts_mass_in_the_middle() -> None:
    ink = torch.zeros(200, 200)
    ink[10:60, 150:170] = 1.0  # a bar in a corner
    x = centre_like_mnist(ink)
    assert x.shape == (1, 1, 32, 32)
    unit = (x[0, 0] - paper.BACKGROUND) / (paper.FOREGROUND - paper.BACKGROUND)
    rows = torch.arange(32.0) + 0.5
    cy = float((unit.sum(1) * rows).sum() / unit.sum())
    cx = float((unit.sum(0) * rows).sum() / unit.sum())
    assert abs(cy - 16) <= 1 and abs(cx - 16) <= 1
    tall = torch.nonzero(unit.sum(1) > 0)
    assert int(tall.max() - tall.min()) + 1 == 20, "the long side is scaled to 20 pixels"


def test_centre_like_mnist_empty_is_background() -> None:
    x = centre_like_mnist(torch.zeros(50, 50))
    assert torch.all(x == paper.BACKGROUND)
    with pytest.raises(ValueError):
        centre_like_mnist(torch.zeros(1, 50, 50))
