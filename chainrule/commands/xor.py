"""Train a small MLP on XOR with the scalar engine (placeholder until nn lands)."""

import argparse


def defaults(**overrides) -> argparse.Namespace:
    return argparse.Namespace(**overrides)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise RuntimeError("chainrule xor is not available yet")
