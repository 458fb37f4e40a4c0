"""`show`: a picture of the graph that Jupyter displays inline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .dot import build, check_draw_options
from .renderer import (
    DEFAULT_TIMEOUT,
    check_folder,
    format_of,
    render_drawing,
    run_renderer,
    write_atomic,
)


class GraphImage:
    """A rendered graph: Jupyter shows it through `_repr_svg_`; `save` writes it as SVG or PNG.

    There is deliberately no `_repr_html_`: a notebook would then store every picture twice
    (as ``image/svg+xml`` and as ``text/html``), and the SVG alone is what Jupyter, nbviewer
    and GitHub show inline. `source` (the DOT text) lets `save` render a PNG; an image made
    from SVG alone can only be saved as SVG.
    """

    def __init__(
        self,
        svg: str,
        *,
        source: str | None = None,
        nodes: int = 0,
        renderer: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.svg = svg
        self.source = source
        self.nodes = nodes
        self.renderer = renderer
        self.timeout = timeout

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:  # noqa: A002 - as viz.render
        """Write the picture to `path`, as SVG or PNG from the suffix unless `format` is given."""
        check_folder(path)
        fmt = format_of(path, format)
        if fmt == "svg":
            return write_atomic(path, self.svg.encode("utf-8"))
        if self.source is None:
            raise ValueError(
                f"cannot save {str(path)!r} as {fmt.upper()}: this GraphImage holds only SVG; save it as .svg, "
                f"or draw it with viz.render"
            )
        data = run_renderer(self.source, fmt, renderer=self.renderer, timeout=self.timeout, nodes=self.nodes)
        return write_atomic(path, data)

    def __repr__(self) -> str:
        return f"<GraphImage: {len(self.svg)} characters of SVG>"


def show(root: Any, *, renderer: str | None = None, timeout: float = DEFAULT_TIMEOUT, **draw_kwargs: Any) -> GraphImage:
    """`root`'s graph rendered to SVG, for a notebook cell to display (`draw_kwargs` go to `draw_graph`).

    ``show(y).save("y.png")`` renders the same drawing again as PNG.
    """
    check_draw_options("show", draw_kwargs)
    drawing = build(root, **draw_kwargs)
    data = render_drawing(drawing, "svg", renderer=renderer, timeout=timeout, advice=drawing.digraph.advice)
    source = drawing.digraph.source  # after render_drawing, the text that rendered
    return GraphImage(data.decode("utf-8"), source=source, nodes=drawing.nodes, renderer=renderer, timeout=timeout)
