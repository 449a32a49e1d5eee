"""Shared fixtures.  Tests that need MNIST use the real digits: set LENET_MNIST_DIR
to a folder with the four official .gz files when offline (tools/env.sh does)."""

from __future__ import annotations

import pytest
import torch

from lenet.data import Split, load_mnist


@pytest.fixture(scope="session")
def mnist_test() -> Split:
    return load_mnist("test")


@pytest.fixture(scope="session")
def mnist_train() -> Split:
    return load_mnist("train")


# The tests train on one or a few digits at a time, where a second thread costs more
# than it brings, and stalls whenever another process holds the other core.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(1234)
