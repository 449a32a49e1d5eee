"""Write the Colab install cell, built from _config.yml, as the first cell of every chapter.

_config.yml's ``repository`` (url and branch) is the one place that names the
repository: the launch buttons read it, and this script copies it into each
notebook listed in _toc.yml.  ``--check`` changes nothing and exits 1 when a
notebook is out of date (tests/test_book.py runs the same check).

    .venv/bin/python tools/sync_colab.py [--check]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
# The book page does not need the cell: it installs nothing outside Colab.
TAGS = ["remove-cell"]


def repository(root: Path = ROOT) -> tuple[str, str]:
    """(url, branch) from _config.yml's ``repository`` section."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    repo = config["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def colab_source(url: str, branch: str) -> str:
    """The first cell: installs lenet from the repository in Colab, does nothing elsewhere."""
    return (
        "# In Colab, install the lenet package from the book's repository; elsewhere do nothing.\n"
        "import sys\n\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "lenet @ git+{url}@{branch}"'
    )


def chapters(root: Path = ROOT) -> list[Path]:
    """The notebooks _toc.yml lists, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    return [root / f"{f}.ipynb" for f in files]


def first_cell_ok(nb: nbformat.NotebookNode, source: str) -> bool:
    if not nb.cells:
        return False
    cell = nb.cells[0]
    return cell.cell_type == "code" and cell.source == source and cell.metadata.get("tags") == TAGS


def sync(paths: list[Path], source: str, check: bool = False) -> list[Path]:
    """Make every notebook's first cell ``source``; returns those that were (or would be) changed."""
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if first_cell_ok(nb, source):
            continue
        stale.append(path)
        if check:
            continue
        cell = nbformat.v4.new_code_cell(source, metadata={"tags": TAGS})
        if nb.cells and nb.cells[0].cell_type == "code" and "google.colab" in nb.cells[0].source:
            nb.cells[0] = cell
        else:
            nb.cells.insert(0, cell)
        nbformat.write(nb, path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale notebooks, change nothing")
    args = parser.parse_args(argv)
    stale = sync(chapters(), colab_source(*repository()), check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
