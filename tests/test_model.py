"""LeNet5 and ModernLeNet: shapes, batch sizes, devices and bad input."""

from __future__ import annotations

import pytest
import torch

from lenet import LAYER_NAMES, LeNet5, ModernLeNet, paper
from lenet.sdlm import gauss_newton_diagonal


@pytest.mark.parametrize("batch", [1, 7])
def test_forward_shapes_and_prediction(batch: int) -> None:
    model = LeNet5()
    x = torch.randn(batch, 1, 32, 32)
    y = model(x)
    assert y.shape == (batch, 10)
    assert (y >= 0).all(), "squared distances"
    assert torch.equal(model.predict(x), y.argmin(1))


def test_submodules_named_after_the_paper() -> None:
    model = LeNet5()
    assert [n for n in LAYER_NAMES if hasattr(model, n)] == ["c1", "s2", "c3", "s4", "c5", "f6", "rbf"]


def test_activations_cover_every_layer_and_match_forward() -> None:
    model = LeNet5()
    x = torch.randn(2, 1, 32, 32)
    acts = model.activations(x)
    assert list(acts) == list(LAYER_NAMES)
    shapes = {k: tuple(v.shape[1:]) for k, v in acts.items()}
    assert shapes == {"c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5),
                      "c5": (120, 1, 1), "f6": (84,), "rbf": (10,)}
    assert torch.allclose(acts["rbf"], model(x))


def test_distance_maps_slide_the_whole_network() -> None:
    model = LeNet5()
    wide = torch.randn(1, 1, 32, 32 + 4 * 5)
    maps = model.distance_maps(wide)
    assert maps.shape == (1, 10, 1, 6)
    for k in range(6):  # each column is the network applied to the 32x32 window at 4k
        window = wide[..., 4 * k: 4 * k + 32]
        assert torch.allclose(maps[0, :, 0, k], model(window)[0], atol=1e-4)


@pytest.mark.parametrize("bad, message", [
    (torch.zeros(1, 1, 32, 32, dtype=torch.uint8), "to_paper_scale"),
    (torch.zeros(1, 32, 32), "unsqueeze"),
    (torch.zeros(32, 32), r"x\[None, None\]"),
    (torch.zeros(2, 3, 32, 32), "3 channels"),
    (torch.zeros(2, 1, 28, 28), "pad_to_32"),
    (torch.zeros(0, 1, 32, 32), "empty batch"),
    ([[0.0]], "list"),
])
def test_bad_input_raises_value_error_that_says_what_to_do(bad: object, message: str) -> None:
    for model in (LeNet5(), ModernLeNet()):
        with pytest.raises(ValueError, match=message):
            model(bad)


def test_distance_maps_reject_too_small_input() -> None:
    with pytest.raises(ValueError, match="at least 32x32"):
        LeNet5().distance_maps(torch.zeros(1, 1, 32, 20))


def test_modern_lenet_is_the_usual_simplification() -> None:
    model = ModernLeNet()
    assert model(torch.randn(3, 1, 32, 32)).shape == (3, 10)
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert isinstance(model.s2, torch.nn.MaxPool2d)


def test_double_precision_works() -> None:
    model = LeNet5().double()
    assert model(torch.randn(2, 1, 32, 32, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_matches_cpu() -> None:
    model = LeNet5()
    x = torch.randn(4, 1, 32, 32)
    assert torch.allclose(model.cuda()(x.cuda()).cpu(), model.cpu()(x), atol=1e-4)


def test_sqrt_fan_in_keeps_signals_and_curvature_alive(mnist_train) -> None:
    """Why the reproduction needs mu = 0.5: with Appendix A's 2.4/F_i the
    signal fades layer by layer on MNIST and h_kk falls far below mu = 0.02."""
    x = mnist_train.images[:300]
    torch.manual_seed(0)
    literal, root = LeNet5(init="fan_in"), LeNet5(init="sqrt_fan_in")
    assert literal.activations(x)["f6"].std() < 0.01
    assert 0.5 < root.activations(x)["f6"].std() < 1.7
    for name, h in gauss_newton_diagonal(literal, x).items():
        if name.endswith("weight"):
            assert h[h != 0].median() < paper.SDLM_MU / 100, name
    for name, h in gauss_newton_diagonal(root, x).items():
        assert h[h != 0].median() > 10 * paper.SDLM_MU, name


def test_default_initialisation_is_the_papers_text() -> None:
    torch.manual_seed(5)
    a = LeNet5()
    torch.manual_seed(5)
    b = LeNet5(init="fan_in")
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert a.c1.weight.abs().max() <= paper.INIT_RANGE / 25
    with pytest.raises(ValueError, match="sqrt_fan_in"):
        LeNet5(init="xavier")


def test_fan_in_gains_changes_only_the_subsampling_coefficients() -> None:
    torch.manual_seed(5)
    paper_draws = LeNet5()
    torch.manual_seed(5)
    gains = LeNet5(init="fan_in_gains")
    for (name, p), q in zip(paper_draws.named_parameters(), gains.parameters(), strict=True):
        if name in ("s2.weight", "s4.weight"):
            assert torch.equal(q, torch.full_like(q, paper.INIT_RANGE / 4)), name
            assert not torch.equal(p, q), name
        else:
            assert torch.equal(p, q), name
    gains.reset_parameters("fan_in_gains")
    assert torch.equal(gains.s4.weight, torch.full((16,), paper.INIT_RANGE / 4))
    assert gains.c3.weight.abs().max() <= paper.INIT_RANGE / 75
