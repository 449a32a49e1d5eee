"""Training on real digits, checkpoints and resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import lenet.train as train_module
from lenet.train import PRESETS, TrainConfig, load_checkpoint, train


def test_short_cpu_run_learns_real_digits(mnist_train, mnist_test) -> None:
    config = TrainConfig(**{**PRESETS["minibatch"], "passes": 1, "train_limit": 30_000, "full_train_eval": False})
    # Speed is the benchmark's business (python -m lenet bench), not a unit test's.
    _, history = train(config, progress=False, device="cpu", train_split=mnist_train, test_split=mnist_test)
    assert history[0]["test_error"] < 5.0, history


def _tiny(**overrides) -> TrainConfig:
    values = {"passes": 2, "train_limit": 300, "test_limit": 200, "hessian_samples": 50, "mu": 0.5,
              "batch_size": 4, "distort": True, "seed": 3}
    return TrainConfig(**{**values, **overrides})


def test_resume_finishes_exactly_like_an_uninterrupted_run(tmp_path: Path, mnist_train, mnist_test,
                                                           monkeypatch) -> None:
    splits = {"train_split": mnist_train, "test_split": mnist_test, "progress": False, "device": "cpu"}
    whole, whole_history = train(_tiny(), tmp_path / "whole", **splits)

    real_pass = train_module.run_pass
    calls = {"n": 0}

    def disconnect_in_second_pass(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("Colab disconnected")
        return real_pass(*args, **kwargs)

    monkeypatch.setattr(train_module, "run_pass", disconnect_in_second_pass)
    with pytest.raises(KeyboardInterrupt):
        train(_tiny(), tmp_path / "cut", **splits)
    monkeypatch.setattr(train_module, "run_pass", real_pass)
    saved = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert saved["passes_done"] == 1
    resumed, history = train(_tiny(), tmp_path / "cut", resume=True, **splits)

    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in history]
    assert strip == [{k: v for k, v in e.items() if k != "seconds"} for e in whole_history]
    written = json.loads((tmp_path / "cut" / "history.json").read_text())
    assert [e["pass"] for e in written["history"]] == [1, 2]
    assert written["config"]["seed"] == 3 and "torch" in written["environment"]


def test_same_seed_same_result(mnist_train, mnist_test) -> None:
    splits = {"train_split": mnist_train, "test_split": mnist_test, "progress": False, "device": "cpu"}
    a, _ = train(_tiny(passes=1), **splits)
    b, _ = train(_tiny(passes=1), **splits)
    c, _ = train(_tiny(passes=1, seed=4), **splits)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    assert not torch.equal(a.c1.weight, c.c1.weight)


def test_modern_network_trains_with_adam(mnist_train, mnist_test) -> None:
    config = TrainConfig(**{**PRESETS["modern"], "passes": 1, "train_limit": 12_000, "full_train_eval": False})
    model, history = train(config, progress=False, device="cpu", train_split=mnist_train, test_split=mnist_test)
    assert history[0]["test_error"] < 15


def test_resume_refuses_missing_or_different_run(tmp_path: Path, mnist_train, mnist_test) -> None:
    splits = {"train_split": mnist_train, "test_split": mnist_test, "progress": False, "device": "cpu"}
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        train(_tiny(), tmp_path / "none", resume=True, **splits)
    train(_tiny(passes=1), tmp_path / "run", **splits)
    with pytest.raises(ValueError, match="different configuration"):
        train(_tiny(passes=1, seed=9), tmp_path / "run", resume=True, **splits)


@pytest.mark.parametrize("values, message", [
    ({"model": "vgg"}, "model must be one of"),
    ({"loss": "mse"}, "loss must be one of"),
    ({"passes": 0}, "at least 1"),
    ({"model": "modern", "optimizer": "sdlm"}, "adam"),
    ({"mu": 0.0}, "mu must be positive"),
    ({"first_pass_mu": -0.5}, "first_pass_mu"),
])
def test_bad_configuration(values: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TrainConfig(**values)
    with pytest.raises(ValueError, match="unknown configuration keys"):
        TrainConfig.from_dict({"epochs": 3})


def test_resume_can_extend_a_run(tmp_path: Path, mnist_train, mnist_test) -> None:
    splits = {"train_split": mnist_train, "test_split": mnist_test, "progress": False, "device": "cpu"}
    straight, _ = train(_tiny(passes=2), **splits)
    train(_tiny(passes=1), tmp_path / "run", **splits)
    extended, history = train(_tiny(passes=2), tmp_path / "run", resume=True, **splits)
    assert [e["pass"] for e in history] == [1, 2]
    pairs = zip(straight.state_dict().values(), extended.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    with pytest.raises(ValueError, match="already holds 2 passes"):
        train(_tiny(passes=1), tmp_path / "run", resume=True, **splits)


def test_first_pass_mu_applies_to_the_first_pass_only(mnist_train, mnist_test, monkeypatch) -> None:
    assert [TrainConfig(mu=0.02, first_pass_mu=0.5).mu_for_pass(i) for i in range(3)] == [0.5, 0.02, 0.02]
    assert TrainConfig(mu=0.3).mu_for_pass(0) == 0.3
    seen = []
    real_pass = train_module.run_pass

    def record_mu(model, optimizer, *args, **kwargs):
        result = real_pass(model, optimizer, *args, **kwargs)
        seen.append(optimizer.param_groups[0]["mu"])
        return result

    monkeypatch.setattr(train_module, "run_pass", record_mu)
    splits = {"train_split": mnist_train, "test_split": mnist_test, "progress": False, "device": "cpu"}
    train(_tiny(passes=3, mu=0.02, first_pass_mu=0.5), **splits)
    assert seen == [0.5, 0.02, 0.02]
