"""Train the XOR net on the scalar engine, draw its gradient graph and write its training film (`make demo`)."""

from __future__ import annotations

import argparse

from ..arguments import HTML_SUFFIXES, UsageError, output_file
from . import xor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--svg", default="xor.svg", type=output_file(".svg", ".png"),
        help="where to write the gradient graph (default: xor.svg)",
    )
    parser.add_argument(
        "--film", type=output_file(*HTML_SUFFIXES),
        help="where to write the training film (default: beside the graph, named as it is: xor.html for xor.svg)",
    )


def run(args: argparse.Namespace) -> int:
    film = args.film if args.film is not None else args.svg.with_suffix(".html")
    if film.is_dir():
        raise UsageError(f"chainrule demo: cannot write the film to {str(film)!r}: it is a folder; pass --film PATH")
    return xor.run(xor.defaults(svg=args.svg, film=film))
