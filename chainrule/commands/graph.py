"""Draw the computational graph of an arithmetic expression (placeholder until viz lands)."""

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise RuntimeError("chainrule graph is not available yet")
