"""Train a small MLP on XOR with the scalar engine and print its truth table (`chainrule gate xor --model mlp`).

The net is 2-4-1 with tanh hidden units and a sigmoid output, trained on the four rows of
XOR's truth table with binary cross-entropy. With --svg, one input's forward and backward
pass is drawn with every value, gradient and local gradient; with --film, the whole training
is written as an HTML page that plays it back.
"""

from __future__ import annotations

import argparse

from . import gate


def defaults(**overrides: object) -> argparse.Namespace:
    """The arguments `chainrule xor` runs with when none are given, as `chainrule demo` runs it (its `command`)."""
    settings = {"hidden": None, "optimizer": None, "lr": None, "steps": None, "seed": 0, "svg": None, "film": None,
                "command": "demo"}
    return argparse.Namespace(**{**settings, **overrides})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    gate.add_arguments(parser, choose_gate=False)


def run(args: argparse.Namespace) -> int:
    args.name, args.model = "xor", "mlp"
    return gate.run(args)
