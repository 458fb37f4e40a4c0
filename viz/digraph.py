"""`PortableDigraph`: the `graphviz.Digraph` that `draw_graph` returns, rendered by chainrule's renderer.

A plain Digraph runs system Graphviz's `dot` and fails without it (``ExecutableNotFound``).
This one renders, and displays in Jupyter, through `viz.renderer`: system `dot` when it is
installed, else the pip-installed graphviz-pure, as `viz.render` does. So micrograd-style code,
``draw_dot(y)`` in a notebook cell or ``draw_dot(y, format="png").render("graph")``, works
on a machine with nothing but pip.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from .renderer import run_renderer, write_atomic


class PortableDigraph(graphviz.Digraph):
    """A `graphviz.Digraph` whose `pipe`, `render`, `view` and Jupyter display use chainrule's renderer.

    Asking for one of graphviz's own options (another layout `engine`, a `renderer`, a
    `formatter`, `neato_no_op`) hands the work to `graphviz.Digraph`, which needs system Graphviz.
    """

    value_nodes = 0
    """How many value nodes and boxes the drawing has (picks the PNG resolution, sizes a timeout message)."""
    advice: str | None = None
    """What a timeout message suggests trying next (`renderer.timeout_advice`), set by `dot.build`."""

    def _portable(self, engine: str | None, *options: Any) -> bool:
        return (engine or self.engine) == "dot" and all(option is None or option is False for option in options)

    def pipe(  # type: ignore[override]
        self,
        format: str | None = None,  # noqa: A002 - graphviz's name
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The graph rendered to `format` (default: this Digraph's ``format``), as bytes or, with `encoding`, text."""
        if not self._portable(engine, renderer, formatter, neato_no_op):
            return super().pipe(format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding)
        fmt = check_format(format or self.format)
        data = run_renderer(self.source, fmt, nodes=self.value_nodes, advice=self.advice)
        return data.decode(encoding) if encoding is not None else data

    def render(  # type: ignore[override]
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,  # noqa: A002 - graphviz's name
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the DOT source and render it, with graphviz's file names; returns the rendered file's path.

        Without `outfile` the picture goes next to the source with the format appended
        (``render("graph")`` writes ``graph`` and ``graph.svg``), as `graphviz.Digraph.render` does.
        """
        if not self._portable(engine, renderer, formatter, neato_no_op):
            return super().render(
                filename, directory, view, cleanup, format, renderer, formatter, neato_no_op, quiet, quiet_view,
                outfile=outfile, engine=engine, raise_if_result_exists=raise_if_result_exists,
                overwrite_source=overwrite_source,
            )
        if raise_if_result_exists and overwrite_source:
            raise ValueError("overwrite_source cannot be combined with raise_if_result_exists")
        if outfile is not None:
            target = Path(outfile) if directory is not None else Path(self.directory, outfile)
            fmt = check_format(format or target.suffix.lstrip(".").lower() or self.format)
            filename = filename or target.with_suffix(".gv")
            source = Path(directory or self.directory, filename)  # where `save` writes it, as os.path.join
            if not overwrite_source and source.resolve() == target.resolve():
                raise ValueError(
                    f"outfile {target.name!r} must be different from input file {source.name!r} (pass "
                    f"overwrite_source=True to override)"
                )
            source = Path(self.save(filename, directory=directory))
        else:
            fmt = check_format(format or self.format)
            source = Path(self.save(filename, directory=directory))
            target = source.with_name(f"{source.name}.{fmt}")
        if raise_if_result_exists and target.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(target)!r}")
        write_atomic(target, self.pipe(fmt))
        if cleanup and source.resolve() != target.resolve():  # the picture replaced the source (overwrite_source)
            source.unlink()
        if view or quiet_view:
            graphviz.view(target, quiet=quiet_view)
        return os.fspath(target)


def check_format(fmt: str) -> str:
    """`fmt` in lower case if Graphviz knows it as an output format, else ValueError (TypeError for no str)."""
    if not isinstance(fmt, str):
        raise TypeError(f"format must be a Graphviz output format such as 'svg' or 'png'; got {type(fmt).__name__} "
                        f"{fmt!r}")
    if fmt.lower() not in graphviz.FORMATS:
        raise ValueError(f"format must be a Graphviz output format such as 'svg' or 'png'; got {fmt!r}")
    return fmt.lower()
