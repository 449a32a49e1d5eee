"""The draw-a-digit widget's JavaScript, run in Node, against the Python it mirrors.

The pad must see what PyTorch sees: the same MNIST normalisation
(``lenet.data.centre_like_mnist``, Section III.A) and the same LeNet-5
(Section II.B) with the shipped weights, read at run time.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest
import torch

from lenet import paper
from lenet.data import centre_like_mnist, load_mnist
from lenet.pretrained import load_pretrained
from lenet.widgets import ESM_PATH, DigitPad, export_weights

DIGITS = 1000

RUNNER = """
import { readFileSync, writeFileSync } from "node:fs";
import { centreLikeMnist, decide, decodeWeights, forward } from "./digitpad.mjs";

const request = JSON.parse(readFileSync(process.argv[2], "utf8"));
const net = decodeWeights(request.weights);
const raw = readFileSync(request.input);
const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const size = request.height * request.width;
const result = [];
for (let n = 0; n < request.count; n++) {
  const item = values.subarray(n * size, (n + 1) * size);
  if (request.task === "forward") {
    const out = forward(net, item);
    result.push({ distances: Array.from(out.distances), f6: Array.from(out.f6), digit: decide(out.distances).digit });
  } else {
    const out = centreLikeMnist(item, request.height, request.width, net.constants);
    result.push({ image: Array.from(out.image), empty: out.empty });
  }
}
writeFileSync(process.argv[3], JSON.stringify(result));
"""


@pytest.fixture(scope="module")
def run_js(tmp_path_factory: pytest.TempPathFactory):
    """Run the widget's module in Node on float32 arrays; returns one dict per array."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the widget's JavaScript cannot be run")
    folder = tmp_path_factory.mktemp("digitpad")
    # A copy with the .mjs extension, so Node loads it as the ES module it is.
    shutil.copyfile(ESM_PATH, folder / "digitpad.mjs")
    (folder / "runner.mjs").write_text(RUNNER)
    shipped = export_weights(load_pretrained("lenet5"))

    def run(task: str, arrays: np.ndarray, weights: dict = shipped) -> list[dict]:
        count, height, width = arrays.shape
        (folder / "input.f32").write_bytes(np.ascontiguousarray(arrays, dtype="<f4").tobytes())
        request = {"task": task, "weights": weights, "input": str(folder / "input.f32"),
                   "count": count, "height": height, "width": width}
        (folder / "request.json").write_text(json.dumps(request))
        subprocess.run([node, "runner.mjs", "request.json", "out.json"], cwd=folder, check=True, timeout=300)
        return json.loads((folder / "out.json").read_text())

    return run


def test_forward_pass_matches_pytorch_on_mnist(run_js) -> None:
    """Same predictions and RBF distances within 1e-3 on real MNIST test digits."""
    model = load_pretrained("lenet5")
    # Training keeps the weights outside Table I at zero; give them values so that
    # only honouring c3.connections, as PyTorch does, reproduces its outputs.
    noise = torch.randn(model.c3.weight.shape, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        model.c3.weight.add_((1 - model.c3.mask()) * noise)
    test = load_mnist("test").subset(DIGITS)
    with torch.no_grad():
        acts = model.activations(test.images)
    out = run_js("forward", test.images[:, 0].numpy(), export_weights(model))
    js_distances = np.array([o["distances"] for o in out])
    js_f6 = np.array([o["f6"] for o in out])
    js_digits = np.array([o["digit"] for o in out])
    distance_error = np.abs(js_distances - acts["rbf"].numpy()).max()
    print(f"JS vs PyTorch on {DIGITS} MNIST test digits: max |distance difference| {distance_error:.2e}, "
          f"max |F6 difference| {np.abs(js_f6 - acts['f6'].numpy()).max():.2e}")
    assert distance_error < 1e-3
    np.testing.assert_array_equal(js_digits, acts["rbf"].argmin(1).numpy())
    # A network that reads MNIST at all: guards against comparing two wrong passes.
    assert (js_digits == test.labels.numpy()).mean() > 0.9


def _segment_ink(height: int, width: int, strokes: list[list[tuple[float, float]]], radius: float) -> np.ndarray:
    """Anti-aliased round-pen strokes, like a canvas draws them: ink falls off over
    one pixel at the pen's edge."""
    yy, xx = np.mgrid[0:height, 0:width] + 0.5
    dist = np.full((height, width), np.inf)
    for line in strokes:
        for (x0, y0), (x1, y1) in zip(line[:-1], line[1:], strict=True):
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
            dist = np.minimum(dist, np.hypot(xx - x0 - t * dx, yy - y0 - t * dy))
    return np.clip(radius + 0.5 - dist, 0, 1)


def _drawings() -> list[np.ndarray]:
    """Inks on a 140x140 pad: strokes of every size and place, edge cases, and MNIST
    digits enlarged onto the pad, so that every branch of the normalisation runs."""
    side = 140
    rng = np.random.default_rng(5)
    inks = [np.zeros((side, side))]  # empty: all background, no NaN
    dot = np.zeros((side, side))
    dot[70, 33] = 0.6  # one grey pixel: the box is scaled up
    inks.append(dot)
    inks.append(_segment_ink(side, side, [[(10, 50), (130, 50)]], 0.3))  # one pixel tall: th = max(1, ...)
    inks.append(_segment_ink(side, side, [[(0, 0), (139, 139)]], 4))  # touches two borders
    inks.append(np.full((side, side), 1.0))  # all ink
    inks.append(rng.normal(0.3, 0.8, (side, side)))  # out of range: clamped to 0..1
    # Exact halves, where Python's round() goes to even and Math.round would not:
    # a 5x8 box scales to 12.5 rows; an 11-row block has its centre of mass at 5.5,
    # so it sits at 14 - 5.5 = 8.5 -> 8; and the same across columns.
    for height, width in ((5, 8), (11, 20), (20, 11)):
        block = np.zeros((side, side))
        block[40: 40 + height, 60: 60 + width] = 1.0
        inks.append(block)
    shapes = [
        [[(50, 20), (60, 120)]],  # a 1
        [[(30, 30), (100, 30), (55, 120)]],  # a 7
        [[(80, 20), (30, 80), (100, 80)], [(80, 50), (80, 125)]],  # a 4
        [[(40, 30), (90, 30), (95, 60), (40, 110), (100, 110)]],  # a 2
    ]
    for shape in shapes:
        for _ in range(6):
            scale, shift = rng.uniform(0.15, 1.0), rng.uniform(-20, 20, 2)
            strokes = [[(x * scale + shift[0] + 10, y * scale + shift[1] + 10) for x, y in s] for s in shape]
            inks.append(_segment_ink(side, side, strokes, rng.uniform(1, 8)))
    mnist = load_mnist("test").subset(40).images[:, 0, 2:30, 2:30]
    units = ((mnist - paper.BACKGROUND) / (paper.FOREGROUND - paper.BACKGROUND)).clamp(0, 1).numpy()
    for k, digit in enumerate(units):
        factor = 1 + k % 4
        big = np.kron(digit, np.ones((factor, factor)))
        ink = np.zeros((side, side))
        top, left = rng.integers(0, side - big.shape[0], 2)
        ink[top: top + big.shape[0], left: left + big.shape[1]] = big
        inks.append(ink)
    return inks


def test_preprocessing_matches_centre_like_mnist(run_js) -> None:
    """The JavaScript normalisation gives Python's 32x32 input on the same inks."""
    inks = np.stack(_drawings()).astype(np.float32)
    expected = np.stack([centre_like_mnist(torch.from_numpy(ink))[0, 0].numpy() for ink in inks])
    out = run_js("preprocess", inks)
    got = np.array([o["image"] for o in out]).reshape(expected.shape)
    error = np.abs(got - expected).max(axis=(1, 2))
    print(f"JS vs Python normalisation on {len(inks)} inks: max |difference| {error.max():.2e}")
    assert error.max() < 1e-6, f"drawings {np.flatnonzero(error >= 1e-6).tolist()} differ"
    assert [o["empty"] for o in out] == [not (ink > 0).any() for ink in inks]
    assert np.isfinite(got).all()


def test_pad_offers_the_live_widget_and_the_static_page() -> None:
    """Jupyter gets the widget view, the static book the self-contained HTML (one pad each)."""
    pad = DigitPad()
    data, _ = pad._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    page = data["text/html"]
    assert ESM_PATH.read_text() in page
    assert pad.weights["data"] in page
    assert "staticModel(state)" in page
    with pytest.raises(TypeError):
        DigitPad(load_pretrained("modern"))
