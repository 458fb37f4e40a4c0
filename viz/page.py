"""The pages' scripts, styles and templates (``assets/``), read to be inlined whole when a page is written:
a page needs no network and no file beside it."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def asset(name: str) -> str:
    """The text of ``assets/<name>``."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def check_page_name(path: str | os.PathLike[str], writer: str) -> None:
    """ValueError unless `path` names an HTML file (.html or .htm): a page written under another name (.png,
    .svg) would not open as one."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{writer} writes an HTML page: the name must end in .html, got {str(path)!r}")
