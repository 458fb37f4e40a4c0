"""argparse types for numbers with a lower bound, shared by the subcommands."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def bounded(kind: type, *, positive: bool) -> Callable[[str], int | float]:
    """An argparse type reading `kind` (int or float) that must be > 0 (`positive`) or >= 0, and finite."""
    noun = "integer" if kind is int else "number"
    what = f"a positive {noun}" if positive else f"an {noun} >= 0" if kind is int else f"a {noun} >= 0"

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not math.isfinite(value) or (value <= 0 if positive else value < 0):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return convert


positive_int = bounded(int, positive=True)
positive_float = bounded(float, positive=True)
non_negative_int = bounded(int, positive=False)
non_negative_float = bounded(float, positive=False)
