"""The book's figure helpers draw what they promise, on an untrained network (fast)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from lenet import LeNet5, book, paper, viz  # noqa: E402
from lenet.bitmaps import prototypes  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def model() -> LeNet5:
    torch.manual_seed(0)
    return LeNet5().eval()


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    x = torch.full((4, 1, 32, 32), paper.BACKGROUND)
    x[:, :, 8:24, 14:18] = paper.FOREGROUND
    return x


def _images(fig: Figure) -> int:
    return sum(len(ax.images) for ax in fig.axes)


def test_show_digits_one_image_per_digit(digits):
    fig = viz.show_digits(digits, titles=list("abcd"), cols=3)
    assert _images(fig) == 4
    assert [ax.get_title() for ax in fig.axes if ax.images] == list("abcd")


def test_show_digits_accepts_an_empty_batch():
    assert _images(viz.show_digits(torch.empty(0, 1, 32, 32))) == 0


def test_feature_maps_and_kernels(model, digits):
    acts = model.activations(digits[:1])
    assert _images(viz.show_maps(acts["c1"][0], cols=6)) == 6
    assert _images(viz.show_maps(acts["c3"][0], cols=8)) == 16
    assert _images(viz.show_kernels(model.c1.weight)) == 6


def test_compare_pooling_has_four_panels(model, digits):
    acts = model.activations(digits[:1])
    fig = viz.compare_pooling(acts["c1"][0, 0], acts["s2"][0, 0], 0.5, -0.1)
    assert [im.get_array().shape for ax in fig.axes for im in ax.images] == [(28, 28), (14, 14), (14, 14), (14, 14)]


def test_table_i_heat_map_marks_every_connection(model):
    fig = viz.plot_table_i(model.c3.connections)
    marks = [t for t in fig.axes[0].texts if t.get_text() == "X"]
    assert len(marks) == int(model.c3.connections.sum()) == 60


def test_sdnn_plot_marks_one_answer_per_window(model, digits):
    strip = book.digit_strip(digits)
    distances = model.distance_maps(strip)[0, :, 0]
    fig = viz.plot_sdnn(strip, distances)
    dots = fig.axes[1].lines[0].get_xdata()
    assert len(dots) == distances.shape[1]


def test_bitmaps_and_f6_pairs(model, digits):
    protos = prototypes()
    assert _images(viz.show_bitmaps(protos)) == 10
    f6 = model.activations(digits)["f6"]
    fig = viz.plot_f6_beside_prototypes(digits, f6, protos, torch.tensor([0, 1, 2, 3]))
    assert _images(fig) == 12


def test_distances_highlight_the_nearest(model, digits):
    d = model(digits)
    fig = viz.plot_distances(d, torch.arange(4), digits)
    bars = fig.axes[4].patches  # the first bar chart, below the four digits
    green = [i for i, b in enumerate(bars) if b.get_facecolor()[:3] == matplotlib.colors.to_rgb("tab:green")]
    assert green == [int(d[0].argmin())]


def test_line_plots():
    assert len(viz.plot_squash().axes[0].lines) == 5
    assert len(viz.plot_map_loss([1, 10]).axes[0].lines) == 3


def test_history_plot_handles_missing_full_training_error():
    history = [{"pass": 1, "test_error": 2.0, "train_error": None, "train_error_online": 5.0},
               {"pass": 2, "test_error": 1.5, "train_error": 1.0, "train_error_online": 2.0}]
    fig = viz.plot_history({"a": {"history": history}})
    train_line = fig.axes[0].lines[1]
    assert list(train_line.get_ydata()) == [5.0, 1.0]


def test_subsampling_and_comparison_bars(model):
    fig = viz.plot_subsampling_coefficients({"S2": model.s2, "S4": model.s4})
    assert [len(ax.patches) for ax in fig.axes] == [12, 32]
    fig = viz.plot_comparison(["x", "y"], {"error": [1.0, 2.0], "time": [3.0, 4.0]})
    assert [len(ax.patches) for ax in fig.axes] == [2, 2]
