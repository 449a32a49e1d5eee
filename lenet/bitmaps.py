"""The ten 7x12 output prototypes of LeNet-5's RBF layer (Section II.B, Fig. 3).

Each digit's code is a stylised 7-column, 12-row bitmap: ``#`` is +1 (black),
``.`` is -1 (white).  The paper draws the whole printable ASCII set; these are
the digits as transcribed from Fig. 3 in the code in common use.  That
transcription carries a bar on the top row of 0, 2, 4 and 5 that belongs to no
digit's shape: it is an artefact of copying the figure's grid of glyphs, not a
design choice of the paper.  It is kept so that results compare with the
widely used code; fixed prototypes need only be far apart, which these remain
(see ``lenet.loss`` and the book's F6 chapter).  This module is the single
source of truth for the prototypes.
"""

from __future__ import annotations

import torch

ROWS, COLS = 12, 7

BITMAPS: dict[int, str] = {
    0: """
.#####.
.......
..###..
.##.##.
##...##
##...##
##...##
##...##
.##.##.
..###..
.......
.......
""",
    1: """
...##..
..###..
.####..
...##..
...##..
...##..
...##..
...##..
...##..
.######
.......
.......
""",
    2: """
.#####.
.......
.#####.
##...##
#....##
....##.
..###..
.##....
##.....
#######
.......
.......
""",
    3: """
#######
.....##
....##.
...##..
..####.
.....##
.....##
.....##
##...##
.#####.
.......
.......
""",
    4: """
.#####.
.......
.......
.##..##
.##..##
###..##
##...##
##...##
##..###
.######
.....##
.....##
""",
    5: """
.#####.
.......
#######
##.....
##.....
.####..
..####.
.....##
##...##
.#####.
.......
.......
""",
    6: """
..####.
.##....
##.....
##.....
######.
###..##
##...##
##...##
###..##
.#####.
.......
.......
""",
    7: """
#######
.....##
.....##
....##.
...##..
...##..
..##...
..##...
..##...
..##...
.......
.......
""",
    8: """
.#####.
##...##
##...##
##...##
.#####.
##...##
##...##
##...##
##...##
.#####.
.......
.......
""",
    9: """
.#####.
##..###
##...##
##...##
##..###
.######
.....##
.....##
....##.
.####..
.......
.......
""",
}


def bitmap(digit: int) -> torch.Tensor:
    """The prototype of ``digit`` as a (12, 7) tensor of +1/-1 (Fig. 3)."""
    if digit not in BITMAPS:
        raise ValueError(f"digit must be one of 0-9, got {digit!r}")
    rows = BITMAPS[digit].strip().splitlines()
    if len(rows) != ROWS or any(len(r) != COLS or set(r) - {"#", "."} for r in rows):
        raise ValueError(f"bitmap of {digit} must be {ROWS} rows of {COLS} '#'/'.' characters")
    return torch.tensor([[1.0 if c == "#" else -1.0 for c in r] for r in rows])


def prototypes() -> torch.Tensor:
    """The (10, 84) matrix of RBF centres, row i the flattened bitmap of digit i."""
    return torch.stack([bitmap(d).flatten() for d in range(10)])
