// Draw a digit and watch LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998) read it.
//
// One ES module, three users: anywidget in Jupyter and Colab (the default export),
// the static HTML book (lenet.widgets.static_html inlines this file with the weights
// and a stand-in for anywidget's model), and the Node tests (the named exports).
// Nothing here touches the DOM at import time, so Node can import it.
//
// The weights, the prototypes and the paper's constants all come from Python
// (lenet.widgets.export_weights): no number of the paper is typed in here.

// ---------------------------------------------------------------- weights

/** Decode the dict made by lenet.widgets.export_weights into named Float32Arrays. */
export function decodeWeights(exported) {
  const bytes = Uint8Array.from(atob(exported.data), (ch) => ch.charCodeAt(0));
  const all = new Float32Array(bytes.buffer);
  const tensors = {};
  for (const t of exported.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    tensors[t.name] = all.subarray(t.offset, t.offset + size);
  }
  return { tensors, constants: exported.constants };
}

// ---------------------------------------------------------------- preprocessing

// Python's round(): halves go to the even neighbour.  Math.round would send 12.5
// to 13 where lenet.data.centre_like_mnist gets 12.
function roundHalfEven(x) {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Mirror of lenet.data.centre_like_mnist, step by step (Section III.A).
 *
 * `ink` holds height*width values, row-major, 0 = background, 1 = full ink.
 * Returns {image, empty}: image is the 32x32 input in the paper's scale
 * (Float64Array, row-major); empty is true when there is no ink at all, in which
 * case image is all background, as in Python.
 */
export function centreLikeMnist(ink, height, width, constants) {
  const size = constants.mnist_size;
  const box = constants.box_size;
  const field = new Float64Array(size * size);
  const clamped = new Float32Array(height * width);
  let top = height, bottom = -1, left = width, right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.min(Math.max(ink[y * width + x], 0), 1);
      clamped[y * width + x] = v;
      if (v > 0) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  const empty = bottom < 0;
  if (!empty) {
    const bh = bottom - top + 1;
    const bw = right - left + 1;
    const factor = box / Math.max(bh, bw);
    const th = Math.max(1, roundHalfEven(bh * factor));
    const tw = Math.max(1, roundHalfEven(bw * factor));
    const small = areaResize(clamped, width, top, left, bh, bw, th, tw);
    // Centre of mass, pixel centres at index + 0.5 as in Python.
    let total = 0, my = 0, mx = 0;
    for (let i = 0; i < th; i++) {
      for (let j = 0; j < tw; j++) {
        const v = small[i * tw + j];
        total += v;
        my += v * (i + 0.5);
        mx += v * (j + 0.5);
      }
    }
    const oy = Math.min(Math.max(roundHalfEven(size / 2 - my / total), 0), size - th);
    const ox = Math.min(Math.max(roundHalfEven(size / 2 - mx / total), 0), size - tw);
    for (let i = 0; i < th; i++) {
      for (let j = 0; j < tw; j++) field[(oy + i) * size + ox + j] = small[i * tw + j];
    }
  }
  return { image: padToPaperScale(field, size, constants), empty };
}

// F.interpolate(mode="area") is adaptive average pooling: output cell i averages
// input rows floor(i*in/out) .. ceil((i+1)*in/out) - 1.  Summed in float32 and
// divided by the row count, then the column count, as PyTorch's CPU kernel does,
// so the grey levels agree with Python's to float32 rounding.
function areaResize(src, stride, top, left, bh, bw, th, tw) {
  const out = new Float32Array(th * tw);
  for (let i = 0; i < th; i++) {
    const y0 = Math.floor((i * bh) / th);
    const y1 = Math.ceil(((i + 1) * bh) / th);
    for (let j = 0; j < tw; j++) {
      const x0 = Math.floor((j * bw) / tw);
      const x1 = Math.ceil(((j + 1) * bw) / tw);
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        const row = (top + y) * stride + left;
        for (let x = x0; x < x1; x++) sum = Math.fround(sum + src[row + x]);
      }
      out[i * tw + j] = Math.fround(Math.fround(sum / (y1 - y0)) / (x1 - x0));
    }
  }
  return out;
}

// lenet.data.to_paper_scale then pad_to_32: background -0.1, full ink 1.175 (Section II.B),
// and a background margin so stroke ends can reach the centre of C5's receptive fields.
function padToPaperScale(field, size, constants) {
  const n = constants.input_size;
  const margin = (n - size) / 2;
  const bg = constants.background;
  const span = constants.foreground - bg;
  const image = new Float64Array(n * n).fill(bg);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) image[(y + margin) * n + x + margin] = bg + field[y * size + x] * span;
  }
  return image;
}

// ---------------------------------------------------------------- forward pass

/**
 * LeNet-5's forward pass (Section II.B) on one 32x32 image in the paper's scale.
 * Returns {f6: Float64Array(84), distances: Float64Array(10)}; the prediction is
 * the digit of the smallest distance.
 */
export function forward(net, image) {
  const w = net.tensors;
  const a = net.constants.squash_a;
  const s = net.constants.squash_s;
  // f(a) = A tanh(S a), after every layer but the RBF (Appendix A).
  const squash = (v) => a * Math.tanh(s * v);
  const c1 = convolve([image], 32, w["c1.weight"], w["c1.bias"], 6, null);
  const s2 = subsample(c1, 28, w["s2.weight"], w["s2.bias"]);
  // Table I: C3 map o reads S2 map i only where connections[i][o] is set.
  const c3 = convolve(s2, 14, w["c3.weight"], w["c3.bias"], 16, w["c3.connections"]);
  const s4 = subsample(c3, 10, w["s4.weight"], w["s4.bias"]);
  const c5 = convolve(s4, 5, w["c5.weight"], w["c5.bias"], 120, null);
  const inputs = c5.length;
  const f6w = w["f6.weight"];
  const f6b = w["f6.bias"];
  const f6 = new Float64Array(f6b.length);
  for (let o = 0; o < f6.length; o++) {
    let sum = f6b[o];
    for (let i = 0; i < inputs; i++) sum += f6w[o * inputs + i] * c5[i][0];
    f6[o] = squash(sum);
  }
  // Euclidean RBF units: squared distance to each fixed prototype (eq. 7).
  const protos = w["rbf.prototypes"];
  const distances = new Float64Array(protos.length / f6.length);
  for (let d = 0; d < distances.length; d++) {
    let sum = 0;
    for (let j = 0; j < f6.length; j++) {
      const diff = f6[j] - protos[d * f6.length + j];
      sum += diff * diff;
    }
    distances[d] = sum;
  }
  return { f6, distances };

  // 5x5 valid convolution of square maps, one bias per output map, then squash.
  function convolve(maps, side, weight, bias, outMaps, connections) {
    const k = 5;
    const outSide = side - k + 1;
    const inMaps = maps.length;
    const out = [];
    for (let o = 0; o < outMaps; o++) {
      const acc = new Float64Array(outSide * outSide).fill(bias[o]);
      for (let i = 0; i < inMaps; i++) {
        if (connections && !connections[i * outMaps + o]) continue;
        const src = maps[i];
        const base = (o * inMaps + i) * k * k;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const wv = weight[base + ky * k + kx];
            for (let y = 0; y < outSide; y++) {
              const row = (y + ky) * side + kx;
              const orow = y * outSide;
              for (let x = 0; x < outSide; x++) acc[orow + x] += wv * src[row + x];
            }
          }
        }
      }
      for (let p = 0; p < acc.length; p++) acc[p] = squash(acc[p]);
      out.push(acc);
    }
    return out;
  }

  // S2/S4: the sum of each 2x2 cell times one coefficient plus one bias per map, then squash.
  function subsample(maps, side, weight, bias) {
    const half = side / 2;
    return maps.map((src, c) => {
      const out = new Float64Array(half * half);
      for (let y = 0; y < half; y++) {
        for (let x = 0; x < half; x++) {
          const p = 2 * y * side + 2 * x;
          const cell = src[p] + src[p + 1] + src[p + side] + src[p + side + 1];
          out[y * half + x] = squash(bias[c] + weight[c] * cell);
        }
      }
      return out;
    });
  }
}

/** Index of the smallest distance and the margin to the second smallest. */
export function decide(distances) {
  let best = 0;
  for (let d = 1; d < distances.length; d++) if (distances[d] < distances[best]) best = d;
  let second = Infinity;
  for (let d = 0; d < distances.length; d++) if (d !== best && distances[d] < second) second = distances[d];
  return { digit: best, margin: second - distances[best] };
}

// ---------------------------------------------------------------- the widget

const CSS = `
.ldp { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; font: 14px/1.4 system-ui, sans-serif;
  color: #222; background: #fff; padding: 10px; border-radius: 6px; max-width: 640px; }
.ldp canvas.ldp-pad { width: 280px; height: 280px; border: 2px solid #888; border-radius: 4px; background: #fff;
  touch-action: none; cursor: crosshair; display: block; }
.ldp-controls { display: flex; gap: 10px; align-items: center; margin-top: 6px; }
.ldp button { font: inherit; padding: 3px 14px; border: 1px solid #888; border-radius: 4px; background: #f4f4f4;
  color: #222; cursor: pointer; }
.ldp-hint { color: #666; font-size: 12px; }
.ldp-side { flex: 1; min-width: 260px; }
.ldp-readout { font-size: 16px; margin-bottom: 6px; }
.ldp-readout [data-testid="prediction"] { font-size: 28px; font-weight: bold; display: inline-block; min-width: 1ch; }
.ldp-margin { color: #555; margin-left: 8px; }
.ldp-row { display: flex; align-items: center; gap: 6px; height: 18px; }
.ldp-label { width: 1ch; font-weight: bold; }
.ldp-track { flex: 1; height: 12px; background: #eee; border-radius: 2px; }
.ldp-bar { height: 100%; width: 0; background: #8aa4c8; border-radius: 2px; }
.ldp-row.ldp-best .ldp-bar { background: #d9480f; }
.ldp-row.ldp-best .ldp-label, .ldp-row.ldp-best .ldp-value { color: #d9480f; font-weight: bold; }
.ldp-value { width: 6ch; text-align: right; font-variant-numeric: tabular-nums; color: #444; font-size: 12px; }
.ldp-pictures { display: flex; gap: 12px; margin-top: 10px; }
.ldp-pictures figure { margin: 0; text-align: center; font-size: 11px; color: #555; }
.ldp-pictures canvas { image-rendering: pixelated; border: 1px solid #bbb; display: block; margin: 0 auto 2px; }
`;

/** Draw values on a small canvas as grey levels: `lo` white, `hi` black. */
function paintGrey(canvas, values, lo, hi) {
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let p = 0; p < values.length; p++) {
    const t = Math.min(Math.max((values[p] - lo) / (hi - lo), 0), 1);
    const g = Math.round(255 * (1 - t));
    img.data.set([g, g, g, 255], 4 * p);
  }
  ctx.putImageData(img, 0, 0);
}

function element(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function picture(width, height, scale, caption) {
  const canvas = element("canvas", { width, height });
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  return { canvas, figure: element("figure", {}, canvas, element("figcaption", { text: caption })) };
}

/**
 * anywidget's render: build the pad inside `el`, reading the network from
 * model.get("weights").  Everything runs here, at every pointer move: no kernel.
 */
function render({ model, el }) {
  let net = decodeWeights(model.get("weights"));
  const c = net.constants;
  const side = c.pad_pixels;
  const rows = c.prototype_rows;
  const cols = c.prototype_cols;

  const pad = element("canvas", { class: "ldp-pad", width: side, height: side, "data-testid": "digit-pad" });
  const ctx = pad.getContext("2d", { willReadFrequently: true });
  const clear = element("button", { type: "button", "data-testid": "clear", text: "Clear" });
  const prediction = element("span", { "data-testid": "prediction" });
  const margin = element("span", { class: "ldp-margin" });
  const bars = [];
  const rowsEl = element("div", { class: "ldp-bars" });
  for (let d = 0; d < 10; d++) {
    const bar = element("div", { class: "ldp-bar", "data-testid": "rbf-distance", "data-digit": d, "data-value": "" });
    const value = element("span", { class: "ldp-value" });
    const row = element("div", { class: "ldp-row" }, element("span", { class: "ldp-label", text: d }),
      element("div", { class: "ldp-track" }, bar), value);
    rowsEl.append(row);
    bars.push({ row, bar, value });
  }
  const input = picture(32, 32, 3, "what C1 sees");
  const f6 = picture(cols, rows, 8, "F6 (84 values)");
  const proto = picture(cols, rows, 8, "nearest prototype");
  el.append(element("style", { text: CSS }), element("div", { class: "ldp" },
    element("div", {}, pad, element("div", { class: "ldp-controls" }, clear,
      element("span", { class: "ldp-hint", text: "draw one digit, large and centred" }))),
    element("div", { class: "ldp-side" },
      element("div", { class: "ldp-readout" }, "prediction ", prediction, margin),
      element("div", { class: "ldp-hint", text: "squared distance of F6 to each digit's prototype (smaller = closer)" }),
      rowsEl,
      element("div", { class: "ldp-pictures" }, input.figure, f6.figure, proto.figure))));

  // Read the pad, preprocess like MNIST, run the network, show the result.
  // `event` is the pointer event that changed the ink, for the latency record.
  function update(event) {
    const rgba = ctx.getImageData(0, 0, side, side).data;
    const ink = new Float32Array(side * side);
    for (let p = 0; p < ink.length; p++) ink[p] = rgba[4 * p + 3] / 255;
    const { image, empty } = centreLikeMnist(ink, side, side, c);
    paintGrey(input.canvas, image, c.background, c.foreground);
    if (empty) {
      // Neutral state: no prediction and no distances, rather than the network's
      // opinion of a blank page.
      prediction.textContent = "";
      margin.textContent = "";
      for (const b of bars) {
        b.row.classList.remove("ldp-best");
        b.bar.style.width = "0";
        b.bar.setAttribute("data-value", "");
        b.value.textContent = "";
      }
      for (const blank of [f6.canvas, proto.canvas]) blank.getContext("2d").clearRect(0, 0, cols, rows);
    } else {
      const out = forward(net, image);
      const { digit, margin: gap } = decide(out.distances);
      const longest = Math.max(...out.distances);
      prediction.textContent = String(digit);
      margin.textContent = `margin ${gap.toFixed(1)}`;
      out.distances.forEach((value, d) => {
        const b = bars[d];
        b.row.classList.toggle("ldp-best", d === digit);
        b.bar.style.width = `${(100 * value) / longest}%`;
        b.bar.setAttribute("data-value", value.toPrecision(7));
        b.value.textContent = value.toFixed(1);
      });
      paintGrey(f6.canvas, out.f6, -c.squash_a, c.squash_a);
      paintGrey(proto.canvas, net.tensors["rbf.prototypes"].subarray(digit * rows * cols, (digit + 1) * rows * cols),
        -1, 1);
    }
    // The latency hook for the tests: event.timeStamp and performance.now() share the page's time origin.
    if (event) pad.setAttribute("data-latency-ms", (performance.now() - event.timeStamp).toFixed(3));
  }

  let last = null;
  function point(e) {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) * side) / r.width, ((e.clientY - r.top) * side) / r.height];
  }
  function stroke(from, to) {
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
  }
  ctx.strokeStyle = "#000";
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  // A pen about a thirteenth of the pad (lenet.widgets.PAD_STROKE): a digit drawn across most of the pad
  // then has MNIST-like 2 pixel strokes once its box is scaled to 20x20.
  ctx.lineWidth = c.pad_stroke;

  function down(e) {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    e.preventDefault();
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
    update(e);
  }
  function move(e) {
    if (!last) return;
    e.preventDefault();
    // Coalesced events keep fast strokes smooth; the network runs once per event.
    const steps = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const step of steps.length ? steps : [e]) {
      const p = point(step);
      stroke(last, p);
      last = p;
    }
    update(e);
  }
  function up() {
    last = null;
  }
  function reset() {
    ctx.clearRect(0, 0, side, side);
    last = null;
    update(null);
  }
  function reload() {
    net = decodeWeights(model.get("weights"));
    update(null);
  }

  pad.addEventListener("pointerdown", down);
  pad.addEventListener("pointermove", move);
  pad.addEventListener("pointerup", up);
  pad.addEventListener("pointercancel", up);
  clear.addEventListener("click", reset);
  model.on("change:weights", reload);
  update(null);
  return () => model.off("change:weights", reload);
}

/**
 * A stand-in for anywidget's model where no widget manager runs (the static
 * book): `state` never changes there, so there is nothing to listen to.
 */
export function staticModel(state) {
  return { get: (key) => state[key], on() {}, off() {} };
}

export default { render };
