"""The shipped networks: each re-evaluated on the 10,000 MNIST test digits against its record."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
import torch

from lenet import paper
from lenet.pretrained import available, load_pretrained, record
from lenet.train import error_rate

SHIPPED = ["lenet5", "lenet5-distortions", "modern"]
# Issue #3's acceptance: the paper's own numbers (Section III.C), or better.
TARGETS = {"lenet5": paper.RESULTS["test_error"], "lenet5-distortions": paper.RESULTS["test_error_distortions"]}


def test_all_three_are_shipped_and_small() -> None:
    assert set(SHIPPED) <= set(available())
    from lenet.pretrained import WEIGHTS_DIR

    for name in SHIPPED:
        assert (WEIGHTS_DIR / f"{name}.pt").stat().st_size < 1_000_000


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_scores_its_recorded_test_error(name: str, mnist_test) -> None:
    model = load_pretrained(name)
    assert not model.training
    info = record(name)
    assert {"command", "config", "seed", "environment", "history", "test_error"} <= set(info)
    error = error_rate(model, mnist_test)
    assert error == pytest.approx(info["test_error"], abs=1e-9)
    assert info["history"][-1]["test_error"] == info["test_error"]
    if name in TARGETS:
        assert error <= TARGETS[name], f"{name}: {error:.2f}% misses the paper's {TARGETS[name]:.2f}%"


@pytest.mark.parametrize("name", SHIPPED)
def test_recorded_command_asks_for_the_recorded_configuration(name: str) -> None:
    """Run today, each record's command would train exactly the configuration it records
    (a record older than a configuration field ran with that field's default)."""
    from dataclasses import asdict

    from lenet.__main__ import build_parser, config_from_args
    from lenet.train import TrainConfig

    info = record(name)
    words = shlex.split(info["command"])
    assert words[:3] == ["python", "-m", "lenet"]
    recorded = asdict(TrainConfig.from_dict(info["config"]))
    assert asdict(config_from_args(build_parser().parse_args(words[3:]))) == recorded


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="lenet5-distortions"):
        load_pretrained("lenet6")


def test_evaluate_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "lenet", "evaluate", "lenet5", "--device", "cpu"],
                         capture_output=True, text=True, check=True).stdout
    assert f"{record('lenet5')['test_error']:.2f}%" in out


def test_loads_on_requested_device() -> None:
    model = load_pretrained("lenet5", device="cpu")
    assert next(model.parameters()).device == torch.device("cpu")
