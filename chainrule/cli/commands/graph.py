"""Draw the computational graph of an arithmetic expression, with every value, gradient and local derivative.

The expression may use numbers, named variables, + - * / ** and parentheses, and the
functions exp, log, relu, tanh and sigmoid; --at gives every variable its value, and names no
other (a name the expression does not use is refused, as a misspelt one would be). For example::

    chainrule graph "tanh(x1*w1 + x2*w2 + b)" --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 -o neuron.svg

An expression may start with a minus sign ("-x*w"). Names are read as Python reads them, so
"µ" and "μ" (or "ﬁ" and "fi") are the same variable in the expression and in --at.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import keyword
import math
import unicodedata
from collections import Counter
from collections.abc import Iterator

from chainrule.autograd import Value, topological_order

from .. import expr
from ..arguments import HTML_SUFFIXES, UsageError, output_file

PREFIX = "chainrule graph: "
IMAGE_SUFFIXES = (".svg", ".png")
USE_LIMIT = 32
"""The most ops one value may feed (see `_check_uses`)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument(
        "--at",
        metavar="NAME=VALUE[,NAME=VALUE...]",
        action="append",
        default=[],
        help="the value of each variable (repeatable)",
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", type=output_file(*IMAGE_SUFFIXES), required=True,
        help="the picture to write (.svg or .png)",
    )
    parser.add_argument(
        "--html", metavar="PATH", type=output_file(*HTML_SUFFIXES),
        help="also write the backward pass, step by step, as an HTML page",
    )
    parser.add_argument("--no-local-grads", action="store_true", help="leave the local derivatives off the edges")
    parser.add_argument(
        "--renderer", choices=("dot", "graphviz-pure"), help="force a renderer (default: dot if installed)"
    )


def run(args: argparse.Namespace) -> int:
    output, page = args.output, args.html
    values = parse_at(args.at)
    root = build(args.expression, values)

    from chainrule.viz.dot import build as draw
    from chainrule.viz.renderer import DEFAULT_TIMEOUT, format_of, render_drawing, write_atomic
    from chainrule.viz.steps import STEP_LIMIT, steps_html

    order = topological_order(root)
    _check_uses(order)
    if page is not None and len(order) > STEP_LIMIT:
        raise UsageError(
            f"{PREFIX}argument --html: the expression has {len(order)} values and the page draws one picture per "
            f"value, at most {STEP_LIMIT}: use a shorter expression, or leave out --html"
        )
    show_local_grads = not args.no_local_grads
    try:
        drawing = draw(root, show_local_grads=show_local_grads, order=order)
        picture = render_drawing(drawing, format_of(output), renderer=args.renderer)
        html = steps_html(root, renderer=args.renderer, show_local_grads=show_local_grads) if page else None
    except TimeoutError:
        raise RuntimeError(
            f"drawing the graph of {len(order)} values took longer than {DEFAULT_TIMEOUT:g} s: "
            f"try a shorter expression"
        ) from None
    except ValueError as error:
        raise UsageError(f"{PREFIX}{error}") from None
    written = [write_atomic(output, picture)]
    if page is not None and html is not None:
        written.append(write_atomic(page, html.encode("utf-8")))
    for path in written:
        print(path)
    return 0


def _why_not_finite(node: Value, order: list[Value]) -> str:
    """Why `node`'s gradient is inf or NaN, in words: the op on the way from `node` to the result whose local
    derivative is inf as a float, or else a product too large for a float; NaN adds how inf became NaN."""
    on_the_way = {node}
    culprit = None
    for user in order:  # inputs first: every op that uses `node`, directly or not, and the first infinite edge back
        edges = [local for parent, local in zip(user.parents, user.local_grads) if parent in on_the_way]
        if edges:
            on_the_way.add(user)
            if culprit is None and any(isinstance(local, float) and math.isinf(local) for local in edges):
                culprit = user
    nan = " and then nan (inf · 0, or inf - inf)" if math.isnan(node.grad) else ""
    if culprit is None:
        return f"a gradient too large for a float{nan}; try other values"
    return (f"op {culprit.op!r} has a local derivative too large for a float here, or infinite (as d√u/du at u = 0), "
            f"which makes the gradient inf{nan}; try other values")


def _root_names() -> Iterator[str]:
    """Names for the expression's result, in order of preference: f, out, out2, out3..."""
    yield "f"
    yield "out"
    for number in itertools.count(2):
        yield f"out{number}"


def _check_uses(order: list[Value]) -> None:
    """UsageError if one value feeds more than USE_LIMIT ops: Graphviz's layout time grows steeply with
    the edges out of one node (x*x*...*x took 0.9 s with 30 factors, 5 s with 40, 13 s with 45, dot 2.43)."""
    uses = Counter(parent for node in order for parent in node.parents)
    if not uses:
        return
    value, count = max(uses.items(), key=lambda item: item[1])
    if count > USE_LIMIT:
        name = repr(value.label) if value.label else "a value"
        raise UsageError(
            f"{PREFIX}{name} is used {count} times, and a drawing lays out at most {USE_LIMIT} uses of one value "
            f"in good time: write a repeated product as a power (x**n) or a repeated sum as n*x"
        )


def parse_at(entries: list[str]) -> dict[str, float]:
    """``{name: value}`` from --at texts such as ``x1=2,w1=-3``; raises UsageError on anything malformed."""
    values: dict[str, float] = {}
    for entry in entries:
        for item in entry.split(","):
            item = item.strip()
            name, sep, raw = item.partition("=")
            written, raw = name.strip(), raw.strip()
            if not sep or not written or not raw:
                raise UsageError(f"{PREFIX}malformed --at entry {item!r}: expected NAME=VALUE, e.g. --at x=2,w=-3")
            name = unicodedata.normalize("NFKC", written)  # as Python reads the expression: µ is μ
            if not written.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):  # x₂ is no name
                raise UsageError(f"{PREFIX}malformed --at entry {item!r}: {written!r} is not a variable name")
            if name in expr.FUNCTIONS:
                raise UsageError(f"{PREFIX}malformed --at entry {item!r}: {name!r} is a function, not a variable")
            try:
                value = float(raw)
            except ValueError:
                raise UsageError(f"{PREFIX}malformed --at entry {item!r}: {raw!r} is not a number") from None
            if not math.isfinite(value):
                raise UsageError(f"{PREFIX}malformed --at entry {item!r}: {raw!r} is not a finite number")
            if name in values:
                raise UsageError(f"{PREFIX}--at gives {name!r} more than once")
            values[name] = value
    return values


def build(text: str, values: dict[str, float]) -> Value:
    """The expression's graph, evaluated at `values` and with gradients from ``backward()``."""
    try:
        tree = expr.parse(text)
    except expr.ExpressionError as error:
        raise UsageError(f"{PREFIX}{error}") from None
    used = expr.names_in(tree)
    for name in used:
        if name in expr.FUNCTIONS:
            raise UsageError(f"{PREFIX}{name!r} is a function: call it, as in {name}(x)")
        if keyword.iskeyword(name):  # written in other letters, such as fullwidth ｆｏｒ, that Python reads as it
            raise UsageError(f"{PREFIX}{name!r} is a Python keyword, which cannot name a variable: rename it")
        if name not in values:
            raise UsageError(f"{PREFIX}unknown name {name!r}: give it a value with --at {name}=NUMBER")
    unused = [name for name in values if name not in used]
    if unused:  # a misspelt or forgotten term: the drawing would silently leave it out
        uses = ", ".join(used) if used else "no variables"
        raise UsageError(
            f"{PREFIX}--at gives {', '.join(map(repr, unused))}, which the expression does not use (it uses {uses})"
        )
    variables = {name: Value(value, label=name) for name, value in values.items()}
    try:
        root = expr.evaluate(tree, variables)
        if not isinstance(root, Value):
            raise UsageError(f"{PREFIX}the expression uses no variables, so there is no graph to draw")
        order = topological_order(root)
        for node in order:
            if not math.isfinite(node.data):
                raise UsageError(f"{PREFIX}the expression overflows: a step of it evaluates to {node.data}")
        if not root.label:
            root.label = next(name for name in _root_names() if name not in values)
        root.backward()
        for node in order:
            if not math.isfinite(node.grad):
                name = node.label or f"the result of op {node.op!r}"
                raise UsageError(f"{PREFIX}d{root.label}/d{name} is {node.grad} here: {_why_not_finite(node, order)}")
    except (ValueError, ArithmeticError) as error:
        raise UsageError(f"{PREFIX}{_reason(error)}") from None
    return root


def _reason(error: BaseException) -> str:
    """An error's message with the op the engine names in its notes: Python's own OverflowError of ``**``
    reads "(34, 'Numerical result out of range')", which says neither what overflowed nor where."""
    python_range_error = isinstance(error, OverflowError) and error.args[:1] == (errno.ERANGE,)
    message = "a result too large for a float" if python_range_error else str(error)
    notes = " ".join(getattr(error, "__notes__", ()))
    return f"{message} {notes}" if notes else message
