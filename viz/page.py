"""The pages' scripts, styles and templates (``assets/``), read to be inlined whole when a page is written:
a page needs no network and no file beside it."""

from __future__ import annotations

from importlib import resources


def asset(name: str) -> str:
    """The text of ``assets/<name>``."""
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")
