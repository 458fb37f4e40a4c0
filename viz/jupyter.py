"""`show`: a picture of the graph that Jupyter displays inline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .renderer import DEFAULT_TIMEOUT, render_bytes, write_atomic


class GraphImage:
    """A rendered graph: Jupyter shows it through `_repr_svg_`; `save` writes it.

    There is deliberately no `_repr_html_`: a notebook would then store every picture twice
    (as ``image/svg+xml`` and as ``text/html``), and the SVG alone is what Jupyter, nbviewer
    and GitHub show inline.
    """

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the SVG to `path`."""
        return write_atomic(path, self.svg.encode("utf-8"))

    def __repr__(self) -> str:
        return f"<GraphImage: {len(self.svg)} characters of SVG>"


def show(root: Any, *, renderer: str | None = None, timeout: float = DEFAULT_TIMEOUT, **draw_kwargs: Any) -> GraphImage:
    """`root`'s graph rendered to SVG, for a notebook cell to display (`draw_kwargs` go to `draw_graph`)."""
    data = render_bytes(root, "svg", renderer=renderer, timeout=timeout, **draw_kwargs)
    return GraphImage(data.decode("utf-8"))
