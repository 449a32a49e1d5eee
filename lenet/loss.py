"""The two training criteria of Section II.C, on the RBF outputs y (squared distances).

``ml_loss`` is the maximum-likelihood (MSE) criterion, eq. 8: the mean RBF output
of the correct class, i.e. the squared distance from F6 to the right prototype.
It is fine because the prototypes are fixed; were they trainable, every
prototype and F6 state could collapse onto one point at zero loss.

``map_loss`` is the more discriminative criterion, eq. 9.  It also pushes the
wrong classes away, like a softmax over -y with one extra "rubbish" class whose
distance is the constant j:

    E = mean_p ( y_{D_p} + log(e^{-j} + sum_i e^{-y_i}) ).

While the correct class is far (y_D > j) the e^{-j} term dominates and the loss
acts like ``ml_loss``; once y_D is well below j the loss only cares that the
other classes stay further away.  The paper gives no value for j.
"""

from __future__ import annotations

import torch
from torch import Tensor

# Our choice of j (eq. 9).  Squared distances from F6 to a prototype are sums over 84
# units of (x - w)^2; two prototypes differ in 20-50 of the 84 pixels, i.e. by 80-200.
# j = 10 keeps the pull of eq. 8 until F6 is within about one flipped-and-a-half pixel
# (y < 10) of its prototype, and from there lets the discriminative term work.
DEFAULT_J: float = 10.0


def _check(distances: Tensor, labels: Tensor) -> None:
    if distances.dim() != 2:
        raise ValueError(f"distances must be (N, classes), got shape {tuple(distances.shape)}")
    if labels.shape != distances.shape[:1]:
        raise ValueError(
            f"labels must be (N,) = ({distances.shape[0]},), got shape {tuple(labels.shape)}"
        )
    if labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"labels must be an integer tensor of class indices, got dtype {labels.dtype}")


def ml_loss(distances: Tensor, labels: Tensor) -> Tensor:
    """Maximum-likelihood criterion (eq. 8): mean over the batch of y_{D_p}."""
    _check(distances, labels)
    return distances.gather(1, labels[:, None].long()).mean()


def map_loss(distances: Tensor, labels: Tensor, j: float = DEFAULT_J) -> Tensor:
    """MAP criterion (eq. 9): mean of y_D + log(e^{-j} + sum_i e^{-y_i})."""
    _check(distances, labels)
    if j <= 0:
        raise ValueError(f"j must be a positive constant, got {j}")
    rubbish = torch.full_like(distances[:, :1], -float(j))
    log_partition = torch.logsumexp(torch.cat([rubbish, -distances], 1), 1)
    return (distances.gather(1, labels[:, None].long()).squeeze(1) + log_partition).mean()


def criterion(name: str, j: float = DEFAULT_J):
    """The loss function called ``name`` ("ml" or "map") as f(distances, labels)."""
    if name == "ml":
        return ml_loss
    if name == "map":
        return lambda d, y: map_loss(d, y, j)
    raise ValueError(f"loss must be 'ml' or 'map', got {name!r}")
