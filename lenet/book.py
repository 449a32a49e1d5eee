"""Small non-plotting helpers the book's chapters share: picking digits, building
inputs, and turning the shipped records into tables and sentences.

The chapters keep their cells short by calling these; every number a chapter
writes in its prose comes from here or from ``lenet.paper``, never typed in.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from . import paper
from .model import LAYER_NAMES, LeNet5, ModernLeNet, layer_table
from .sdlm import gauss_newton_diagonal
from .train import TrainConfig


def one_per_class(labels: Tensor, per_class: int = 1) -> Tensor:
    """Indices of the first ``per_class`` digits of each class: the first 0, 1, ..., 9, then
    the second of each, and so on (so ``[d::10]`` selects the digits of class ``d``)."""
    picked = [torch.nonzero(labels == d).flatten()[:per_class] for d in range(10)]
    if any(len(p) < per_class for p in picked):
        raise ValueError(f"fewer than {per_class} examples of some digit")
    return torch.stack(picked, 1).flatten()


def digit_strip(images: Tensor, spacing: int = 28) -> Tensor:
    """Lay 32x32 digits side by side, ``spacing`` pixels apart, as one (1, 1, 32, W) image.

    Section VII.A: the space-displacement network reads a line of characters
    this way.  Each digit's 28x28 core is pasted over a background strip; the
    2-pixel margins overlap when ``spacing`` < 32.
    """
    if images.dim() != 4 or images.shape[1:] != (1, paper.INPUT_SIZE, paper.INPUT_SIZE):
        raise ValueError(f"expected (N, 1, 32, 32) digits, got shape {tuple(images.shape)}")
    margin = (paper.INPUT_SIZE - paper.MNIST_SIZE) // 2
    n = images.shape[0]
    width = 2 * margin + spacing * (n - 1) + paper.MNIST_SIZE
    strip = torch.full((1, 1, paper.INPUT_SIZE, width), paper.BACKGROUND, dtype=images.dtype)
    core = images[:, :, margin:-margin, margin:-margin]
    for i in range(n):
        left = margin + i * spacing
        window = strip[..., margin:-margin, left:left + paper.MNIST_SIZE]
        # Overlapping cores keep the darker pixel, as ink on paper would.
        window.copy_(torch.maximum(window, core[i:i + 1]))
    return strip


def trainable_parameters(model: nn.Module) -> int:
    """Free parameters of ``model``; for LeNet5, C3's masked-out weights are not counted."""
    if isinstance(model, LeNet5):
        return layer_table(model)[-1].trainable
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; the chapters show it with ``IPython.display.Markdown``."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def percent(value: float | None) -> str:
    """An error rate as the book prints it, e.g. ``0.95%``; a dash when not measured."""
    return "-" if value is None else f"{value:.2f}%"


def total_seconds(record: dict) -> float:
    """Training time of a shipped run: the sum of its passes' seconds."""
    return float(sum(h["seconds"] for h in record["history"]))


def describe_run(record: dict) -> str:
    """One line saying how a shipped run was trained: passes, digits, device."""
    config = record["config"]
    digits = config["train_limit"] or 60_000
    return (f"{len(record['history'])} pass(es) over {digits:,} training digits on "
            f"{record.get('device', 'an unrecorded device')}")


def _loss_name(config: dict) -> str:
    return f"MAP, j = {config['j']:g}" if config.get("loss") == "map" else "ML"


INIT_NAMES = {"fan_in": "±2.4/F_i", "fan_in_gains": "±2.4/F_i, S2/S4 coefficients +2.4/F_i",
              "sqrt_fan_in": "±2.4/√F_i"}


def _both(plain: object, distorted: object) -> str:
    """One table cell for the two shipped runs: one value if they agree, else both, labelled."""
    return str(plain) if plain == distorted else f"{plain} without distortions, {distorted} with"


def results_rows(records: dict[str, dict]) -> list[list[str]]:
    """Paper versus book (Section III.C, Figs. 5 and 8), from ``lenet.paper.RESULTS`` and
    the records of the shipped ``lenet5`` and ``lenet5-distortions`` runs."""
    plain, distorted = records["lenet5"], records["lenet5-distortions"]
    last = plain["history"][-1]
    train_err = last["train_error"] if last["train_error"] is not None else last["train_error_online"]
    wrong = round(distorted["test_error"] * 100)  # percent of 10,000 test digits
    return [
        ["test error, no distortions", percent(paper.RESULTS["test_error"]), percent(plain["test_error"])],
        [f"training error after pass {last['pass']}", percent(paper.RESULTS["train_error_after_19_passes"])
         + " (after 19 passes)", percent(train_err)],
        ["test error, with distortions", percent(paper.RESULTS["test_error_distortions"]),
         percent(distorted["test_error"])],
        ["test digits misclassified (Fig. 8)", str(paper.RESULTS["fig8_errors"]), str(wrong)],
        ["passes", str(paper.PASSES), _both(len(plain["history"]), len(distorted["history"]))],
        ["initial weights", "uniform in ±2.4/F_i",
         _both(*(INIT_NAMES[r["config"].get("init", "fan_in")] for r in (plain, distorted)))],
        ["SDLM mu", str(paper.SDLM_MU), _both(plain["config"]["mu"], distorted["config"]["mu"])],
        ["loss", "eq. 8 (ML) or eq. 9 (MAP, j not given)",
         _both(*(_loss_name(r["config"]) for r in (plain, distorted)))],
    ]


def initialisation_rows(images: Tensor, seed: int = 0) -> list[list[str]]:
    """For each trainable layer, under Appendix A's 2.4/F_i and under 2.4/sqrt(F_i):
    the spread (standard deviation) of its outputs on ``images`` and the median
    Gauss-Newton h_kk of its weights (Appendix C), for freshly initialised networks."""
    columns = []
    for rule in ("fan_in", "sqrt_fan_in"):
        torch.manual_seed(seed)
        model = LeNet5(init=rule)
        with torch.no_grad():
            spread = {k: v.std().item() for k, v in model.activations(images).items()}
        h = gauss_newton_diagonal(model, images)
        # C3's weights outside Table I are not parameters; their h_kk is exactly 0.
        median = {k: v[v != 0].median().item() for k, v in h.items()}
        columns.append((spread, median))
    (spread_a, h_a), (spread_b, h_b) = columns
    return [[name.upper(), f"{spread_a[name]:.4f}", f"{spread_b[name]:.2f}", f"{h_a[name + '.weight']:.1e}",
             f"{h_b[name + '.weight']:.1e}"] for name in LAYER_NAMES[:-1]]


def subsampling_gain_rows(trained: nn.Module, seed: int = 0, near_zero: float = 0.1) -> list[list[str]]:
    """S4's coefficient per map: as Appendix A's rule draws it with ``seed`` (marked
    when within ``near_zero`` of 0, where the map starts switched off) and as
    ``trained`` (a ``LeNet5``) ended up."""
    torch.manual_seed(seed)
    drawn = LeNet5(init="fan_in").s4.weight.detach()
    final = trained.s4.weight.detach().cpu()
    return [[str(m), f"{d:+.2f}" + (" (near 0)" if abs(d) < near_zero else ""), f"{f:+.2f}"]
            for m, (d, f) in enumerate(zip(drawn.tolist(), final.tolist(), strict=True))]


def chapter_config(reproduction: dict, device: torch.device, cpu_digits: int = 3000) -> TrainConfig:
    """The training chapter's run: the reproduction's whole recipe on a GPU, and
    on a CPU one pass over ``cpu_digits`` digits so the page builds in minutes.

    ``reproduction`` is the shipped record's ``config``; on a GPU its digit
    limit and pass count are reset to the paper's (all 60,000, 20 passes).
    """
    values = dict(reproduction)
    if device.type == "cuda":
        values.update(passes=paper.PASSES, train_limit=0, test_limit=0)
    else:
        values.update(passes=1, train_limit=cpu_digits, full_train_eval=False)
    return TrainConfig.from_dict(values)


def faithful_versus_usual() -> list[list[str]]:
    """The paper's LeNet-5 (Section II.B, Appendices A and C) against the simplified
    version most tutorials teach (``lenet.ModernLeNet``), one row per difference."""
    connected = sum(row.count("X") for row in paper.TABLE_I)
    return [
        ["input", f"32x32, background {paper.BACKGROUND}, ink {paper.FOREGROUND}",
         "28x28 or 32x32, 0..1 or standardised"],
        ["squashing", f"$f(a) = {paper.SQUASH_A}\\tanh({paper.SQUASH_S:.4f}\\,a)$", "ReLU"],
        ["S2, S4", "sum of 2x2, times a trainable coefficient, plus a trainable bias", "max pooling, nothing to learn"],
        ["C3", f"each map sees only the S2 maps of Table I ({connected} of 96 pairs)", "each map sees all 6"],
        ["output", "10 Euclidean RBF units with fixed 7x12 bitmap prototypes", "10 linear units and a softmax"],
        ["loss", "squared distance to the right prototype (ML), or MAP with a constant $j$", "cross-entropy"],
        ["training", f"online, one digit at a time, {paper.PASSES} passes, stochastic diagonal Levenberg-Marquardt",
         "minibatches, Adam or SGD"],
        ["trainable parameters", f"{trainable_parameters(LeNet5()):,}", f"{trainable_parameters(ModernLeNet()):,}"],
    ]
