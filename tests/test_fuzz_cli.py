"""A fuzzer for `chainrule graph`, run in-process: random valid expressions, random mutations of them, random --at.

Every case either exits 0, prints the picture's path and writes the picture, or exits 2 with one
line on stderr and writes nothing; never a traceback, another exit status or a hang. Most cases
use a stand-in renderer (a few bytes of SVG) so that hundreds run in a few seconds; a handful
render for real. Hypothesis is derandomized: the same cases run every time.
"""

from __future__ import annotations

import contextlib
import io
import re
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from chainrule.cli import expr, main
from chainrule.viz import renderer

NAMES = ("x", "y", "w1", "b")
FUNCTIONS = ("exp", "log", "relu", "tanh", "sigmoid")
OPERATORS = ("+", "-", "*", "/", "**")
FAKE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><text>fake</text></svg>'
SECONDS_PER_CASE = 10

numbers = st.one_of(
    st.integers(0, 20).map(str),
    st.floats(0, 100, allow_nan=False).map(lambda v: f"{v:g}"),
    st.sampled_from(["0.5", "1e-3", "2.5", "1e308", "0", "3.0", ".5"]),
)
leaves = st.one_of(st.sampled_from(NAMES), numbers)


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(OPERATORS), children, st.sampled_from(["", " "])).map(
            lambda t: f"({t[0]}{t[3]}{t[1]}{t[3]}{t[2]})"
        ),
        st.tuples(children, st.sampled_from(OPERATORS), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"+{c}"),
        st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
    )


expressions = st.recursive(leaves, _grow, max_leaves=12)

PIECES = list("()+-*/.,=_ ^%@!~<>[]{}'\"#;:\\0123456789exyzbw\t\n") + [
    "\u00b5", "\u03bc", "\ufb01", "\uff58", "\x00", "\u2212",
    "**", "//", "lambda", "__import__", "exp", "log(", "e10", "1e999", "if", "not ", "and", ":=", "j", "0x1f",
    "1_000", "9**9**9", "x.real", "[0]", "()", ")(",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid expression with one to three random edits: characters or tokens put in, replaced or cut out."""
    text = draw(expressions)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "replace", "delete"]))
        piece = draw(st.sampled_from(PIECES))
        if edit == "insert":
            text = text[:at] + piece + text[at:]
        elif edit == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 4)) :]
    return text


moderate = st.floats(-5, 5, allow_nan=False).map(repr)
any_number = st.one_of(
    moderate,
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["0", "-0", "1e-320", "1e308", "-1e308", "nan", "inf", "", "x", "1,5", "=", "2=3", " 1 "]),
)


@st.composite
def at_options(draw: st.DrawFn) -> list[str]:
    """--at options: usually every name with a moderate value, sometimes anything (missing, repeated, malformed)."""
    if draw(st.booleans()):
        values = {name: draw(moderate) for name in NAMES}
        entries = [f"{name}={value}" for name, value in values.items()]
    else:
        names = st.sampled_from([*NAMES, "z", "exp", "_x", "1x", "\u00b5", "\ufb01", "", "x y"])
        entries = draw(st.lists(st.tuples(names, any_number).map(lambda t: f"{t[0]}={t[1]}"), max_size=6))
        entries += draw(st.lists(st.sampled_from(["x", "=", "x==1", ",", "w1=1=2"]), max_size=1))
    if not entries:
        return []
    split = draw(st.integers(1, len(entries)))
    groups = [entries[:split], entries[split:]] if draw(st.booleans()) else [entries]
    return [item for group in groups if group for item in ("--at", ",".join(group))]


def _is_an_option(text: str) -> bool:
    """What argparse reads as an option of `graph` (``-h``, ``--html``): by definition no expression."""
    return text in ("-h", "-o") or re.match(r"--[A-Za-z]", text) is not None


class Hang(BaseException):
    """Raised by the alarm when one case runs too long (a BaseException, so nothing in chainrule catches it)."""


@contextlib.contextmanager
def time_limit(seconds: int):
    def alarm(signum, frame):
        raise Hang(f"one case ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_case(folder: Path, expression: str, at: list[str], placement: str, suffix: str) -> tuple[int, str, Path]:
    """Run ``chainrule graph`` once into an empty `folder` and check what every case must satisfy."""
    output = folder / f"out{suffix}"
    options = [*at, "-o", str(output)]
    argv = {
        "first": ["graph", expression, *options],
        "last": ["graph", *options, expression],
        "marked": ["graph", *options, "--", expression],
    }[placement]
    out, err = io.StringIO(), io.StringIO()
    with time_limit(SECONDS_PER_CASE), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    stdout, stderr = out.getvalue(), err.getvalue()
    assert "Traceback" not in stderr
    if status == 0:
        assert stderr == "" and stdout == f"{output}\n"
        assert output.stat().st_size > 0
        assert [p.name for p in folder.iterdir()] == [output.name]
    else:
        assert status == 2, (argv, status, stderr)
        assert stdout == ""
        assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
        assert stderr.startswith("chainrule"), stderr
        assert list(folder.iterdir()) == [], stderr
    return status, stderr, output


def fresh_folder(base: Path) -> Path:
    folder = base / f"case{len(list(base.iterdir()))}"
    folder.mkdir()
    return folder


FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=250,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fake_renderer(monkeypatch):
    def render(source, fmt, **kwargs):
        assert source.startswith("digraph")
        return FAKE_SVG

    monkeypatch.setattr(renderer, "run_renderer", render)


@FUZZ
@given(
    expression=st.one_of(expressions, mutated()),
    at=at_options(),
    placement=st.sampled_from(["first", "last", "marked"]),
)
def test_fuzz_graph_exits_0_with_a_picture_or_2_with_one_line(tmp_path, fake_renderer, expression, at, placement):
    assume(placement == "marked" or not _is_an_option(expression))
    run_case(fresh_folder(tmp_path), expression, at, placement, ".svg")


def at_for(expression: str, values: list[float]) -> list[str]:
    """The --at option giving each of NAMES that `expression` uses its value (a name it does not use is refused);
    all of them for an expression the command refuses to read (an exponent too large), which it reports first."""
    try:
        used = expr.names_in(expr.parse(expression))
    except expr.ExpressionError:
        used = NAMES
    entries = [f"{name}={value}" for name, value in zip(NAMES, values) if name in used]
    return ["--at", ",".join(entries)] if entries else []


MATH_ERRORS = (
    "chainrule graph: op '",  # the engine: log of a negative number, division by zero, overflow, 0 ** -1...
    "chainrule graph: the expression overflows",
    "chainrule graph: the expression uses no variables",
    "chainrule graph: in an exponent",
    "chainrule graph: the exponent",
    "chainrule graph: a power inside an exponent",
)
"""How `chainrule graph` may refuse a well-formed expression: its numbers fail, or it has nothing to draw."""
GRADIENT_ERROR = re.compile(
    r"chainrule graph: d\w+/d\S+ is (-?inf|nan) here: (a gradient too large for a float|op '.+' has a local "
    r"derivative too large for a float here, or infinite)"
)
"""...or a gradient of finite numbers is not finite (d/dy of (x + 1) / y at y = 4e-155: -1/y² overflows)."""


def is_math_error(stderr: str) -> bool:
    return stderr.startswith(MATH_ERRORS) or GRADIENT_ERROR.match(stderr) is not None


@settings(FUZZ, max_examples=150)
@example(expression="((x+1)/y)", values=["0.0", "3.7291703656001034e-155", "1.0", "1.0"])  # df/dy overflows
@example(expression="x ** 1e308", values=["1.0", "1.0", "1.0", "1.0"])  # an exponent the command refuses to read
@given(expression=expressions, values=st.lists(moderate, min_size=len(NAMES), max_size=len(NAMES)))
def test_fuzz_valid_expressions_with_every_name_given_draw_or_name_a_math_error(
    tmp_path, fake_renderer, expression, values
):
    status, stderr, _ = run_case(fresh_folder(tmp_path), expression, at_for(expression, values), "first", ".svg")
    assert status == 0 or is_math_error(stderr), (expression, stderr)


@settings(FUZZ, max_examples=5)
@given(
    expression=st.recursive(st.sampled_from(NAMES), _grow, max_leaves=5),
    suffix=st.sampled_from([".svg", ".png"]),
)
def test_fuzz_a_few_cases_render_for_real(tmp_path, expression, suffix):
    at = at_for(expression, [0.5, 1.5, 2, 0.25])
    status, stderr, output = run_case(fresh_folder(tmp_path), expression, at, "last", suffix)
    assert status == 0 or is_math_error(stderr), (expression, stderr)
    if status == 0:
        data = output.read_bytes()
        assert data.startswith(b"\x89PNG") if suffix == ".png" else b"<svg" in data
