"""Colours and node kinds: what makes inputs, parameters and the output, and a gradient's sign, visible."""

from __future__ import annotations

import math
from typing import Any

from .text import is_array, mean_of

FONT = "Helvetica"
FONT_SIZE = 11
SMALL = 8
EDGE_FONT_SIZE = 9
EDGE_COLOR = "#6f6f6f"
EDGE_LABEL_COLOR = "#5b4a8a"
OP_FILL = "#f2f2f2"
OP_BORDER = "#8c8c8c"
BOX_HEADER = "#dde3ea"
HIGHLIGHT = "#ff8c00"
HIGHLIGHT_WIDTH = "4"
UNREACHED = "#e6e6e6"
MUTED = "#5f5f5f"

POSITIVE = (178, 24, 43)
NEGATIVE = (33, 102, 172)
NEUTRAL = (247, 247, 247)
_MIN_TINT = 0.12


class Kind:
    """How a value node is drawn: its header fill, its border, its tag and border style."""

    __slots__ = ("name", "fill", "border", "width", "dashed")

    def __init__(self, name: str, fill: str, border: str, width: float = 1.2, dashed: bool = False) -> None:
        self.name = name
        self.fill = fill
        self.border = border
        self.width = width
        self.dashed = dashed


KINDS = {
    "input": Kind("input", "#d9f0d3", "#1b7837"),
    "parameter": Kind("param", "#e7d4e8", "#762a83"),
    "constant": Kind("const", "#ededed", "#8c8c8c", dashed=True),
    "output": Kind("output", "#ffe58a", "#000000", width=2.6),
    "op": Kind("", "#ffffff", "#595959"),
}


def kind_of(node: Any, root: Any) -> Kind:
    """The output, a parameter, a constant, an input (any other leaf), or an op's result.

    A scalar leaf that takes no gradient is a constant (`autograd.Constant`); a Tensor leaf
    without ``requires_grad`` is data, so it counts as an input.
    """
    if node is root:
        return KINDS["output"]
    if node.parents:
        return KINDS["op"]
    if getattr(node, "is_parameter", False):
        return KINDS["parameter"]
    if not getattr(node, "requires_grad", True) and not is_array(node.data):
        return KINDS["constant"]
    return KINDS["input"]


def signal(grad: Any) -> float | None:
    """The one number a gradient's colour shows: the gradient itself, or an array's mean."""
    if grad is None or isinstance(grad, str):
        return None
    if is_array(grad):
        import numpy as np

        array = np.asarray(grad, dtype=float)
        if array.size == 0:
            return None
        grad = mean_of(array)
    value = float(grad)
    return value if math.isfinite(value) else None


def grad_colors(value: float | None, scale: float) -> tuple[str, str]:
    """Background and text colours for a gradient: red if positive, blue if negative, deeper when larger.

    The depth is |value| / `scale` (the largest |grad| in the picture), with a faint tint
    kept for any nonzero gradient so that its sign is never lost.
    """
    if value is None or value == 0 or scale <= 0:
        return _hex(NEUTRAL), "#000000"
    depth = min(abs(value) / scale, 1.0)
    depth = _MIN_TINT + (1 - _MIN_TINT) * depth
    end = POSITIVE if value > 0 else NEGATIVE
    rgb = tuple(round(a + (b - a) * depth) for a, b in zip(NEUTRAL, end))
    return _hex(rgb), "#ffffff" if depth > 0.55 else "#000000"


def ramp(steps: int = 4) -> list[tuple[str, str]]:
    """Legend swatches from the most negative to the most positive gradient, as (fill, text colour)."""
    values = [-(i / steps) for i in range(steps, 0, -1)] + [0.0] + [i / steps for i in range(1, steps + 1)]
    return [grad_colors(v, 1.0) for v in values]


def _hex(rgb: tuple[int, ...]) -> str:
    return "#" + "".join(f"{c:02x}" for c in rgb)
