"""`chainrule SUBCOMMAND ...`: each subcommand lives in its own module under `chainrule.cli.commands`."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainrule import __version__

from .arguments import Unfinished, UsageError, help_text

COMMANDS = ("demo", "gate", "xor", "moons", "graph", "mnist")
CLOSED_PIPE = 141
"""The exit status when the reader of our output has gone (``chainrule ... | head -1``): 128 + SIGPIPE,
what any other command in the pipeline reports."""


class _Parser(argparse.ArgumentParser):
    """One-line errors, and a positional argument may start with a minus sign (``chainrule graph "-x*w"``).

    argparse reads every argument that starts with "-" as an option; here one that is not an option
    of this parser is a positional argument, and ``--`` marks the next argument as one.
    """

    def __init__(self, *args: Any, dashed_positionals: bool = True, **kwargs: Any) -> None:
        self.takes_value: dict[str, bool] = {}
        self.dashed_positionals = dashed_positionals
        self.glued: list[str] = []  # arguments such as -oFILE, named if parsing then fails
        super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        for option in action.option_strings:
            self.takes_value[option] = action.nargs != 0
        return action

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        if args is None or not self.dashed_positionals:
            return super().parse_known_args(args, namespace)
        arranged = self._positionals_last(list(args))
        namespace, extras = super().parse_known_args(arranged, namespace)
        if len(arranged) > len(args) and "--" in extras:  # the "--" put in here is not the user's to hear about
            extras.remove("--")
        return namespace, extras

    def _positionals_last(self, args: list[str]) -> list[str]:
        """`args` with every positional that starts with "-" moved after a ``--``, where argparse takes it as one.

        What looks like a mistyped long option (``--outptu``) stays an option, for argparse to name,
        unless it is the only candidate for a positional (``chainrule graph --x``, minus minus x).
        """
        kept: list[str] = []
        dashed: list[str] = []
        unknown: list[str] = []
        plain = 0
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            option = self._option_of(arg)
            if arg == "--":
                dashed.extend(args[index : index + 1])
                index += 1
            elif not arg.startswith("-") or arg == "-":
                kept.append(arg)
                plain += 1
            elif option is not None:
                kept.append(arg)
                if "=" not in arg and self.takes_value[option] and index < len(args):
                    kept.append(args[index])  # the option's value, even if it starts with "-"
                    index += 1
            elif arg.startswith("--") and arg[2:3].isalpha() and arg[2:].replace("-", "").replace("_", "").isalnum():
                kept.append(arg)
                unknown.append(arg)
            else:
                dashed.append(arg)
                self.glued += [f"{arg!r} is read as an argument, not as {option} and its value: write them apart, "
                               f"as in {option} VALUE" for option in self.takes_value
                               if not option.startswith("--") and _glued_file(arg, option)][:1]
        if not plain and not dashed and len(unknown) == 1:
            kept.remove(unknown[0])
            dashed = unknown
        return [*kept, "--", *dashed] if dashed else kept

    def _option_of(self, arg: str) -> str | None:
        """The option `arg` gives: an option string, a unique abbreviation (``--out``), with ``=value``; else None.

        A single dash and more than one character (``-o*x``) is no option: ``-oFILE`` is not read as ``-o FILE``.
        """
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if name in self.takes_value:
            return name
        matches = [option for option in self.takes_value if option.startswith("--") and option.startswith(name)]
        return matches[0] if name.startswith("--") and len(matches) == 1 else None

    def _print_message(self, message: str, file: Any = None) -> None:
        """argparse's, without its silence when the text cannot be written (``--help > /dev/full`` with
        unbuffered output): `main` reports that as any other failure to write."""
        file = file or sys.stderr
        if message and file is not None:  # both streams are None under pythonw
            file.write(message)

    def error(self, message: str) -> None:  # one line, no usage block
        if self.glued:  # -oFILE or -o=FILE was read as a positional (an expression may start with "-o")
            message += "; " + "; ".join(self.glued)
        raise UsageError(f"{self.prog}: {message}")


def _glued_file(arg: str, option: str) -> bool:
    """Whether `arg` reads as `option` glued to a file name (``-oa.svg``, ``-o=a.svg``), not an expression
    that merely starts with the option's letter (``-omega*x``); a path's slashes are no division (``-o/tmp/a.svg``)."""
    value = arg[len(option):].removeprefix("=") if arg.startswith(option) else ""
    return Path(value).suffix.lower() in (".svg", ".png", ".html", ".htm", ".npz") and not set("*+()") & set(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chainrule", description="Backpropagation you can see.", dashed_positionals=False)
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    for name in COMMANDS:
        module = importlib.import_module(f".commands.{name}", __package__)
        sub = subparsers.add_parser(
            name,
            help=module.__doc__.strip().splitlines()[0],
            description=help_text(module.__doc__),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; bad input prints one line to stderr and returns 2, other failures 1; no traceback."""
    if sys.stdout is None:  # closed (``>&-``): what the command prints, its --json results say, would be lost
        _report("chainrule: error: standard output is closed: redirect it to a file, or to /dev/null to discard it")
        return 1
    return _flushed(*_run(argv))


def _report(message: str) -> None:
    """`message` as one line on stderr, if there is one (``2>&-`` closes it; print would then write to stdout)."""
    if sys.stderr is not None:
        print(one_line(message), file=sys.stderr)


def _flushed(status: int, reported: bool) -> int:
    """`status` once what was printed has reached stdout: written now, not when Python exits, where a failure
    (a full disk: ``chainrule --help > /dev/full``) would be a traceback-like message and status 120. A run
    that `reported` its failure on stderr already keeps its status and its one line."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as error:  # ValueError: a stdout closed in-process
        _discard_stdout()
        if reported:
            return status
        if isinstance(error, BrokenPipeError):
            return CLOSED_PIPE
        _report(f"chainrule: error: {error}")
        return 1
    return status


def _run(argv: Sequence[str] | None) -> tuple[int, bool]:
    """The status of one subcommand, and whether a failure was reported on stderr."""
    # The commands' matrices are small: one BLAS thread is about as fast as two on them, and it never
    # stalls for seconds when other programs keep the cores busy (read when NumPy first loads; yours wins).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    program = "chainrule"  # then the subcommand too, as its usage errors name it
    try:
        try:
            args, extra = build_parser().parse_known_args(argv)
            program = f"chainrule {args.command}"
            if extra:  # named by the subcommand they were given to, as every other usage error
                raise UsageError(f"chainrule {args.command}: unrecognized arguments: {' '.join(extra)}")
        except SystemExit as done:  # --help and --version, once their text is printed
            if done.code not in (0, None):
                raise
            return 0, False
        return int(args.run(args) or 0), False
    except UsageError as error:
        _report(str(error))
        return 2, True
    except Unfinished as error:
        _report(str(error))
        return 1, True
    except KeyboardInterrupt:
        _report(f"{program}: interrupted")
        return 130, True
    except BrokenPipeError:
        _discard_stdout()
        return CLOSED_PIPE, True
    except MemoryError as error:
        _report(f"{program}: error: out of memory: {error}".rstrip(": "))
        return 1, True
    except Exception as error:  # the last line of defence: a user never sees a traceback
        message = str(error.args[0] if isinstance(error, KeyError) and error.args else error)
        if not isinstance(error, (ValueError, TypeError, ArithmeticError, OSError, RuntimeError, KeyError)):
            message = f"{type(error).__name__}: {message} (this is a bug in chainrule: please report it)"
        _report(f"{program}: error: {message}")
        return 1, True


def one_line(message: str) -> str:
    """A message of several lines (a list of failures, say) as one: "failed:" and its items read "failed: a; b"."""
    lines = [line.strip().removeprefix("- ") for line in message.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    for line in lines[1:]:
        text += (" " if text.endswith(":") else "; ") + line
    return text


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it on the way out raises no second BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # no real file behind stdout (a test's capture): nothing is flushed to a pipe on exit
