"""The networks this project trained, shipped inside the package.

Each ``weights/<name>.pt`` is a state dict; ``weights/<name>.json`` beside it
holds the command, configuration, seed, library versions, per-pass history and
final test error of the run that produced it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from .model import LeNet5, ModernLeNet

WEIGHTS_DIR = Path(__file__).parent / "weights"
ARCHITECTURES: dict[str, type[nn.Module]] = {"lenet5": LeNet5, "modern": ModernLeNet}


def available() -> list[str]:
    """Names of the shipped networks."""
    return sorted(p.stem for p in WEIGHTS_DIR.glob("*.pt"))


def record(name: str) -> dict:
    """The JSON record of the run that trained ``name``."""
    _check_name(name)
    return json.loads((WEIGHTS_DIR / f"{name}.json").read_text())


def _check_name(name: str) -> None:
    if name not in available():
        raise ValueError(f"unknown pretrained network {name!r}; known: {', '.join(available()) or 'none'}")


def load_pretrained(name: str = "lenet5", device: str | torch.device = "cpu") -> nn.Module:
    """A shipped network, in eval mode on ``device`` (loaded with ``weights_only=True``)."""
    _check_name(name)
    architecture = record(name)["config"]["model"]
    model = ARCHITECTURES[architecture]()
    state = torch.load(WEIGHTS_DIR / f"{name}.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.to(device).eval()


def export(model: nn.Module, name: str, info: dict, directory: Path = WEIGHTS_DIR) -> Path:
    """Save ``model``'s state dict and ``info`` as ``directory/<name>.pt`` and ``.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save(state, directory / f"{name}.pt")
    (directory / f"{name}.json").write_text(json.dumps(info, indent=1) + "\n")
    return directory / f"{name}.pt"
