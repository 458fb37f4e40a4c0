"""Train the XOR net on the scalar engine and draw its gradient graph (what `make demo` runs)."""

from __future__ import annotations

import argparse

from ..arguments import output_file
from . import xor


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--svg", default="xor.svg", type=output_file(".svg", ".png"),
        help="where to write the gradient graph (default: xor.svg)",
    )


def run(args: argparse.Namespace) -> int:
    return xor.run(xor.defaults(svg=args.svg))
