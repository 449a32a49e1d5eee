"""The chapters as committed: valid Colab-ready notebooks, in order, without outputs;
and the non-plotting helpers of lenet.book that they call."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest
import torch
import yaml

from lenet import LeNet5, ModernLeNet, book, paper

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("sync_colab", ROOT / "tools" / "sync_colab.py")
sync_colab = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_colab)

CHAPTERS = sync_colab.chapters(ROOT)
# The playground notebook belongs to the widget's own issue; it only has to be Colab-ready.
WRITTEN_HERE = [p for p in CHAPTERS if p.stem != "playground"]
ORDER = ["intro", "input", "c1", "s2", "c3", "s4-c5", "f6", "rbf", "playground", "training", "then-and-now"]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def test_table_of_contents_order():
    names = [p.stem.split("-", 1)[1] if p.stem[:2].isdigit() else p.stem for p in CHAPTERS]
    assert names == ORDER
    assert all(p.exists() for p in CHAPTERS), [p for p in CHAPTERS if not p.exists()]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_notebook_is_valid_python3_without_outputs(path):
    nb = _read(path)
    assert nb.nbformat == 4
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.kernelspec.language == "python"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"
    assert "widgets" not in nb.metadata, f"{path.name} carries widget state"


def test_colab_cell_in_sync_with_config():
    url, branch = sync_colab.repository(ROOT)
    stale = sync_colab.sync(CHAPTERS, sync_colab.colab_source(url, branch), check=True)
    assert not stale, f"run tools/sync_colab.py: {[p.name for p in stale]}"


def test_config_names_the_repository_once_for_launch_buttons():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    url = config["repository"]["url"]
    assert f"git+{url}@" in sync_colab.colab_source(url, "main")
    assert config["execute"]["raise_on_error"] is True


@pytest.mark.parametrize("path", WRITTEN_HERE, ids=lambda p: p.stem)
def test_chapter_opens_with_goals_and_ends_with_things_to_try(path):
    markdown = [c.source for c in _read(path).cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("# ")
    assert "What you will learn" in markdown[0]
    assert "## Things to try" in markdown[-1]


@pytest.mark.parametrize("path", WRITTEN_HERE, ids=lambda p: p.stem)
def test_cells_stay_short(path):
    long_cells = [c.source.splitlines()[0] for c in _read(path).cells
                  if c.cell_type == "code" and len(c.source.splitlines()) > 16]
    assert not long_cells, f"move the logic to lenet.viz or lenet.book: {long_cells}"


def test_colab_source_installs_only_in_colab():
    source = sync_colab.colab_source("https://example.org/x", "dev")
    assert source.splitlines()[-2] == 'if "google.colab" in sys.modules:'
    assert source.endswith('%pip install -q "lenet @ git+https://example.org/x@dev"')


def test_sync_rewrites_a_stale_first_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# google.colab old"),
                                         nbformat.v4.new_markdown_cell("# Title")])
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    source = sync_colab.colab_source("https://example.org/x", "main")
    assert sync_colab.sync([path], source) == [path]
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == [source, "# Title"]
    assert cells[0].metadata.tags == sync_colab.TAGS
    assert sync_colab.sync([path], source, check=True) == []


def test_one_per_class():
    labels = torch.tensor([3, 1, 0, 2, 4, 5, 6, 7, 8, 9, 1, 0])
    assert book.one_per_class(labels).tolist() == [2, 1, 3, 0, 4, 5, 6, 7, 8, 9]
    with pytest.raises(ValueError):
        book.one_per_class(labels, 2)


def test_digit_strip_places_each_core_every_spacing_pixels():
    digits = torch.full((3, 1, 32, 32), paper.BACKGROUND)
    digits[:, :, 2:30, 2:30] = torch.arange(3.0)[:, None, None, None]
    strip = book.digit_strip(digits, spacing=28)
    assert strip.shape == (1, 1, 32, 4 + 28 * 3)
    assert strip[0, 0, 16, 2 + 28 * 2 + 14].item() == 2.0
    assert strip[0, 0, 0].eq(paper.BACKGROUND).all()
    with pytest.raises(ValueError):
        book.digit_strip(torch.zeros(2, 1, 28, 28))


def test_trainable_parameters():
    assert book.trainable_parameters(LeNet5()) == 60_000
    assert book.trainable_parameters(ModernLeNet()) == sum(p.numel() for p in ModernLeNet().parameters())


def test_markdown_table_and_percent():
    assert book.markdown_table(["a", "b"], [[1, "x"]]).splitlines() == ["| a | b |", "|---|---|", "| 1 | x |"]
    assert book.percent(0.954) == "0.95%" and book.percent(None) == "-"


def _record(test_error: float, mu: float, train_error: float | None, init: str = "sqrt_fan_in") -> dict:
    history = [{"pass": 1, "test_error": test_error + 1, "train_error": None, "train_error_online": 9.0,
                "seconds": 10.0},
               {"pass": 2, "test_error": test_error, "train_error": train_error, "train_error_online": 3.0,
                "seconds": 5.5}]
    config = {"mu": mu, "train_limit": 0, "init": init, "loss": "map", "j": 10.0}
    return {"config": config, "history": history, "test_error": test_error, "device": "cuda"}


def test_results_rows_come_from_the_records():
    rows = book.results_rows({"lenet5": _record(1.1, 0.5, None),
                              "lenet5-distortions": _record(0.83, 0.2, 0.2, init="fan_in")})
    table = {r[0]: r[1:] for r in rows}
    assert table["test error, no distortions"] == [book.percent(paper.RESULTS["test_error"]), "1.10%"]
    assert table["training error after pass 2"][1] == "3.00%"  # falls back to the on-the-fly error
    assert table["test digits misclassified (Fig. 8)"] == [str(paper.RESULTS["fig8_errors"]), "83"]
    assert table["SDLM mu"] == [str(paper.SDLM_MU), "0.5 without distortions, 0.2 with"]
    assert table["initial weights"] == ["uniform in ±2.4/F_i", "±2.4/√F_i without distortions, ±2.4/F_i with"]
    assert table["passes"][1] == "2"
    gains = book.results_rows({"lenet5": _record(1, 1, None, init="fan_in_gains"),
                               "lenet5-distortions": _record(1, 1, None, init="fan_in_gains")})
    assert gains[5][2] == book.INIT_NAMES["fan_in_gains"]
    assert table["loss"][1] == "MAP, j = 10"
    assert book.total_seconds(_record(1, 1, None)) == 15.5
    assert book.describe_run(_record(1, 1, None)) == "2 pass(es) over 60,000 training digits on cuda"


def test_chapter_config_full_on_gpu_short_on_cpu():
    shipped = {**book.chapter_config({}, torch.device("cpu")).__dict__, "passes": 1, "train_limit": 20_000, "mu": 0.5}
    gpu = book.chapter_config(shipped, torch.device("cuda"))
    assert (gpu.passes, gpu.train_limit, gpu.mu) == (paper.PASSES, 0, 0.5)
    cpu = book.chapter_config(shipped, torch.device("cpu"), cpu_digits=1234)
    assert (cpu.passes, cpu.train_limit, cpu.full_train_eval, cpu.mu) == (1, 1234, False, 0.5)


def test_initialisation_rows_compare_the_two_rules(mnist_train):
    rows = book.initialisation_rows(mnist_train.images[:200])
    assert [r[0] for r in rows] == ["C1", "S2", "C3", "S4", "C5", "F6"]
    f6 = rows[-1]
    assert float(f6[1]) < 0.01 < 0.5 < float(f6[2])  # the signal fades only under 2.4/F_i
    assert all(float(r[3]) < float(r[4]) for r in rows)  # and so does the curvature


def test_subsampling_gain_rows_mark_the_coefficients_that_start_near_zero():
    torch.manual_seed(0)
    drawn = LeNet5().s4.weight.detach()
    trained = LeNet5(init="fan_in_gains")
    rows = book.subsampling_gain_rows(trained, seed=0)
    assert [r[0] for r in rows] == [str(m) for m in range(16)]
    marked = [int(r[0]) for r in rows if "near 0" in r[1]]
    assert marked == torch.nonzero(drawn.abs() < 0.1).flatten().tolist() and marked
    assert all(r[2] == f"{paper.INIT_RANGE / 4:+.2f}" for r in rows)
