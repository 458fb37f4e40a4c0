/*
 * chainrule training film: plays back a training run recorded by chainrule's Python engine.
 *
 * The page (written by chainrule/viz/film.py) embeds the recording as JSON with one
 * gzip-compressed, base64-encoded block of typed arrays; see film.py for every array.
 * Nothing is fetched. The DOM and SVG are built once; each frame only changes attributes
 * and repaints small canvases. The player element carries data-frame (from 0),
 * data-frames, data-sample and data-playing, kept current.
 */
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const player = document.getElementById("film");
  const status = document.getElementById("status");
  const $ = (id) => document.getElementById(id);

  // ColorBrewer's PuOr, a colour-blind-safe diverging scale: orange below the centre, purple above.
  const ANCHORS = [[179, 88, 6], [241, 163, 64], [254, 224, 182], [247, 247, 247],
    [216, 218, 235], [153, 142, 195], [84, 39, 136]];
  const PALETTE = makePalette();
  const CLASS_COLOUR = [colour(12), colour(243)];
  const NAN_GREY = "#888"; // an edge whose gradient is NaN: on neither side of the scale
  const SPEEDS = [1, 2, 5, 10, 20, 30, 60];

  load(JSON.parse($("film-data").textContent))
    .then(start)
    .catch((error) => {
      status.textContent = "This film could not be played: " + error.message;
      player.setAttribute("aria-busy", "false");
      throw error;
    });

  // --- the data -----------------------------------------------------------------------------

  async function load(film) {
    if (typeof DecompressionStream !== "function") {
      throw new Error("this browser has no DecompressionStream (Chrome 80, Firefox 113, Safari 16.4 or newer)");
    }
    const packed = Uint8Array.from(atob(film.data), (c) => c.charCodeAt(0));
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    const buffer = await new Response(stream).arrayBuffer();
    const arrays = {};
    for (const [name, spec] of Object.entries(film.arrays)) arrays[name] = view(buffer, spec);
    film.data = null;
    film.a = arrays;
    return film;
  }

  function view(buffer, spec) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    switch (spec.type) {
      case "f8": return new Float64Array(buffer, spec.offset, count);
      case "f4": return new Float32Array(buffer, spec.offset, count);
      case "i4": return new Int32Array(buffer, spec.offset, count);
      case "u1": return new Uint8Array(buffer, spec.offset, count);
      default: throw new Error("unknown array type " + spec.type);
    }
  }

  // --- colours and numbers --------------------------------------------------------------------

  function makePalette() {
    const table = new Uint8Array(256 * 3);
    const last = ANCHORS.length - 1;
    for (let q = 0; q < 256; q++) {
      const t = (q / 255) * last;
      const i = Math.min(last - 1, Math.floor(t));
      const f = t - i;
      for (let c = 0; c < 3; c++) {
        table[3 * q + c] = Math.round(ANCHORS[i][c] + f * (ANCHORS[i + 1][c] - ANCHORS[i][c]));
      }
    }
    return table;
  }

  function colour(q) {
    return "rgb(" + PALETTE[3 * q] + "," + PALETTE[3 * q + 1] + "," + PALETTE[3 * q + 2] + ")";
  }

  /** The byte film.py's quantize() gives `value` on the scale [centre - half, centre + half]. */
  function quantize(value, centre, half) {
    let d = (value - centre) / half;
    if (Number.isNaN(d)) d = 0;
    const steps = Math.min(127, Math.floor(Math.abs(d) * 127));
    return d > 0 ? 128 + steps : 127 - steps;
  }

  /** A share as a percentage to 0.1, rounded down: one wrong sample in 300 reads 99.6 %, never 100 %. */
  function percent(share) {
    return share === 1 ? "100%" : `${(Math.floor(1000 * share + 1e-9) / 10).toFixed(1)}%`; // 1e-9: 1000 * 0.57 is 569.99…
  }

  /** 4 significant digits as viz.text.number writes them (Python's "%.4g"), a real minus sign, no "-0": the
   *  exponent form when the rounded number's exponent is below −4 or 4 and above; an exact tie rounds to even. */
  function num(x) {
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "\u221e" : "\u2212\u221e";
    if (x === 0) return "0";
    const [digits, exponent] = fourDigits(Math.abs(x));
    const sign = x < 0 ? "-" : "";
    const text = exponent < -4 || exponent >= 4
      ? `${sign}${digits.replace(/\.?0+$/, "")}e${exponent}`
      : sign + Number(`${digits}e${exponent}`).toString();
    return text.replaceAll("-", "\u2212");
  }

  /** A positive number rounded to 4 significant digits: its digits "d.ddd" and its exponent. JavaScript rounds
   *  an exact tie (12345) away from zero, Python to the even digit (1.234e4): the tie is read from the exact
   *  decimal expansion, which 100 digits hold for every number that can be one. */
  function fourDigits(a) {
    let [digits, exponent] = a.toExponential(3).split("e");
    if (a.toExponential(4)[5] === "5") {
      const [exact, power] = a.toExponential(99).split("e");
      if (/^50*$/.test(exact.slice(5)) && Number(exact[4]) % 2 === 0) [digits, exponent] = [exact.slice(0, 5), power];
    }
    return [digits, Number(exponent)];
  }

  function factor(x) {
    const text = num(x);
    return text.startsWith("\u2212") ? "(" + text + ")" : text;
  }

  function element(tag, attributes, parent, namespace) {
    const node = namespace ? document.createElementNS(namespace, tag) : document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function line(parent, text, className) {
    const p = element("p", className ? { class: className } : {}, parent);
    p.textContent = text;
    return p;
  }

  // --- the player -----------------------------------------------------------------------------

  function start(film) {
    const a = film.a;
    const F = film.frames;
    const n = film.samples;
    const sizes = film.sizes;
    const L = sizes.length - 1;
    const state = { frame: 0, sample: 0, playing: false, pinned: null, hovered: null, last: 0, carry: 0 };

    const names = sizes.map((size, column) => {
      const list = [];
      for (let j = 0; j < size; j++) {
        if (column === 0) list.push("x" + (j + 1));
        else if (column === L) list.push(size === 1 ? "\u0177" : "\u0177" + (j + 1));
        else list.push("h" + column + "." + (j + 1));
      }
      return list;
    });

    // indexing into the flat arrays
    const weight = (l, f, j, k) => a["weights" + l][(f * sizes[l + 1] + j) * sizes[l] + k];
    const weightGrad = (l, f, j, k) => a["weightGradients" + l][(f * sizes[l + 1] + j) * sizes[l] + k];
    const bias = (l, f, j) => a["biases" + l][f * sizes[l + 1] + j];
    const biasGrad = (l, f, j) => a["biasGradients" + l][f * sizes[l + 1] + j];
    const perSample = (name, l, f, i, j) => a[name + l][(f * n + i) * sizes[l + 1] + j];
    /** The value neuron j of column c (0: the inputs) passes on for sample i at frame f. */
    const activation = (c, f, i, j) => (c === 0 ? a.X[2 * i + j] : perSample("activations", c - 1, f, i, j));
    const output = (f, i) => perSample("activations", L - 1, f, i, 0);
    const sampleGrad = (l, f, i, j, k) => activation(l, f, i, k) * perSample("deltas", l, f, i, j);
    /** Parameters frozen with requires_grad=False at every step: [layer (0 first), "weights" or "biases"]. */
    const frozen = (film.info && film.info.frozen) || [];
    const rosenblatt = film.activations.includes("step"); // a perceptron: its rule, not the gradient, moves it
    const isFrozen = (l, kind) => frozen.some(([layer, which]) => layer === l && which === kind);
    /** Layers made with bias=False: no bias square, no bias on the cards. */
    const noBias = new Set((film.info && film.info.no_bias) || []);
    /** Layer l (0 first) as the diagram's columns name it. */
    const layerName = (l) => (l === L - 1 ? "output layer" : "hidden layer " + (l + 1));

    describe();
    const diagram = buildDiagram();
    const plane = buildPlane();
    const chart = buildChart();
    buildControls();
    status.textContent = "";
    player.dataset.frames = String(F);
    player.setAttribute("aria-busy", "false");
    show(0, true);

    // --- text around the pictures ---

    function describe() {
      const info = film.info || {};
      const shape = sizes.join("\u2013");
      const acts = film.activations.join(", ");
      let text = `A ${shape} network (${acts}) learning ${n} samples` +
        (info.loss ? ` with the ${info.loss} loss${info.penalty ? " plus a penalty on the weights" : ""}` : "") +
        `. Each frame is the network after the optimizer steps its counter shows (frame 0: before training); ` +
        `every number in a frame is computed at that frame's weights, its gradients over all samples.`;
      if (rosenblatt) {
        text += " The step function's slope is 0 wherever it is defined, so every gradient here is 0: " +
          "Rosenblatt's rule moves the weights by \u03b7(y \u2212 \u0177)x instead, one sample at a time " +
          "(one step = one sample).";
      }
      if (frozen.length) {
        const named = frozen.map(([l, kind]) => `the ${layerName(l)}'s ${kind}`);
        text += ` Frozen with requires_grad=False at every step: ${named.join(", ")}; no step moves them, ` +
          `though their gradients are shown (dotted in the diagram).`;
      }
      $("about").textContent = text;
      const parts = [];
      if (info.chainrule) parts.push("Recorded with chainrule " + info.chainrule);
      if (info.seed !== undefined && info.seed !== null) parts.push("seed " + info.seed);
      const hyper = info.hyperparameters || {};
      const shown = (v) => typeof v === "object" && v !== null ? JSON.stringify(v) : String(v); // {"lr": 0.1}, [1, 2]
      const settings = Object.entries(hyper).filter(([k]) => k !== "command").map(([k, v]) => k + " = " + shown(v));
      if (settings.length) parts.push(settings.join(", "));
      if (info.every > 1) {
        const lastStep = a.steps[F - 1];
        const last = lastStep % info.every ? " and one at the last, step " + lastStep : "";
        parts.push("a frame every " + info.every + " steps" + last);
      }
      const footer = $("reproduce");
      footer.textContent = parts.join("; ") + ".";
      if (hyper.command) {
        footer.append(" Made by ");
        element("code", {}, footer).textContent = hyper.command;
        footer.append(".");
      }
      const t = num(film.threshold);
      $("plane-legend").textContent = `Purple where the output is above ${t} (class 1), orange where it is not ` +
        `(class 0); paler is closer to ${t}. Points are the training samples in their class's colour; ` +
        `a black ring marks one the network gets wrong, the dashed ring the selected sample.`;
      $("network-legend").textContent = "Each neuron shows its own output over the same plane (purple high, " +
        "orange low; a ReLU is white where it is 0) and its border is coloured by its output for the selected " +
        "sample. Edge colour and width: purple positive, orange negative, wider larger; weights on one scale " +
        "for the whole film, gradients on each frame's own (its largest is always the widest, however small: " +
        "hover an edge for the number). The small square is the neuron's bias.";
      const scale = $("scale").getContext("2d");
      const image = scale.createImageData(256, 1);
      for (let q = 0; q < 256; q++) paint(image.data, q, q);
      scale.putImageData(image, 0, 0);
    }

    // --- the network diagram ---

    function buildDiagram() {
      const widest = Math.max(...sizes);
      const box = widest > 8 ? 24 : widest > 4 ? 36 : 48;
      const gap = widest > 8 ? 8 : 16;
      const columnGap = Math.max(box + 60, Math.min(140, Math.floor(420 / L)));
      const top = 42; // room for each column's label, on two lines
      const side = 34;
      const tallest = widest * box + (widest - 1) * gap;
      const width = side * 2 + L * columnGap + box;
      const height = top + tallest + 14;
      const holder = $("diagram");
      holder.style.width = width + "px";
      holder.style.height = height + "px";
      fitWidth(holder, width);
      const svg = element("svg", { width, height, viewBox: `0 0 ${width} ${height}` }, holder, SVG);
      const edgeLayer = element("g", {}, svg, SVG);
      const nodeLayer = element("g", {}, svg, SVG);
      const at = (c, j) => {
        const columnHeight = sizes[c] * box + (sizes[c] - 1) * gap;
        return { x: side + c * columnGap, y: top + (tallest - columnHeight) / 2 + j * (box + gap) };
      };
      for (let c = 0; c <= L; c++) { // the layer, its activation below it: two lines fit the narrowest column gap
        const lines = c === 0 ? ["inputs"] : [c === L ? "output" : "hidden " + c, film.activations[c - 1]];
        const x = at(c, 0).x + box / 2;
        const text = element("text", { x, y: 12, "text-anchor": "middle", class: "column" }, nodeLayer, SVG);
        lines.forEach((line, row) => {
          element("tspan", row ? { x, dy: 13, class: "activation" } : { x }, text, SVG).textContent = line;
        });
      }
      const edges = [];
      for (let l = 0; l < L; l++) {
        for (let j = 0; j < sizes[l + 1]; j++) {
          for (let k = 0; k < sizes[l]; k++) {
            const from = at(l, k);
            const to = at(l + 1, j);
            const x0 = from.x + box + 2;
            const y0 = from.y + box / 2;
            const x1 = to.x - 2;
            const y1 = to.y + box / 2;
            const mid = (x0 + x1) / 2;
            const d = `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`;
            const group = element("g", { "data-layer": l, "data-to": j, "data-from": k }, edgeLayer, SVG);
            const path = element("path", { d, class: isFrozen(l, "weights") ? "edge frozen" : "edge" }, group, SVG);
            const hit = element("path", { d, class: "hit" }, group, SVG);
            const item = { kind: "edge", l, j, k, group, path };
            hook(hit, item);
            edges.push(item);
          }
        }
      }
      const nodes = [];
      for (let c = 0; c <= L; c++) {
        for (let j = 0; j < sizes[c]; j++) {
          const p = at(c, j);
          const frame = element("rect", { x: p.x - 3, y: p.y - 3, width: box + 6, height: box + 6, rx: 3,
            class: "frame", "data-column": c, "data-neuron": j }, nodeLayer, SVG);
          const canvas = element("canvas", { width: film.neuronGrid, height: film.neuronGrid }, holder);
          Object.assign(canvas.style, { left: p.x + "px", top: p.y + "px", width: box + "px", height: box + "px" });
          const context = canvas.getContext("2d");
          const image = context.createImageData(film.neuronGrid, film.neuronGrid);
          const item = { kind: c === 0 ? "input" : "neuron", c, j, frame, context, image };
          hook(frame, item);
          hook(canvas, item);
          if (c > 0 && !noBias.has(c - 1)) {
            item.bias = element("rect", { x: p.x - 6, y: p.y + box - 3, width: 8, height: 8,
              class: isFrozen(c - 1, "biases") ? "bias frozen" : "bias" }, nodeLayer, SVG);
            hook(item.bias, item);
          }
          if (c === 0 || c === L) {
            const label = element("text", { x: c === 0 ? p.x - 8 : p.x + box + 8, y: p.y + box / 2 + 4,
              "text-anchor": c === 0 ? "end" : "start" }, nodeLayer, SVG);
            label.textContent = names[c][j];
          }
          nodes.push(item);
        }
      }
      // What [ and ] step through: the inputs, then each neuron after the weights into it, layer by layer
      const reading = nodes.filter((node) => node.c === 0);
      for (const node of nodes) {
        if (node.c > 0) reading.push(...edges.filter((e) => e.l === node.c - 1 && e.j === node.j), node);
      }
      return { edges, nodes, reading };
    }

    /** Zoom the diagram out when its panel is narrower than the drawing (a notebook's output, say). */
    function fitWidth(holder, width) {
      const panel = holder.parentElement;
      const fit = () => {
        holder.style.zoom = ""; // measured at full size: a zoomed diagram would keep its column as narrow as itself
        const style = getComputedStyle(panel);
        const room = panel.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        if (room < width - 1) holder.style.zoom = (Math.max(0, room) / width).toFixed(3); // 1: clientWidth rounds
      };
      if (typeof ResizeObserver === "function") new ResizeObserver(fit).observe(panel);
      fit();
    }

    function hook(target, item) {
      target.addEventListener("mouseenter", () => { state.hovered = item; fillCard(); });
      target.addEventListener("mouseleave", () => { state.hovered = null; fillCard(); });
      target.addEventListener("click", (event) => {
        event.stopPropagation();
        pin(state.pinned === item ? null : item);
      });
    }

    /** Pin `item` (null unpins): its card stays while the pointer moves elsewhere. */
    function pin(item) {
      state.pinned = item;
      for (const edge of diagram.edges) edge.group.classList.toggle("active", item === edge);
      for (const node of diagram.nodes) node.frame.classList.toggle("active", item === node);
      $("pinned").textContent = item ? "(pinned: click it again, or press Esc, to unpin)" : "";
      fillCard();
    }

    /** Pin the next (step 1) or previous (-1) neuron or weight in reading order: the cards without a mouse. */
    function inspect(step) {
      const order = diagram.reading;
      const at = order.indexOf(state.pinned);
      const next = at < 0 ? (step > 0 ? 0 : order.length - 1) : (at + step + order.length) % order.length;
      pin(order[next]);
    }

    function paintEdges() {
      const f = state.frame;
      const mode = $("edges").value;
      const value = (e) => mode === "weight" ? weight(e.l, f, e.j, e.k)
        : mode === "gradient" ? weightGrad(e.l, f, e.j, e.k) : sampleGrad(e.l, f, state.sample, e.j, e.k);
      let largest = film.largestWeight;
      if (mode !== "weight") { // the frame's largest finite gradient: an inf or NaN one would flatten the others
        largest = 0;
        for (const e of diagram.edges) {
          const size = Math.abs(value(e));
          if (Number.isFinite(size)) largest = Math.max(largest, size);
        }
        largest = largest || 1;
      }
      for (const e of diagram.edges) {
        const v = value(e);
        const finite = Number.isFinite(v); // ±inf as widest and darkest; NaN as widest and grey
        const size = finite ? Math.min(1, Math.abs(v) / largest) : 1;
        e.path.setAttribute("stroke", Number.isNaN(v) ? NAN_GREY : colour(quantize(finite ? v : Math.sign(v), 0,
          finite ? largest : 1)));
        e.path.setAttribute("stroke-width", (0.6 + 5.4 * Math.sqrt(size)).toFixed(2));
      }
    }

    function paintNodes() {
      const f = state.frame;
      const i = state.sample;
      const g = film.neuronGrid;
      const discrete = $("discretize").checked;
      for (const node of diagram.nodes) {
        let source;
        let offset;
        let scale;
        if (node.c === 0) {
          source = a.inputMaps;
          offset = node.j * g * g;
          scale = film.inputScales[node.j];
        } else {
          const l = node.c - 1;
          source = a["maps" + l];
          offset = (f * sizes[node.c] + node.j) * g * g;
          scale = film.neuronScales[l][node.j];
          if (node.bias) node.bias.setAttribute("fill", colour(quantize(bias(l, f, node.j), 0, film.largestWeight)));
        }
        drawMap(node.image, source, offset, g, discrete);
        node.context.putImageData(node.image, 0, 0);
        const value = activation(node.c, f, i, node.j);
        node.frame.setAttribute("stroke", colour(quantize(value, scale[0], scale[1])));
        node.frame.dataset.activation = num(value);
      }
    }

    /** Paint g x g bytes (row 0 = the bottom of the plane) into an ImageData (row 0 = the top). */
    function drawMap(image, source, offset, g, discrete) {
      const pixels = image.data;
      for (let r = 0; r < g; r++) {
        const from = offset + (g - 1 - r) * g;
        for (let c = 0; c < g; c++) {
          let q = source[from + c];
          if (discrete) q = q >= 128 ? 213 : 42;
          paint(pixels, (r * g + c), q);
        }
      }
    }

    function paint(pixels, index, q) {
      pixels[4 * index] = PALETTE[3 * q];
      pixels[4 * index + 1] = PALETTE[3 * q + 1];
      pixels[4 * index + 2] = PALETTE[3 * q + 2];
      pixels[4 * index + 3] = 255;
    }

    // --- the plane: output map and samples ---

    function buildPlane() {
      const G = film.grid;
      const canvas = $("map");
      canvas.width = G;
      canvas.height = G;
      canvas.dataset.extent = film.extent.join(" ");
      const context = canvas.getContext("2d");
      const image = context.createImageData(G, G);
      const S = 360;
      const svg = $("points");
      svg.setAttribute("viewBox", `0 0 ${S} ${S}`);
      const [x0, x1, y0, y1] = film.extent;
      const px = (x) => ((x - x0) / (x1 - x0)) * S;
      const py = (y) => ((y1 - y) / (y1 - y0)) * S;
      const tick = (x, y, anchor, text) => {
        element("text", { x, y, "text-anchor": anchor }, svg, SVG).textContent = text;
      };
      tick(4, S - 5, "start", `(x1, x2) = (${num(x0)}, ${num(y0)})`);
      tick(S - 4, 13, "end", `(${num(x1)}, ${num(y1)})`);
      const radius = n <= 20 ? 7 : n <= 200 ? 4.5 : 3;
      const points = [];
      for (let i = 0; i < n; i++) {
        const label = a.labels[i];
        const point = element("circle", {
          cx: px(a.X[2 * i]).toFixed(2), cy: py(a.X[2 * i + 1]).toFixed(2), r: radius,
          fill: CLASS_COLOUR[label], class: "point", "data-sample": i, "data-label": label,
        }, svg, SVG);
        point.addEventListener("click", () => select(i));
        const title = element("title", {}, point, SVG);
        title.textContent = `sample #${i}: (${num(a.X[2 * i])}, ${num(a.X[2 * i + 1])}), class ${label}`;
        points.push(point);
      }
      const halo = element("circle", { r: radius + 5, class: "halo" }, svg, SVG);
      const ring = element("circle", { r: radius + 5, class: "ring" }, svg, SVG);
      return { context, image, points, rings: [halo, ring] };
    }

    function paintPlane() {
      const f = state.frame;
      const G = film.grid;
      drawMap(plane.image, a.outputMap, f * G * G, G, $("discretize").checked);
      plane.context.putImageData(plane.image, 0, 0);
      for (let i = 0; i < n; i++) {
        const right = a.correct[f * n + i] === 1;
        const point = plane.points[i];
        point.classList.toggle("wrong", !right);
        point.dataset.correct = String(right);
      }
      const chosen = plane.points[state.sample];
      for (const ring of plane.rings) {
        ring.setAttribute("cx", chosen.getAttribute("cx"));
        ring.setAttribute("cy", chosen.getAttribute("cy"));
      }
    }

    // --- the loss and accuracy curve ---

    function buildChart() {
      const svg = $("chart");
      const W = 760;
      const H = 170;
      const left = 44;
      const right = 44;
      const top = 10;
      const bottom = 26;
      svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
      const steps = a.steps;
      const first = steps[0];
      const lastStep = Math.max(steps[F - 1], first + 1);
      let highest = 0;
      for (let f = 0; f < F; f++) if (Number.isFinite(a.loss[f])) highest = Math.max(highest, a.loss[f]);
      highest = highest || 1;
      const x = (step) => left + ((step - first) / (lastStep - first)) * (W - left - right);
      const yLoss = (v) => top + (1 - v / highest) * (H - top - bottom);
      const yAcc = (v) => top + (1 - v) * (H - top - bottom);
      element("line", { x1: left, y1: H - bottom, x2: W - right, y2: H - bottom, class: "axis" }, svg, SVG);
      element("line", { x1: left, y1: top, x2: left, y2: H - bottom, class: "axis" }, svg, SVG);
      element("line", { x1: W - right, y1: top, x2: W - right, y2: H - bottom, class: "axis" }, svg, SVG);
      const label = (lx, ly, anchor, text) => {
        element("text", { x: lx, y: ly, "text-anchor": anchor }, svg, SVG).textContent = text;
      };
      label(left - 4, top + 8, "end", num(highest));
      label(left - 4, H - bottom, "end", "0");
      label(4, (H - bottom + top) / 2, "start", "loss");
      label(W - right + 4, top + 8, "start", "100%");
      label(W - right + 4, H - bottom, "start", "0%");
      label(W - 4, (H - bottom + top) / 2, "end", "acc.");
      label(left, H - 8, "start", "step " + first);
      label(W - right, H - 8, "end", "step " + steps[F - 1]);
      let lossPoints = "";
      let accPoints = "";
      for (let f = 0; f < F; f++) {
        lossPoints += `${x(steps[f]).toFixed(1)},${yLoss(a.loss[f]).toFixed(1)} `;
        accPoints += `${x(steps[f]).toFixed(1)},${yAcc(a.accuracy[f]).toFixed(1)} `;
      }
      element("polyline", { points: lossPoints, class: "loss" }, svg, SVG);
      element("polyline", { points: accPoints, class: "accuracy" }, svg, SVG);
      const marker = element("line", { y1: top, y2: H - bottom, class: "marker" }, svg, SVG);
      const lossDot = element("circle", { r: 3.5, class: "dot-loss" }, svg, SVG);
      const accDot = element("circle", { r: 3.5, class: "dot-accuracy" }, svg, SVG);

      const frameAt = (event) => {
        const box = svg.getBoundingClientRect();
        const step = first + ((((event.clientX - box.left) / box.width) * W - left) / (W - left - right)) *
          (lastStep - first);
        let best = 0;
        for (let f = 1; f < F; f++) if (Math.abs(steps[f] - step) < Math.abs(steps[best] - step)) best = f;
        return best;
      };
      svg.addEventListener("pointermove", (event) => {
        const f = frameAt(event);
        if (event.buttons & 1) show(f);
        readout(f);
      });
      svg.addEventListener("pointerdown", (event) => { pause(); show(frameAt(event)); });
      svg.addEventListener("pointerleave", () => readout(state.frame));
      return { x, yLoss, yAcc, marker, lossDot, accDot };
    }

    function readout(f) {
      $("readout").textContent = `step ${a.steps[f]} (frame ${f}): loss ${num(a.loss[f])}, ` +
        `accuracy ${percent(a.accuracy[f])}`;
    }

    function paintChart() {
      const f = state.frame;
      const xs = chart.x(a.steps[f]).toFixed(1);
      chart.marker.setAttribute("x1", xs);
      chart.marker.setAttribute("x2", xs);
      chart.lossDot.setAttribute("cx", xs);
      chart.lossDot.setAttribute("cy", chart.yLoss(a.loss[f]).toFixed(1));
      chart.accDot.setAttribute("cx", xs);
      chart.accDot.setAttribute("cy", chart.yAcc(a.accuracy[f]).toFixed(1));
      readout(f);
    }

    // --- the cards: the selected sample and what is under the pointer ---

    function fillSample() {
      const f = state.frame;
      const i = state.sample;
      const box = $("sample");
      box.textContent = "";
      const right = a.correct[f * n + i] === 1;
      line(box, `Sample #${i} of ${n}: x = (${num(a.X[2 * i])}, ${num(a.X[2 * i + 1])}), ` +
        `target ${num(a.y[i])} (class ${a.labels[i]})`, "title");
      const p = line(box, `output \u0177 = ${num(output(f, i))} \u2192 `);
      const verdict = element("span", { class: right ? "right" : "wrong" }, p);
      verdict.textContent = right ? "right" : "wrong";
      p.append(` (class 1 when \u0177 > ${num(film.threshold)})`);
      line(box, `its own loss L = ${num(a.sampleLoss[f * n + i])}`);
      line(box, "Click another point to follow it through the network.", "why");
    }

    function fillCard() {
      const item = state.pinned || state.hovered;
      const box = $("card");
      box.textContent = "";
      if (!item) {
        line(box, "Hover over an edge or a neuron of the network (or press ] to step through them).", "quiet");
        return;
      }
      const f = state.frame;
      const i = state.sample;
      if (item.kind === "edge") {
        const { l, j, k } = item;
        const from = names[l][k];
        const to = names[l + 1][j];
        const ak = activation(l, f, i, k);
        const dj = perSample("deltas", l, f, i, j);
        line(box, `Weight from ${from} to ${to}`, "title");
        line(box, `w = ${num(weight(l, f, j, k))}`, "num");
        line(box, `\u2202L/\u2202w = ${num(weightGrad(l, f, j, k))} over all samples`, "num");
        line(box, isFrozen(l, "weights") ? "w is frozen (requires_grad=False): no step moves it, whatever its gradient"
          : rosenblatt ? "Rosenblatt's rule moves w by \u03b7(y \u2212 \u0177)\u00b7input on a sample it gets wrong, " +
            "not by its gradient (0 wherever the step function has a slope)"
          : "gradient descent moves w against it (SGD by \u03b7 times it, momentum and Adam by their own rules)",
        "why");
        line(box, `for sample #${i}: \u2202L\u1d62/\u2202w = ${from} \u00b7 \u03b4(${to}) = ${factor(ak)} \u00b7 ` +
          `${factor(dj)} = ${num(ak * dj)}`, "num");
        line(box, `the chain rule: the local derivative \u2202z/\u2202w is the input ${from} it multiplies, ` +
          `times the upstream gradient \u03b4 = \u2202L\u1d62/\u2202z of ${to}'s weighted sum z`, "why");
      } else if (item.kind === "input") {
        line(box, `Input ${names[0][item.j]}`, "title");
        line(box, `${names[0][item.j]} = ${num(activation(0, f, i, item.j))} for sample #${i}`, "num");
        line(box, "Its map is the input itself over the plane.", "why");
      } else {
        const c = item.c;
        const l = c - 1;
        const j = item.j;
        const act = film.activations[l];
        const value = activation(c, f, i, j);
        const local = perSample("localGradients", l, f, i, j);
        const delta = perSample("deltas", l, f, i, j);
        line(box, `Neuron ${names[c][j]} (${act})`, "title");
        if (noBias.has(l)) {
          line(box, "no bias (its layer was made with bias=False)");
        } else {
          line(box, `bias b = ${num(bias(l, f, j))}, \u2202L/\u2202b = ${num(biasGrad(l, f, j))} over all samples` +
            (isFrozen(l, "biases") ? " (b is frozen: no step moves it)" : ""), "num");
        }
        line(box, `for sample #${i}:`);
        line(box, `output a = ${num(value)}`, "num");
        line(box, `local gradient da/dz = ${num(local)}`, "num");
        if (c < L) {
          let upstream = 0;
          const terms = [];
          for (let m = 0; m < sizes[c + 1]; m++) {
            const w = weight(c, f, m, j);
            const d = perSample("deltas", c, f, i, m);
            upstream += w * d;
            if (terms.length < 3) terms.push(`${factor(w)}\u00b7${factor(d)}`);
          }
          const more = sizes[c + 1] > 3 ? " + \u2026" : "";
          line(box, `\u2202L\u1d62/\u2202a = \u03a3 w\u00b7\u03b4 over the next layer = ${terms.join(" + ")}${more} ` +
            `= ${num(upstream)}`, "num");
          line(box, `\u03b4 = \u2202L\u1d62/\u2202z = da/dz \u00b7 \u2202L\u1d62/\u2202a = ${factor(local)} \u00b7 ` +
            `${factor(upstream)} = ${num(delta)}`, "num");
        } else {
          line(box, `\u03b4 = \u2202L\u1d62/\u2202z = ${num(delta)}`, "num");
        }
        line(box, noBias.has(l) ? "Each weight into the neuron gets its input times \u03b4." :
          "\u03b4 is also this sample's \u2202L\u1d62/\u2202b; each weight into the neuron gets its input times \u03b4.",
        "why");
      }
    }

    // --- controls ---

    function buildControls() {
      const slider = $("slider");
      slider.max = String(F - 1);
      slider.addEventListener("input", () => { pause(); show(parseInt(slider.value, 10)); }); // as ◀ ▶ and the keys
      $("prev").addEventListener("click", () => { pause(); show(state.frame - 1); });
      $("next").addEventListener("click", () => { pause(); show(state.frame + 1); });
      $("play").addEventListener("click", toggle);
      $("play").disabled = F < 2; // one frame: nothing to play
      for (const button of [$("prev"), $("next"), $("play")]) {
        // A button clicked with the mouse hands the keys back to the film (Space plays, as the legend says); one
        // pressed with the keys keeps them, as any button does (such a click has no mouse clicks in its detail).
        button.addEventListener("click", (event) => { if (event.detail > 0) button.blur(); });
      }
      const speed = $("speed");
      const wanted = F / 10;
      let best = SPEEDS[0];
      for (const fps of SPEEDS) {
        element("option", { value: fps }, speed).textContent = fps + " frames/s";
        if (Math.abs(fps - wanted) < Math.abs(best - wanted)) best = fps;
      }
      speed.value = String(best);
      $("edges").addEventListener("change", paintEdges);
      const discretize = $("discretize");
      discretize.addEventListener("change", () => { paintNodes(); paintPlane(); });
      for (const [control, area] of [[speed, speed], [$("edges"), $("edges")], [discretize, discretize.parentElement]]) {
        // A list or the box set with the mouse (the box through its label too) hands the keys back to the film;
        // one changed with the keys keeps them.
        area.addEventListener("pointerdown", () => { control.dataset.pointer = "true"; });
        control.addEventListener("keydown", () => { delete control.dataset.pointer; });
        control.addEventListener("change", () => {
          if (control.dataset.pointer) control.blur();
          delete control.dataset.pointer;
        });
      }
      document.addEventListener("keydown", onKey);
    }

    function onKey(event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target;
      const tag = target && target.tagName;
      const field = tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA";
      const slider = tag === "INPUT" && target.type === "range";
      if (event.key === " ") {
        // Space presses a focused button or opens a list itself; on the slider, which has no use for it, it plays
        if ((field && !slider) || tag === "BUTTON") return;
        event.preventDefault();
        toggle();
      } else if ((event.key === "n" || event.key === "p") && (!field || slider || target.type === "checkbox")) {
        // the next or previous sample, without a mouse (a list keeps its letters, which jump to an option)
        select((state.sample + (event.key === "n" ? 1 : n - 1)) % n);
      } else if ((event.key === "[" || event.key === "]") && (!field || slider || target.type === "checkbox")) {
        inspect(event.key === "]" ? 1 : -1);
      } else if (event.key === "Escape" && state.pinned) {
        pin(null);
      } else if (slider || tag === "SELECT") {
        return; // the slider and the lists move with the arrow keys themselves
      } else if (event.key === "ArrowRight") {
        pause();
        show(state.frame + 1);
      } else if (event.key === "ArrowLeft") {
        pause();
        show(state.frame - 1);
      } else if (event.key === "Home") {
        pause();
        show(0);
      } else if (event.key === "End") {
        pause();
        show(F - 1);
      } else {
        return;
      }
      event.preventDefault();
    }

    /** A disabled button drops the keyboard's focus to the page: hand it to the other button, else the slider. */
    function keepFocus(focused) {
      if (!focused.disabled) return;
      const other = focused === $("prev") ? $("next") : $("prev");
      (other.disabled ? $("slider") : other).focus();
    }

    function toggle() {
      if (state.playing) pause();
      else play();
    }

    function play() {
      if (state.playing || F < 2) return;
      if (state.frame >= F - 1) show(0);
      state.playing = true;
      state.last = 0;
      state.carry = 0;
      player.dataset.playing = "true";
      $("play").textContent = "\u275a\u275a pause";
      $("play").setAttribute("aria-label", "pause");
      requestAnimationFrame(tick);
    }

    function pause() {
      if (!state.playing) return;
      state.playing = false;
      player.dataset.playing = "false";
      $("play").textContent = "\u25b6 play";
      $("play").setAttribute("aria-label", "play");
    }

    function tick(now) {
      if (!state.playing) return;
      if (state.last) state.carry += ((now - state.last) / 1000) * Number($("speed").value);
      state.last = now;
      const advance = Math.floor(state.carry);
      if (advance > 0) {
        state.carry -= advance;
        show(Math.min(F - 1, state.frame + advance));
        if (state.frame >= F - 1) {
          pause();
          return;
        }
      }
      requestAnimationFrame(tick);
    }

    function select(i) {
      state.sample = i;
      player.dataset.sample = String(i);
      show(state.frame, true);
    }

    function show(f, force) {
      f = Math.max(0, Math.min(F - 1, f));
      if (f === state.frame && !force) return;
      state.frame = f;
      player.dataset.frame = String(f);
      $("slider").value = String(f);
      $("counter").textContent = `frame ${f} of ${F - 1} \u00b7 step ${a.steps[f]} \u00b7 ` +
        `loss ${num(a.loss[f])} \u00b7 accuracy ${percent(a.accuracy[f])}`;
      const focused = document.activeElement;
      $("prev").disabled = f === 0;
      $("next").disabled = f === F - 1;
      if (focused === $("prev") || focused === $("next")) keepFocus(focused);
      paintEdges();
      paintNodes();
      paintPlane();
      paintChart();
      fillSample();
      fillCard();
    }
  }
})();
