"""`chainrule graph`: a safe expression reader, one-line errors with exit status 2, and the pictures it writes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule.cli import expr, main

NEURON = "tanh(x1*w1 + x2*w2 + b)"
AT = "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"


def test_the_neuron_example_writes_an_svg_with_every_value(tmp_path, capsys):
    out = tmp_path / "neuron.svg"
    assert main(["graph", NEURON, "--at", AT, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [str(out)] and captured.err == ""
    svg = out.read_text(encoding="utf-8")
    for text in (">0.7071<", ">\u22121.5<", ">0.5<", ">6.881<", ">x1<", ">w2<", ">tanh<", ">f<"):
        assert text in svg, text
    for text in ("\u2202 = \u22123", "\u2202 = 2", "\u2202 = 0.5"):
        assert text in svg, text


def test_html_steps_and_png_and_no_local_grads(tmp_path, capsys):
    picture, page = tmp_path / "n.png", tmp_path / "steps.html"
    assert main(["graph", NEURON, "--at", AT, "-o", str(picture), "--html", str(page)]) == 0
    assert capsys.readouterr().out.splitlines() == [str(picture), str(page)]
    assert picture.read_bytes()[:4] == b"\x89PNG"
    text = page.read_text(encoding="utf-8")
    assert "grad(x1) = grad(v1) \u00b7 \u2202v1/\u2202x1 = 0.5 \u00b7 (\u22123) = \u22121.5" in text
    bare = tmp_path / "bare.svg"
    assert main(["graph", "x*y", "--at", "x=2", "--at", "y=3", "-o", str(bare), "--no-local-grads"]) == 0
    assert "\u2202" not in bare.read_text(encoding="utf-8")


BAD = [
    ("x + y", "x=1", "unknown name 'y'"),
    ("x", "", "unknown name 'x'"),
    ("x", "x:1", "malformed --at entry 'x:1'"),
    ("x", "x=", "malformed --at entry 'x='"),
    ("x", "x=one", "'one' is not a number"),
    ("x", "x=inf", "not a finite number"),
    ("x", "x=1,x=2", "'x' more than once"),
    ("x.real", "x=1", "attribute access"),
    ("x.__class__", "x=1", "attribute access"),
    ("abs(x)", "x=1", "unknown function 'abs'"),
    ("__import__('os')", "x=1", "unknown function '__import__'"),
    ("__import__('os').system('true')", "x=1", "attribute access"),
    ("lambda: x", "x=1", "lambda is not allowed"),
    ("(lambda: x)()", "x=1", "lambda is not allowed"),
    ("[x for x in (1, 2)]", "x=1", "comprehension is not allowed"),
    ("exp(x, x)", "x=1", "exp() takes exactly one argument"),
    ("x if x else 1", "x=1", "if/else is not allowed"),
    ("x // 2", "x=1", "operator // is not allowed"),
    ("'x'", "x=1", "a string is not allowed"),
    ("9**9**9", "x=1", "power inside an exponent"),
    ("x**(2**10)", "x=1", "power inside an exponent"),
    ("x**1000", "x=1", "exponent 1000 is too large"),
    ("x**(1/0)", "x=1", "divides 1.0 by zero"),
    ("exp(" * 45 + "x" + ")" * 45, "x=0", "nested too deeply"),
    ("+".join(["x"] * 600), "x=1", "too long"),
    ("x +", "x=1", "cannot parse the expression"),
    ("log(x)", "x=0", "op 'log' needs a positive number"),
    ("exp(x)", "x=1e6", "op 'exp' overflows"),
    ("1/x", "x=0", "divides 1.0 by zero"),
    ("exp(700)*exp(700)*x", "x=1", "overflows"),
    ("2 + 3", "x=1", "uses no variables"),
    ("tanh + x", "x=1", "'tanh' is a function"),
    ("_x", "x=1", "may not start with '_'"),
]


@pytest.mark.parametrize(("expression", "at", "reason"), BAD)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, capsys, expression, at, reason):
    out = tmp_path / "out.svg"
    argv = ["graph", expression, "-o", str(out), "--html", str(tmp_path / "s.html")]
    if at:
        argv += ["--at", at]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.endswith("\n") and captured.err.count("\n") == 1
    assert captured.err.startswith("chainrule graph: ")
    assert reason in captured.err
    assert "Traceback" not in captured.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("out.pdf", "argument -o/--output: expected a .svg or .png file"),
        ("missing/out.svg", "argument -o/--output: cannot write"),
        (".", "is a folder, expected a .svg or .png file"),
    ],
)
def test_bad_output_path_is_refused_before_anything_runs(tmp_path, capsys, output, reason):
    assert main(["graph", "x", "--at", "x=1", "-o", str(tmp_path / output)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule graph: ") and reason in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_parser_never_evaluates_what_it_refuses(tmp_path):
    marker = tmp_path / "touched"
    attack = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(expr.ExpressionError):
        expr.parse(attack)
    assert not marker.exists()
    tree = expr.parse("tanh(a*b) + a**2 - exp(-c)/2")
    assert expr.names_in(tree) == ["a", "b", "c"]


def test_long_flat_sums_are_not_too_deep():
    tree = expr.parse(" + ".join(f"x{i}*w{i}" for i in range(60)))
    assert len(expr.names_in(tree)) == 120


def test_console_script_runs_in_a_subprocess(tmp_path):
    script = Path(sys.executable).parent / "chainrule"
    assert script.exists()
    out = tmp_path / "neuron.svg"
    env = {**os.environ, "CHAINRULE_DOT": "graphviz-pure"}
    done = subprocess.run(
        [str(script), "graph", NEURON, "--at", AT, "-o", str(out)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out) and done.stderr == ""
    assert ">0.7071<" in out.read_text(encoding="utf-8")
    bad = subprocess.run(
        [str(script), "graph", "log(x)", "--at", "x=0", "-o", str(tmp_path / "bad.svg")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("chainrule graph: ")
    assert not (tmp_path / "bad.svg").exists()
