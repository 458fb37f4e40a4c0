"""What the subcommands share about their arguments: bounded-number and output-file types, the usage error,
and their help text."""

from __future__ import annotations

import argparse
import inspect
import math
import os
import shutil
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path


class UsageError(Exception):
    """Bad command-line input: reported as one line on stderr with exit status 2."""


class Unfinished(Exception):
    """A run that went through but did not do what was asked (a gate not learned): its one line on stderr,
    exit status 1; what it printed and wrote stays."""


LARGEST_INT = 2**31 - 1
"""The largest integer option accepted: more steps, epochs or units than this is a typo, and past
2**63 Python's own sizes fail with messages that name no option."""


def bounded(
    kind: type, *, positive: bool, largest: int = LARGEST_INT, bound_by: str = ""
) -> Callable[[str], int | float]:
    """An argparse type reading `kind` (int or float) that must be > 0 (`positive`) or >= 0, and finite
    (an int at most `largest`; `bound_by` says what sets that bound)."""
    noun = "integer" if kind is int else "number"
    what = f"a positive {noun}" if positive else f"an {noun} >= 0" if kind is int else f"a {noun} >= 0"
    if kind is int:
        what += f" up to {largest}" + (f" ({bound_by})" if bound_by else "")

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not math.isfinite(value) or (value <= 0 if positive else value < 0) or (kind is int and value > largest):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return convert


positive_int = bounded(int, positive=True)
positive_float = bounded(float, positive=True)
non_negative_int = bounded(int, positive=False)
non_negative_float = bounded(float, positive=False)


HTML_SUFFIXES = (".html", ".htm")
"""The names a page (a film, the backward steps) may be written under, as `viz` takes them."""


def output_file(*suffixes: str, add: str | None = None) -> Callable[[str], Path]:
    """An argparse type for a file a command will write: named with one of `suffixes` (any case),
    in a folder that exists and is writable, and not itself a folder.

    With `add`, a name without one of `suffixes` gets `add` appended instead of being refused
    (``model`` -> ``model.npz``, as `Module.save` does), and the path returned is the one written.
    Checked when the arguments are read, so a bad path is reported before any work is done.
    """
    wanted = " or ".join(suffixes)

    def convert(text: str) -> Path:
        if not text:  # Path("") is ".", the folder this runs in
            raise argparse.ArgumentTypeError(f"the path is empty, expected a {wanted} file")
        try:
            path = Path(text).expanduser()
            path.is_dir()  # an OSError for a name the system refuses (too long, say)
        except (RuntimeError, OSError) as error:  # RuntimeError: ~name of no user
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: {_reason(error)}") from None
        if text.endswith(("/", os.sep)):  # Path drops the slash that asks for a folder
            raise argparse.ArgumentTypeError(f"{text!r} names a folder, expected a {wanted} file")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, expected a {wanted} file")
        if path.suffix.lower() not in suffixes:
            if add is None:
                raise argparse.ArgumentTypeError(f"expected a {wanted} file, got {text!r}")
            path = path.with_name(path.name + add)
            if path.is_dir():
                raise argparse.ArgumentTypeError(f"{str(path)!r} (where {text!r} would be saved) is a folder")
        folder = path.parent
        if folder.exists() and not folder.is_dir():
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: {str(folder)!r} is a file, not a folder")
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: the folder {str(folder)!r} does not exist")
        try:  # a file made and removed at once: os.access grants root everything, /sys included
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".chainrule-", suffix=".tmp"):
                pass
        except OSError as error:
            raise argparse.ArgumentTypeError(
                f"cannot write {text!r}: no file can be made in the folder {str(folder)!r} ({_reason(error)})"
            ) from None
        return path

    return convert


def _reason(error: Exception) -> str:
    """What went wrong, without the file name an OSError repeats."""
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


def help_text(docstring: str) -> str:
    """A command's docstring as its --help shows it: each paragraph filled to the terminal's width,
    indented blocks (examples) kept line for line."""
    width = max(shutil.get_terminal_size().columns - 2, 40)  # argparse's own width
    paragraphs = []
    for paragraph in inspect.cleandoc(docstring).split("\n\n"):
        if paragraph.startswith((" ", "\t")):
            paragraphs.append(paragraph)
        else:
            text = " ".join(paragraph.split())
            paragraphs.append(textwrap.fill(text.removesuffix(":") if text.endswith("::") else text, width))
    return "\n\n".join(paragraphs)
