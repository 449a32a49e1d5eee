"""Table I, the bitmaps, the schedule and the layer table against the paper."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from lenet import LeNet5, bitmaps, layer_table, paper

PAPER_TABLE = [  # Section II.B: (layer, output, trainable parameters, connections)
    ("C1", (6, 28, 28), 156, 122_304),
    ("S2", (6, 14, 14), 12, 5_880),
    ("C3", (16, 10, 10), 1_516, 151_600),
    ("S4", (16, 5, 5), 32, 2_000),
    ("C5", (120, 1, 1), 48_120, 48_120),
    ("F6", (84,), 10_164, 10_164),
    ("RBF", (10,), 0, 840),
    ("total", (), 60_000, 340_908),
]


def test_layer_table_equals_paper() -> None:
    rows = [(r.name, r.output_shape, r.trainable, r.connections) for r in layer_table(LeNet5())]
    assert rows == PAPER_TABLE


def test_trainable_count_matches_autograd_view() -> None:
    model = LeNet5()
    dense = sum(p.numel() for p in model.parameters())
    unconnected = int((~model.c3.connections).sum()) * 25
    assert dense - unconnected == 60_000


def test_summary_cli_prints_the_table() -> None:
    out = subprocess.run([sys.executable, "-m", "lenet", "summary"], capture_output=True, text=True, check=True).stdout
    for name, _, trainable, connections in PAPER_TABLE:
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert f"{trainable:,}" in line and f"{connections:,}" in line


def test_table_i_matches_the_paper_rows() -> None:
    # Rows of Table I as printed in the paper (S2 map -> connected C3 maps).
    printed = {
        0: {0, 4, 5, 6, 9, 10, 11, 12, 14, 15},
        1: {0, 1, 5, 6, 7, 10, 11, 12, 13, 15},
        2: {0, 1, 2, 6, 7, 8, 11, 13, 14, 15},
        3: {1, 2, 3, 6, 7, 8, 9, 12, 14, 15},
        4: {2, 3, 4, 7, 8, 9, 10, 12, 13, 15},
        5: {3, 4, 5, 8, 9, 10, 11, 13, 14, 15},
    }
    for row, text in enumerate(paper.TABLE_I):
        assert {i for i, c in enumerate(text) if c == "X"} == printed[row]


def test_bitmaps_are_7x12_plus_minus_one() -> None:
    protos = bitmaps.prototypes()
    assert protos.shape == (10, 84)
    assert set(protos.unique().tolist()) == {-1.0, 1.0}
    assert torch.equal(LeNet5().rbf.prototypes, protos)
    one = bitmaps.bitmap(1)
    assert one.shape == (12, 7)
    assert one[9].tolist() == [-1, 1, 1, 1, 1, 1, 1]  # the foot of the 1
    for d in (0, 2, 4, 5):  # the top bar artefact of the common transcription
        assert bitmaps.bitmap(d)[0].tolist() == [-1, 1, 1, 1, 1, 1, -1]
    distances = torch.cdist(protos, protos) ** 2
    assert distances[~torch.eye(10, dtype=torch.bool)].min() > 40  # prototypes far apart


def test_bitmap_rejects_unknown_digit() -> None:
    with pytest.raises(ValueError, match="0-9"):
        bitmaps.bitmap(10)


def test_eta_schedule_has_five_stages() -> None:
    etas = [paper.eta_for_pass(k) for k in range(20)]
    assert etas == [5e-4] * 2 + [2e-4] * 3 + [1e-4] * 3 + [5e-5] * 4 + [1e-5] * 8
    assert paper.eta_for_pass(25) == 1e-5
    with pytest.raises(ValueError):
        paper.eta_for_pass(-1)
