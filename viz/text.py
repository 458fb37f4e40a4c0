"""How numbers, arrays and ops read in a picture: 4 significant digits and a real minus sign."""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Any

MINUS = "\u2212"
PARTIAL = "\u2202"

_SYMBOLS = {"+": "+", "-": MINUS, "*": "\u00d7", "/": "\u00f7", "**": "^", "sum": "\u03a3"}
_COMMUTATIVE = {"+", "*"}


def number(x: Any) -> str:
    """`x` with 4 significant digits, a real minus sign and no "-0" (so −1.5, 0.7071, 1, 0)."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "\u221e" if x > 0 else MINUS + "\u221e"
    if x == 0:
        return "0"
    text = f"{x:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


def factor(x: Any) -> str:
    """`number(x)` in parentheses when negative, for products such as 0.5 · (−3)."""
    text = number(x)
    return f"({text})" if text.startswith(MINUS) else text


def is_array(x: Any) -> bool:
    """True for NumPy arrays and anything else with a shape (Tensor data), False for plain numbers."""
    return hasattr(x, "shape") and not isinstance(x, (str, bytes))


def summary(x: Any) -> str:
    """A number as `number`; an array as its values when it has at most 4, else mean/min/max."""
    if isinstance(x, str):
        return x
    if not is_array(x):
        return number(x)
    import numpy as np

    array = np.asarray(x)
    if array.dtype == bool:
        array = array.astype(float)
    if not np.issubdtype(array.dtype, np.number):
        return f"{array.dtype} values"
    if array.size == 0:
        return "[]"
    if array.size <= 4:
        return _nested(array)
    return f"mean {number(mean_of(array))} \u00b7 min {number(array.min())} \u00b7 max {number(array.max())}"


def mean_of(array: Any) -> float:
    """The mean of a non-empty numeric array, in float64: scaled first where the sum of finite entries overflows
    (five of 1e308), and NaN without a warning for +inf with −inf, as it is."""
    import numpy as np

    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(array.mean(dtype=np.float64))
        if not math.isfinite(mean) and np.isfinite(array).all():
            scaled = float((np.asarray(array, dtype=np.float64) / array.size).sum())
            mean = min(max(scaled, float(array.min())), float(array.max()))  # rounding may leave where it lies
    return mean


def _nested(array: Any) -> str:
    if array.ndim == 0:
        return number(array)
    return "[" + ", ".join(_nested(item) for item in array) + "]"


def local_grad(x: Any) -> str:
    """The text of an edge's local derivative: a number, an array summary, or the engine's own text."""
    return f"{PARTIAL} = {summary(x)}"


def op_text(node: Any) -> str:
    """The op as drawn in its node: a symbol (×, −, ÷, ^, Σ) or name, with a kept constant on its side."""
    name = node.op
    if not isinstance(name, str):  # an op of your own (`name` is a class attribute no one checks)
        raise TypeError(
            f"op names must be text (a str), got {type(name).__name__} {name!r} as the name of an op: give its "
            f"class a name such as name = 'double'"
        )
    if name.startswith("**") and len(name) > 2:  # a Value's power of a number, which the op's name holds too
        constant = getattr(node, "constant", None)
        return "^" + (number(constant) if constant is not None else name[2:].replace("-", MINUS))
    symbol = _SYMBOLS.get(name, name)
    constant = getattr(node, "constant", None)
    if constant is None:
        return symbol
    value = _constant_text(constant)
    if node.constant_first and name not in _COMMUTATIVE:
        return f"{value} {symbol}"
    return f"^{value}" if symbol == "^" else f"{symbol} {value}"


def _constant_text(constant: Any) -> str:
    if not is_array(constant):
        return factor(constant)
    if getattr(constant, "size", 0) <= 4:
        return summary(constant)
    return "array(" + "\u00d7".join(str(n) for n in constant.shape) + ")"


def escape(text: str) -> str:
    """Text made safe inside a Graphviz HTML-like label, shown as written.

    Graphviz still expands ``\\N``, ``\\G`` and the like inside such labels, so a backslash is doubled
    (Graphviz reads ``\\\\`` as one); a character the SVG's XML does not allow (a control character, a lone
    surrogate, U+FFFE, U+FFFF), a newline or a tab (which Graphviz would drop) is shown as its escape, ``\\n``."""
    return html.escape(xml_safe(text), quote=True).replace("\\", "\\\\")


LABEL_LIMIT = 500
"""The most characters of a label a drawing shows: Graphviz's `dot` refuses a label longer than 16,384 characters
once escaped (an ``&`` takes five), and a longer one is no use in a picture."""


def shortened(text: str) -> str:
    """`text`, or for one longer than `LABEL_LIMIT` characters its start and end around an ellipsis."""
    if len(text) <= LABEL_LIMIT:
        return text
    half = LABEL_LIMIT // 2
    return f"{text[:half]}\u2026{text[-(half - 1):]}"


def xml_safe(text: str) -> str:
    """`text` with each character XML does not allow (a control character, a lone surrogate, U+FFFE, U+FFFF),
    a newline and a tab shown as its escape, ``\\n``: a label shown as written, in a file that can be written."""
    if text.isprintable():
        return text
    return "".join(repr(ch)[1:-1] if _not_in_xml(ch) else ch for ch in text)


def _not_in_xml(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff"


def text_width(text: str, size: float) -> float:
    """A generous estimate of `text`'s width in points in Helvetica at `size` points."""
    return 0.62 * size * len(text)
