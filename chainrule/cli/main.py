"""`chainrule SUBCOMMAND ...`: each subcommand lives in its own module under `chainrule.cli.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chainrule import __version__

from .arguments import UsageError

COMMANDS = ("demo", "gate", "xor", "moons", "graph", "mnist")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chainrule", description="Backpropagation you can see.")
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    for name in COMMANDS:
        module = importlib.import_module(f".commands.{name}", __package__)
        sub = subparsers.add_parser(name, help=module.__doc__.strip().splitlines()[0], description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; bad input prints one line to stderr and returns non-zero, no traceback."""
    try:
        args = build_parser().parse_args(argv)
        return int(args.run(args) or 0)
    except UsageError as error:
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chainrule: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ArithmeticError, OSError, RuntimeError, KeyError) as error:
        message = str(error.args[0] if isinstance(error, KeyError) and error.args else error)
        one_line = "; ".join(line.strip().removeprefix("- ") for line in message.splitlines() if line.strip())
        print(f"chainrule: error: {one_line}", file=sys.stderr)
        return 1
