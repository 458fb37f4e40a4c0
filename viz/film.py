"""`film`: a recorded training run as one self-contained HTML page that plays it back.

The page has the network diagram (every neuron's output over the plane as a small heat map,
edges coloured by weight or gradient), the decision boundary with the training samples, the
loss and accuracy curve, and a player (play/pause, previous/next, a slider, speed; keys Space,
ArrowLeft/ArrowRight, Home/End). It needs no network: the script and style (``assets/film.js``,
``assets/film.css``) are inlined and the data is embedded.

`viz` does not import `nn`: a recording is read by duck typing, as the graph is. `film` reads
these attributes (what `chainrule.nn.Recording` has; F frames, n samples, per layer l a list):

- ``sizes`` (layer widths, 2 inputs first, 1 output last), ``activations`` (one name per layer);
- ``X`` (n, 2), ``y`` (n,), ``labels`` (n,) 0/1, ``threshold``, ``extent`` (x1 min, x1 max, x2 min, x2 max);
- ``steps``, ``loss``, ``accuracy``: (F,);
- ``weights``, ``weight_gradients``: per layer (F, nout, nin); ``biases``, ``bias_gradients``: (F, nout);
- ``output_map`` (F, G, G); ``neuron_maps`` per layer (F, nout, g, g); ``input_maps`` (2, g, g);
  row r of a map is the r-th row of grid points from the bottom;
- ``sample_activations``, ``sample_local_gradients``, ``sample_deltas``: per layer (F, n, nout);
  ``sample_loss`` (F, n); ``sample_correct`` (F, n) bool;
- ``info``: a dict shown in the page (title, model, loss, seed, hyperparameters, chainrule version).

How the data is kept small: a sample's gradient for each weight is not stored but computed by
the page as the chain-rule product a_k · δ_j of two recorded per-neuron numbers (the recording's
own encoding: 33 numbers per sample instead of 337 for a 2-16-16-1 net); the maps are quantized
to one byte per point around a centre (the threshold for the output, 0 or 0.5 for a neuron) so
that the side of the centre, the decision, is exact; the accuracy and the samples' inputs are float64
(shown as percentages to 0.1, and drawn at their place however far from 0), every other number is
float32, and whether each sample is classified right is stored as is. The bytes are gzip-compressed and
base64-encoded in the page, which unpacks them with the browser's DecompressionStream.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .page import asset, check_page_name
from .renderer import check_folder, write_atomic
from .text import xml_safe

FIELDS = (
    "sizes", "activations", "X", "y", "labels", "threshold", "extent", "steps", "loss", "accuracy",
    "weights", "biases", "weight_gradients", "bias_gradients", "output_map", "neuron_maps", "input_maps",
    "sample_activations", "sample_local_gradients", "sample_deltas", "sample_loss", "sample_correct", "info",
)
BOUNDED = {"sigmoid": (0.5, 0.5), "step": (0.5, 0.5), "tanh": (0.0, 1.0)}
"""Activations whose outputs have known bounds: (centre, half-width) of their colour scale."""
_SLOT = re.compile(r"\{\{(title|style|data|script)\}\}")


class Film:
    """A film page: Jupyter shows it inline (an iframe), `save` writes it, ``html`` is the page."""

    def __init__(self, page: str, frames: int, height: int) -> None:
        self.html = page
        self.frames = frames
        self.height = height

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (an .html file); returns the path."""
        check_folder(path)
        check_page_name(path, "Film.save")
        return write_atomic(path, self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        source = html.escape(self.html, quote=True)
        return (
            f'<iframe srcdoc="{source}" title="training film" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #ddd; border-radius: 4px;"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Film: {self.frames} frames, {len(self.html.encode('utf-8')) / 1e6:.2f} MB of HTML>"


def film(recording: Any, path: str | os.PathLike[str] | None = None, *, title: str | None = None) -> Film:
    """The page that plays `recording` (an `nn.Recording`, or an `nn.Recorder`), written to `path` if given.

    In Jupyter, a cell ending in ``viz.film(recorder.recording)`` shows the player inline.
    """
    if not hasattr(recording, "steps"):
        recording = getattr(recording, "recording", recording)  # a Recorder's, built once
    missing = [name for name in FIELDS if not hasattr(recording, name)]
    if missing:
        raise TypeError(
            f"viz.film needs a recording such as nn.Recorder(...).recording; {type(recording).__name__} "
            f"has no {', '.join(missing)}"
        )
    if title is not None and not isinstance(title, str):
        raise TypeError(f"viz.film: title must be a str (or None), got {type(title).__name__} {title!r}")
    if path is not None:
        check_folder(path)  # before the page is made, not after
        check_page_name(path, "viz.film")
    payload, height = _payload(recording, title)
    page = _page(payload)
    result = Film(page, int(len(recording.steps)), height)
    if path is not None:
        result.save(path)
    return result


# --- the data ---


class _Blob:
    """Arrays laid end to end (each at a multiple of its item size, and of 4 bytes) with an index the page reads."""

    KINDS = {"f8": "<f8", "f4": "<f4", "u1": "u1", "i4": "<i4"}

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.index: dict[str, dict[str, Any]] = {}

    def add(self, name: str, array: Any, kind: str) -> None:
        """Append `array` as `kind`; an "f4" array with numbers float32 cannot hold (beyond ±3.4e38 after a huge
        learning rate, or non-zero below 1.4e-45, such as a sample's loss of 1e-53) is kept as "f8", so the page
        shows them rather than ±inf or 0 (it reads each array's own type)."""
        if kind == "f4" and _beyond_float32(array):
            kind = "f8"
        data = np.ascontiguousarray(array, dtype=self.KINDS[kind])
        padding = -self.size % max(4, data.itemsize)  # a Float64Array must start at a multiple of 8
        self.parts.append(b"\0" * padding)
        self.size += padding
        self.index[name] = {"type": kind, "shape": list(data.shape), "offset": self.size}
        raw = data.tobytes()
        self.parts.append(raw)
        self.size += len(raw)

    def packed(self) -> str:
        return base64.b64encode(gzip.compress(b"".join(self.parts), compresslevel=9, mtime=0)).decode("ascii")


def _beyond_float32(array: Any) -> bool:
    """Whether float32 would turn a finite number of `array` into ±inf, or one that is not 0 into 0."""
    values = np.asarray(array)
    if values.dtype.kind != "f" or values.dtype.itemsize <= 4:
        return False
    with np.errstate(over="ignore", under="ignore"):
        narrowed = values.astype(np.float32)
    return not (np.array_equal(np.isfinite(narrowed), np.isfinite(values))
                and np.array_equal(narrowed == 0, values == 0))


def quantize(values: np.ndarray, centre: float, half: float) -> np.ndarray:
    """Bytes 0-255 for `values` on a scale from centre - half to centre + half.

    Values above the centre get 128-255 and the rest 0-127, so the side of the centre (the
    class, for the output) is exact; values beyond the scale saturate.
    """
    d = np.nan_to_num((np.asarray(values, dtype=np.float64) - centre) / half, nan=0.0, posinf=1.0, neginf=-1.0)
    steps = np.minimum(127, np.floor(np.abs(d) * 127))
    return np.where(d > 0, 128 + steps, 127 - steps).astype(np.uint8)


def colour_scale(values: np.ndarray, activation: str, centre: float | None = None) -> tuple[float, float]:
    """(centre, half-width) of the colour scale for outputs of `activation`.

    Bounded activations use their range; otherwise the scale reaches the 98th percentile of
    `values` (a neuron's outputs on the training samples, all frames), so that the plane is
    coloured most finely where the samples are, and saturates far from them.
    """
    bounded = BOUNDED.get(activation)
    if centre is None:
        centre = bounded[0] if bounded else 0.0
    if bounded:
        return centre, bounded[1]
    spread = np.abs(np.asarray(values, dtype=np.float64) - centre)
    spread = spread[np.isfinite(spread)]
    half = float(np.percentile(spread, 98)) if spread.size else 0.0
    return centre, half if half > 1e-12 else 1.0


def _payload(r: Any, title: str | None) -> tuple[dict[str, Any], int]:
    sizes = [int(s) for s in r.sizes]
    if len(sizes) < 2 or sizes[0] != 2 or sizes[-1] != 1:
        raise ValueError(f"viz.film plays models with 2 inputs and 1 output; the recording has sizes {sizes}")
    layers = len(sizes) - 1
    frames = len(r.steps)
    X = np.asarray(r.X, dtype=np.float64)
    blob = _Blob()
    blob.add("steps", r.steps, "i4")
    blob.add("loss", r.loss, "f4")
    blob.add("accuracy", r.accuracy, "f8")  # 0.57 in float32 is 0.5699999928: the page would show 56.9%
    blob.add("X", X, "f8")  # where the points are drawn: float32 moves inputs far from 0 (1e7 + x) off their place
    blob.add("y", r.y, "f4")
    blob.add("labels", r.labels, "u1")
    blob.add("correct", r.sample_correct, "u1")
    blob.add("sampleLoss", r.sample_loss, "f4")
    threshold = float(r.threshold)
    if not math.isfinite(threshold):
        raise ValueError(f"viz.film: the recording's threshold must be a finite number, got {threshold!r}")
    outputs = np.asarray(r.sample_activations[-1], dtype=np.float64)
    output_scale = colour_scale(outputs, r.activations[-1], centre=threshold)
    blob.add("outputMap", quantize(r.output_map, *output_scale), "u1")
    extent = [float(v) for v in r.extent]
    if len(extent) != 4 or not all(map(math.isfinite, extent)) or extent[0] >= extent[1] or extent[2] >= extent[3]:
        raise ValueError(
            f"viz.film: the recording's extent must be four finite numbers (x0, x1, y0, y1) with x0 < x1 and "
            f"y0 < y1, got {tuple(extent)}"
        )
    input_scales = [((extent[0] + extent[1]) / 2, (extent[1] - extent[0]) / 2),
                    ((extent[2] + extent[3]) / 2, (extent[3] - extent[2]) / 2)]
    blob.add("inputMaps", np.stack([quantize(r.input_maps[i], *input_scales[i]) for i in range(2)]), "u1")
    neuron_scales = []
    largest_weight = 0.0
    for layer in range(layers):
        activation = r.activations[layer]
        maps = np.asarray(r.neuron_maps[layer], dtype=np.float64)
        acts = np.asarray(r.sample_activations[layer], dtype=np.float64)
        centre = threshold if layer == layers - 1 else None
        scales = [colour_scale(acts[:, :, j], activation, centre) for j in range(sizes[layer + 1])]
        neuron_scales.append(scales)
        quantized = np.stack([quantize(maps[:, j], *scales[j]) for j in range(len(scales))], axis=1)
        blob.add(f"maps{layer}", quantized, "u1")
        for name, values, kind in (
            ("weights", r.weights, "f4"), ("biases", r.biases, "f4"),
            ("weightGradients", r.weight_gradients, "f4"), ("biasGradients", r.bias_gradients, "f4"),
            ("activations", r.sample_activations, "f4"), ("localGradients", r.sample_local_gradients, "f4"),
            ("deltas", r.sample_deltas, "f4"),
        ):
            blob.add(f"{name}{layer}", values[layer], kind)
        weights = np.abs(np.asarray(r.weights[layer], dtype=np.float64))
        weights = weights[np.isfinite(weights)]  # the width of the widest edge drawn: an inf one is drawn as wide
        largest_weight = max(largest_weight, float(weights.max()) if weights.size else 0.0)
    info = {str(k): _plain(v) for k, v in dict(r.info).items()}
    if title is None and not isinstance(info.get("title", ""), str):
        raise TypeError(
            f"viz.film: the recording's info['title'] must be a str, got {type(info['title']).__name__} "
            f"{info['title']!r}; or pass title="
        )
    payload = {
        "format": 1,
        "title": title or info.get("title") or "Watch a network learn",
        "info": info,
        "sizes": sizes,
        "activations": [str(a) for a in r.activations],
        "frames": frames,
        "samples": len(X),
        "grid": int(np.shape(r.output_map)[-1]),
        "neuronGrid": int(np.shape(r.input_maps)[-1]),
        "extent": extent,
        "threshold": threshold,
        "outputScale": list(output_scale),
        "inputScales": [list(s) for s in input_scales],
        "neuronScales": [[list(s) for s in scales] for scales in neuron_scales],
        "largestWeight": largest_weight or 1.0,
        "arrays": blob.index,
        "data": blob.packed(),
    }
    return payload, _height(sizes, payload["title"])


def _height(sizes: list[int], title: str) -> int:
    """Pixels the page needs in a notebook's frame 900 to 1400 px wide (two columns of panels), with room for the
    text that wraps onto more lines in the narrower ones, the title's too (about 60 characters a line)."""
    widest = max(sizes)
    box, gap = (24, 8) if widest > 8 else (36, 16) if widest > 4 else (48, 16)
    diagram = widest * box + (widest - 1) * gap + 44
    legend = 160 if len(sizes) == 3 else 130  # under one hidden layer's narrow diagram it wraps to more lines
    title_lines = -(-len(title) // 60)
    return 560 + max(diagram + legend, 560) + (90 if widest > 4 else 0) + 32 * max(title_lines - 1, 0)


def _plain(value: Any) -> Any:
    """`value` as JSON can hold it: numbers, text, lists and dicts (anything else, NaN and inf too, as its repr)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


# --- the page ---


def _page(payload: dict[str, Any]) -> str:
    data = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    template = asset("film.html")
    replacements = {
        "{{title}}": html.escape(xml_safe(payload["title"])),
        "{{style}}": asset("film.css"),
        "{{data}}": data,
        "{{script}}": asset("film.js"),
    }
    return _SLOT.sub(lambda match: replacements[match.group(0)], template)
