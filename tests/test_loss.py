"""The ML (eq. 8) and MAP (eq. 9) criteria against their formulas."""

from __future__ import annotations

import math

import pytest
import torch

from lenet.loss import criterion, map_loss, ml_loss


def test_ml_loss_is_mean_distance_of_correct_class() -> None:
    y = torch.tensor([[1.0, 5.0, 9.0], [4.0, 2.0, 8.0]])
    assert ml_loss(y, torch.tensor([0, 2])).item() == pytest.approx((1 + 8) / 2)


def test_map_loss_equals_formula() -> None:
    y = torch.rand(4, 10) * 30
    labels = torch.tensor([3, 0, 9, 5])
    j = 7.0
    expected = sum(float(y[p, labels[p]]) + math.log(math.exp(-j) + sum(math.exp(-float(v)) for v in y[p]))
                   for p in range(4)) / 4
    assert map_loss(y, labels, j).item() == pytest.approx(expected, rel=1e-5)


def test_map_loss_pushes_wrong_classes_away() -> None:
    y = torch.full((1, 10), 50.0, requires_grad=True)
    with torch.no_grad():
        y[0, 3] = 1.0
        y[0, 7] = 2.0
    map_loss(y, torch.tensor([3])).backward()
    assert y.grad[0, 3] > 0 and y.grad[0, 7] < 0


@pytest.mark.parametrize("call, message", [
    (lambda: ml_loss(torch.rand(3), torch.tensor([1, 2, 3])), r"\(N, classes\)"),
    (lambda: ml_loss(torch.rand(3, 10), torch.tensor([1, 2])), r"\(N,\)"),
    (lambda: ml_loss(torch.rand(2, 10), torch.tensor([1.0, 2.0])), "integer"),
    (lambda: map_loss(torch.rand(2, 10), torch.tensor([1, 2]), j=0), "positive"),
    (lambda: criterion("mse"), "'ml' or 'map'"),
])
def test_bad_arguments(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
