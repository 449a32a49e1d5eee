"""Draw a digit and watch LeNet-5 read it, live, with no kernel.

``DigitPad`` is an anywidget whose JavaScript (``lenet/static/digitpad.js``)
carries the whole pipeline: the drawing, MNIST's normalisation (Section III.A,
mirroring ``lenet.data.centre_like_mnist``) and LeNet-5's forward pass
(Section II.B) with the shipped weights.  Python only hands over the weights, so
the pad responds at drawing speed in Jupyter, in Colab and in the static HTML
book, where ``static_html`` inlines the same module with the weights.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from . import bitmaps, paper
from .model import LeNet5
from .pretrained import load_pretrained

ESM_PATH = Path(__file__).parent / "static" / "digitpad.js"

# The pad's side in canvas pixels, and the pen's width: a digit drawn across most
# of the pad shrinks about 12-fold into the 20x20 box, which turns this pen into
# MNIST's 1.5-2.5 pixel strokes.
PAD_PIXELS = 280
PAD_STROKE = 22


def export_weights(model: LeNet5) -> dict:
    """LeNet-5's state dict and the constants the JavaScript needs, as JSON-ready data.

    Every tensor of the state dict (weights, biases, Table I as ``c3.connections``,
    the RBF prototypes) is stored as little-endian float32 in one base64 string;
    ``tensors`` lists each one's name, shape and offset (in floats) into it.
    """
    tensors, chunks, offset = [], [], 0
    for name, tensor in model.state_dict().items():
        values = tensor.detach().cpu().float().numpy().astype("<f4").ravel()
        tensors.append({"name": name, "shape": list(tensor.shape), "offset": offset})
        chunks.append(values)
        offset += values.size
    return {
        "tensors": tensors,
        "data": base64.b64encode(np.concatenate(chunks).tobytes()).decode("ascii"),
        "constants": {
            "squash_a": paper.SQUASH_A,
            "squash_s": paper.SQUASH_S,
            "background": paper.BACKGROUND,
            "foreground": paper.FOREGROUND,
            "mnist_size": paper.MNIST_SIZE,
            "input_size": paper.INPUT_SIZE,
            "box_size": paper.MNIST_BOX,
            "prototype_rows": bitmaps.ROWS,
            "prototype_cols": bitmaps.COLS,
            "pad_pixels": PAD_PIXELS,
            "pad_stroke": PAD_STROKE,
        },
    }


def static_html(weights: dict) -> str:
    """A self-contained pad for pages with no widget manager (the static book).

    The module source is inlined with the weights and a stand-in for anywidget's
    model, so the page needs neither a kernel nor a network connection.
    """
    source = ESM_PATH.read_text()
    if "</script" in source:
        raise ValueError(f"{ESM_PATH} must not contain '</script', it is inlined in a <script> element")
    host = f"lenet-digitpad-{uuid.uuid4().hex}"
    return (
        f'<div id="{host}"></div>\n'
        f'<script type="application/json" id="{host}-weights">{json.dumps(weights)}</script>\n'
        f'<script type="module">\n{source}\n'
        f'const state = {{ weights: JSON.parse(document.getElementById("{host}-weights").textContent) }};\n'
        f'render({{ model: staticModel(state), el: document.getElementById("{host}") }});\n'
        "</script>\n"
    )


class DigitPad(anywidget.AnyWidget):
    """A pad to draw a digit on, with LeNet-5's ten RBF distances updated as you draw.

    ``DigitPad()`` uses the shipped ``lenet5`` network; pass any trained
    ``LeNet5`` to see it instead.  Jupyter and Colab show the live widget; a
    page built without a widget manager (the static book) shows the same pad
    from ``static_html``, also running entirely in the browser.
    """

    _esm = ESM_PATH
    weights = traitlets.Dict().tag(sync=True)

    def __init__(self, model: LeNet5 | None = None, **kwargs: object) -> None:
        network = model if model is not None else load_pretrained("lenet5")
        if not isinstance(network, LeNet5):
            raise TypeError(f"DigitPad runs the paper's LeNet5 in JavaScript, not {type(network).__name__}")
        super().__init__(weights=export_weights(network), **kwargs)

    def _repr_mimebundle_(self, **kwargs: dict) -> tuple[dict, dict] | None:
        # Both views in one bundle, and a front end shows one of them: Jupyter and
        # Colab the live widget view; a page that ranks text/html first (the book,
        # through myst-nb's nb_mime_priority_overrides) a pad needing no widget manager.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "text/html": static_html(self.weights)}, metadata
