"""``python -m lenet bench``: forward+backward speed, measured side by side in one run.

Four networks of LeNet-5's shapes on the same batches: ``LeNet5`` (vectorised:
C3 as one masked convolution, S2/S4 as one pooled affine map), a naive per-map
version (one convolution per C3 map over its Table I inputs, a Python loop over
the maps of S2/S4, one distance per prototype; the way many tutorials write
it), a dense network (plain convolutions, average pooling, a linear output) and
``ModernLeNet``.  Rounds alternate between the networks so that drifts of the
machine's speed hit all of them alike; the median round is reported.
"""

from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import paper
from .model import LeNet5, ModernLeNet


class NaiveLeNet5(LeNet5):
    """LeNet-5 with the same parameters, computed one feature map at a time."""

    def _subsample(self, layer: nn.Module, x: Tensor) -> Tensor:
        maps = [F.avg_pool2d(x[:, m:m + 1], 2) * 4 * layer.weight[m] + layer.bias[m] for m in range(layer.maps)]
        return torch.cat(maps, 1)

    def _c3(self, x: Tensor) -> Tensor:
        maps = []
        for m in range(self.c3.out_maps):
            inputs = [r for r in range(self.c3.in_maps) if paper.TABLE_I[r][m] == "X"]
            maps.append(F.conv2d(x[:, inputs], self.c3.weight[m:m + 1, inputs], self.c3.bias[m:m + 1]))
        return torch.cat(maps, 1)

    def forward(self, x: Tensor) -> Tensor:
        f = self.squash
        c1 = torch.cat([F.conv2d(x, self.c1.weight[m:m + 1], self.c1.bias[m:m + 1]) for m in range(6)], 1)
        s2 = f(self._subsample(self.s2, f(c1)))
        s4 = f(self._subsample(self.s4, f(self._c3(s2))))
        f6 = f(self.f6(f(self.c5(s4)).flatten(1)))
        return torch.stack([((f6 - p) ** 2).sum(1) for p in self.rbf.prototypes], 1)


class DenseLeNet(nn.Module):
    """The same shapes with nothing special: dense C3, average pooling, a linear output."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x: Tensor) -> Tensor:
        return self.features(x)


def _step(model: nn.Module, x: Tensor) -> None:
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()


def _images_per_second(model: nn.Module, x: Tensor, seconds: float) -> float:
    steps, started = 0, time.perf_counter()
    while True:
        _step(model, x)
        steps += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return steps * x.shape[0] / elapsed


def measure(batch_size: int, seconds: float = 2.0, rounds: int = 5) -> dict[str, float]:
    """Median forward+backward images per second of each network at ``batch_size``."""
    torch.manual_seed(0)
    lenet = LeNet5()
    naive = NaiveLeNet5()
    naive.load_state_dict(lenet.state_dict())
    models = {"LeNet5": lenet, "naive per-map": naive, "dense": DenseLeNet(), "ModernLeNet": ModernLeNet()}
    x = torch.randn(batch_size, 1, 32, 32)
    if not torch.allclose(naive(x), lenet(x), atol=1e-3):
        raise RuntimeError("the naive network does not compute what LeNet5 computes")
    for model in models.values():  # warm-up
        _step(model, x)
    results: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            results[name].append(_images_per_second(model, x, seconds / rounds))
    return {name: statistics.median(v) for name, v in results.items()}


def run(batch_sizes: list[int] = [1, 256], seconds: float = 2.0) -> dict[int, dict[str, float]]:  # noqa: B006
    """Print images/s per network and batch size, and LeNet5's speed ratios."""
    print(f"forward+backward on {torch.get_num_threads()} CPU thread(s), torch {torch.__version__}")
    table = {}
    for batch in batch_sizes:
        speeds = measure(batch, seconds)
        table[batch] = speeds
        print(f"\nbatch {batch}:")
        for name, ips in speeds.items():
            print(f"  {name:<14} {ips:>12,.0f} images/s")
        ours = speeds["LeNet5"]
        print(f"  LeNet5 is {ours / speeds['naive per-map']:.2f}x as fast as the naive per-map version")
        print(f"  LeNet5 takes {speeds['dense'] / ours:.2f}x the time of the dense network")
        print(f"  LeNet5 takes {speeds['ModernLeNet'] / ours:.2f}x the time of ModernLeNet")
    return table
