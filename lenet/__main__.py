"""Command line: ``python -m lenet summary | train | evaluate | bench``."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import asdict, fields
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .train import TrainConfig


def _summary(_: argparse.Namespace) -> int:
    from .model import format_layer_table, layer_table

    print(format_layer_table(layer_table()))
    return 0


def _train(args: argparse.Namespace) -> int:
    from .pretrained import export
    from .train import environment, train

    config = config_from_args(args)
    model, history = train(config, args.run_dir, resume=args.resume, device=args.device,
                           progress=not args.quiet)
    final = history[-1]
    print(f"final test error {final['test_error']:.2f}% after {final['pass']} passes")
    if args.export:
        # Resuming gives the same result as running straight through, so the recorded
        # command is the straight one.
        argv = _without(sys.argv[1:], flags={"--resume", "--quiet"}, options={"--run-dir"})
        command = "python -m lenet " + " ".join(shlex.quote(a) for a in argv)
        info = {"command": command, "config": asdict(config), "seed": config.seed, "environment": environment(),
                "device": str(next(model.parameters()).device), "history": history,
                "test_error": final["test_error"]}
        print(f"saved {export(model, args.export, info)}")
    return 0


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The training configuration a ``train`` command line asks for: its preset, then its flags."""
    from .train import PRESETS, TrainConfig

    values = dict(PRESETS[args.preset])
    for f in fields(TrainConfig):
        given = getattr(args, f.name, None)
        if given is not None:
            values[f.name] = given
    return TrainConfig.from_dict(values)


def _without(argv: list[str], flags: set[str], options: set[str]) -> list[str]:
    """``argv`` less the given flags and options (with their values)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in options:
            skip = True
        elif arg not in flags and arg.split("=")[0] not in options:
            kept.append(arg)
    return kept


def _evaluate(args: argparse.Namespace) -> int:
    from .data import load_mnist
    from .pretrained import load_pretrained, record
    from .train import error_rate, pick_device

    device = pick_device(args.device)
    model = load_pretrained(args.name, device)
    error = error_rate(model, load_mnist("test", device))
    recorded = record(args.name)["test_error"]
    print(f"{args.name}: test error {error:.2f}% ({round(error * 100)} of 10,000); recorded {recorded:.2f}%")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import run

    run(batch_sizes=args.batch_sizes, seconds=args.seconds)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m lenet``."""
    from .train import PRESETS, TrainConfig

    parser = argparse.ArgumentParser(prog="python -m lenet", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", help="print the paper's layer table, computed from the modules")

    t = sub.add_parser("train", help="train a network (the paper's recipe by default)")
    t.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            t.add_argument(flag, action=argparse.BooleanOptionalAction, default=None)
        else:
            kind = {"int": int, "float": float, "str": str}[str(f.type)]
            t.add_argument(flag, type=kind, default=None)
    t.add_argument("--run-dir", help="folder for history.json and the checkpoint written after each pass")
    t.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    t.add_argument("--device", default="auto", help="cuda, cpu or auto (CUDA if available)")
    t.add_argument("--threads", type=int, help="CPU threads for torch")
    t.add_argument("--export", metavar="NAME", help="save weights and record as lenet/weights/NAME.pt/.json")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    e = sub.add_parser("evaluate", help="test error of a shipped network on the 10,000 MNIST test digits")
    e.add_argument("name", nargs="?", default="lenet5")
    e.add_argument("--device", default="auto")

    b = sub.add_parser("bench", help="forward+backward speed of LeNet5 against naive and dense versions")
    b.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 256])
    b.add_argument("--seconds", type=float, default=2.0, help="time budget per measurement")
    b.add_argument("--threads", type=int, help="CPU threads for torch")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    if args.command == "train" and args.resume and not args.run_dir:
        parser.error("--resume needs --run-dir")
    try:
        return {"summary": _summary, "train": _train, "evaluate": _evaluate, "bench": _bench}[args.command](args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
