"""`chainrule graph`: a safe expression reader, one-line errors with exit status 2, and the pictures it writes."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from chainrule.autograd import topological_order
from chainrule.cli import expr, main
from chainrule.cli.arguments import UsageError
from chainrule.cli.commands.graph import build

NEURON = "tanh(x1*w1 + x2*w2 + b)"
AT = "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432"
SVG = "{http://www.w3.org/2000/svg}"


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
    ("\uff46\uff4f\uff52 * x", "x=1", "'for' is a Python keyword, which cannot name a variable: rename it"),
    ("x", "", "unknown name 'x'"),
    ("x", "x:1", "malformed --at entry 'x:1'"),
    ("x", "x=", "malformed --at entry 'x='"),
    ("x", "x=one", "'one' is not a number"),
    ("x", "x=inf", "not a finite number"),
    ("x", "x=1,x=2", "'x' more than once"),
    ("x * w", "x=1,w=2,b=3", "--at gives 'b', which the expression does not use (it uses x, w)"),
    ("x * w", "x=1,w=2,W=2,X=1", "--at gives 'W', 'X', which the expression does not use"),
    ("2 * 3", "x=1", "--at gives 'x', which the expression does not use (it uses no variables)"),
    ("x*(y+z) + w", "x=1,y=2,z=3,w=4,q=5", "--at gives 'q', which the expression does not use (it uses x, y, z, w)"),
    ("tanh(b + x*(y+z)) * (w - a)", "y=1", "unknown name 'b'"),
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
    ("x**(1/0)", "x=1", "divides 1 by zero"),
    ("exp(" * 45 + "x" + ")" * 45, "x=0", "nested too deeply"),
    ("+".join(["x"] * 600), "x=1", "too long"),
    ("x +", "x=1", "cannot parse the expression"),
    ("log(x)", "x=0", "op 'log' needs a positive number"),
    ("exp(x)", "x=1e6", "op 'exp' overflows"),
    ("1/x", "x=0", "divides 1.0 by zero"),
    ("exp(700)*exp(700)*x", "x=1", "overflows"),
    ("2 + 3", "x=1", "uses no variables"),
    ("1/x", "x=1e-200", "df/dx is -inf here: op '/' has a local derivative too large for a float here, or infinite "
                        "(as d√u/du at u = 0), which makes the gradient inf; try other values"),
    ("x/y", "x=1e-10,y=1e-160", "df/dy is -inf here: op '/' has a local derivative too large for a float here"),
    ("x**0.5", "x=0", "df/dx is inf here: op '**0.5' has a local derivative too large for a float here, or infinite"),
    ("x**-1", "x=1e-200", "df/dx is -inf here: op '**-1' has a local derivative too large"),  # as 1/x
    ("(x*0)**0.5 + x", "x=1", "df/dx is nan here: op '**0.5' has a local derivative too large for a float here, or "
                              "infinite (as d√u/du at u = 0), which makes the gradient inf and then nan (inf · 0, or "
                              "inf - inf); try other values"),
    ("1/x - 1/x", "x=1e-200", "df/dx is nan here: op '/' has a local derivative too large"),
    ("(x*y)*y + z**0.5", "x=1e-300,y=1e200,z=0", "df/dx is inf here: a gradient too large for a float; try other"),
    ("x +\n y # c", "x=1,y=1", "'#' is not part of an expression (at line 2, column 4)"),
    ("(x +\r* y)", "x=1,y=1", "cannot parse the expression at line 2, column 1: invalid syntax"),
    ("x*w # + b", "x=2,w=3", "'#' is not part of an expression (at column 5)"),
    ("     x + * y", "x=1,y=1", "cannot parse the expression at column 10: invalid syntax"),
    ("(x +\n* y)", "x=1,y=1", "cannot parse the expression at line 2, column 1: invalid syntax"),
    ("tanh + x", "x=1", "'tanh' is a function"),
    ("_x", "x=1", "may not start with '_'"),
    ("*".join(["x"] * 33), "x=1", "'x' is used 33 times, and a drawing lays out at most 32 uses of one value"),
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
        ("out.svg/", "names a folder, expected a .svg or .png file"),
        ("a" * 300 + ".svg", "File name too long"),
        ("~no_such_user_of_chainrule/out.svg", "cannot write '~no_such_user_of_chainrule/out.svg': "),
    ],
)
def test_bad_output_path_is_refused_before_anything_runs(tmp_path, capsys, output, reason):
    path = output if output.startswith("~") else str(tmp_path / output) + ("/" if output.endswith("/") else "")
    assert main(["graph", "x", "--at", "x=1", "-o", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule graph: ") and reason in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_that_is_a_file_is_named_as_such(tmp_path, capsys):
    (tmp_path / "afile").touch()
    assert main(["graph", "x", "--at", "x=1", "-o", str(tmp_path / "afile" / "a.svg")]) == 2
    err = capsys.readouterr().err
    assert f"{str(tmp_path / 'afile')!r} is a file, not a folder" in err and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_the_result_takes_a_name_no_variable_has(tmp_path, capsys):
    out = tmp_path / "o.svg"
    assert main(["graph", "f*out + out", "--at", "f=2,out=3", "-o", str(out)]) == 0
    labels = [t.text for t in ET.fromstring(out.read_text()).iter(f"{SVG}text")]
    assert labels.count("f") == labels.count("out") == labels.count("out2") == 1


def test_the_parser_never_evaluates_what_it_refuses(tmp_path):
    marker = tmp_path / "touched"
    attack = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(expr.ExpressionError):
        expr.parse(attack)
    assert not marker.exists()
    tree = expr.parse("tanh(a*b) + a**2 - exp(-c)/2")
    assert expr.names_in(tree) == ["a", "b", "c"]


def test_a_closed_stdout_is_an_error_and_a_closed_stderr_loses_only_the_messages(tmp_path):
    """``>&-`` closes stdout, where the results go: refused with one line on stderr (as ``echo hi >&-`` fails).
    ``2>&-`` closes stderr: the command runs, its output on stdout, and a failure keeps its status, unprinted.
    Run as ``python -m chainrule`` from the checkout's top, so that it is this checkout's code, however installed."""
    script = f"cd '{Path(__file__).resolve().parents[1]}' && '{sys.executable}' -m chainrule"
    env = {**os.environ, "CHAINRULE_DOT": "graphviz-pure"}
    out = tmp_path / "x.svg"

    def shell(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, timeout=120)

    closed_out = shell(f"{script} graph x --at x=1 -o '{out}' >&-")
    assert closed_out.returncode == 1 and not out.exists()
    assert closed_out.stderr == "chainrule: error: standard output is closed: redirect it to a file, or to /dev/null " \
                                "to discard it\n"
    closed_err = shell(f"{script} graph x --at x=1 -o '{out}' 2>&-")
    assert closed_err.returncode == 0 and closed_err.stdout.strip() == str(out) and out.exists()
    failed = shell(f"{script} graph y --at x=1 -o '{tmp_path / 'y.svg'}' 2>&-")
    assert failed.returncode == 2 and failed.stdout == ""  # not "chainrule graph: unknown name" on stdout


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


@pytest.mark.parametrize(
    "argv",
    [
        ["-x*w", "--at", "x=2,w=3"],
        ["--at", "x=2,w=3", "-x*w"],
        ["--", "-x*w", "--at", "x=2,w=3"],  # "--" marks the next argument as the expression
        ["--at", "x=2", "--at", "w=3", "--", "-x*w"],
        ["-(x*w)", "--at=x=2,w=3"],
        ["-o*h", "--at", "o=2,h=3"],  # not -o with the value "*h", nor -h
    ],
)
def test_an_expression_may_start_with_a_minus_sign(tmp_path, capsys, argv):
    out = tmp_path / "n.svg"
    assert main(["graph", *argv, "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}\n"
    assert ">\u22126<" in out.read_text(encoding="utf-8")  # −x·w at x=2, w=3


def test_minus_minus_x_is_an_expression_but_a_mistyped_option_is_still_named(tmp_path, capsys):
    out = tmp_path / "n.svg"
    assert main(["graph", "--x", "--at", "x=2", "-o", str(out)]) == 0  # -(-x), the only candidate for EXPR
    assert capsys.readouterr().out == f"{out}\n"
    assert main(["graph", "x", "--at", "x=2", "-o", str(out), "--no-locals-grads"]) == 2
    assert capsys.readouterr().err == "chainrule graph: unrecognized arguments: --no-locals-grads\n"
    assert main(["mnist", "--epoch", "2", "--typo"]) == 2
    assert capsys.readouterr().err == "chainrule mnist: unrecognized arguments: --typo\n"


def test_a_second_expression_is_named_without_the_marker_added_for_the_first(tmp_path, capsys):
    assert main(["graph", "x", "-y", "--at", "x=1,y=2", "-o", str(tmp_path / "n.svg")]) == 2
    assert capsys.readouterr().err == "chainrule graph: unrecognized arguments: -y\n"


@pytest.mark.parametrize(
    "expression, at",
    [
        ("\u00b5*x", "\u00b5=2,x=3"),  # MICRO SIGN in both: Python reads it as GREEK SMALL LETTER MU
        ("\u03bc*x", "\u00b5=2,x=3"),
        ("\u00b5*x", "\u03bc=2,x=3"),
        ("\ufb01*x", "\ufb01=2,x=3"),  # the ligature fi, read as "fi"
        ("fi*x", "\ufb01=2,x=3"),
        ("\uff58*2", "\uff58=3"),  # FULLWIDTH x
    ],
)
def test_at_names_are_read_the_way_python_reads_the_expression(tmp_path, capsys, expression, at):
    out = tmp_path / "n.svg"
    assert main(["graph", expression, "--at", at, "-o", str(out)]) == 0, capsys.readouterr().err
    assert ">6<" in out.read_text(encoding="utf-8")


def test_one_name_in_two_spellings_is_given_twice(tmp_path, capsys):
    assert main(["graph", "\u03bc*2", "--at", "\u00b5=2,\u03bc=3", "-o", str(tmp_path / "n.svg")]) == 2
    assert capsys.readouterr().err == "chainrule graph: --at gives '\u03bc' more than once\n"


def test_html_for_too_long_an_expression_is_refused_naming_the_option(tmp_path, capsys):
    expression = " + ".join(f"x{i % 4}*{i}" for i in range(1, 30))  # 4 variables, 29 products, 28 sums
    at = "x0=1,x1=1,x2=1,x3=1"
    argv = ["graph", expression, "--at", at, "-o", str(tmp_path / "n.svg"), "--html", str(tmp_path / "s.html")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        "chainrule graph: argument --html: the expression has 61 values and the page draws one picture per "
        "value, at most 60: use a shorter expression, or leave out --html\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_picture_that_takes_too_long_is_one_line_without_python_advice(tmp_path, capsys, monkeypatch):
    from chainrule.viz import renderer

    def slow(source, fmt, **kwargs):
        raise TimeoutError("took longer than the 60 s limit; pass a larger timeout, or draw it with collapse='neuron'")

    monkeypatch.setattr(renderer, "run_renderer", slow)
    assert main(["graph", "x*y", "--at", "x=1,y=2", "-o", str(tmp_path / "n.svg")]) == 1
    err = capsys.readouterr().err
    assert err == (
        "chainrule graph: error: drawing the graph of 3 values took longer than 60 s: try a shorter expression\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["graph", NEURON, "--at", AT, "-o", "{tmp}/n.svg"],
        ["xor", "--steps", "12"],
    ],
)
def test_a_closed_pipe_ends_the_command_quietly(tmp_path, argv):
    reader, writer = os.pipe()
    os.close(reader)  # `| head -0`: nobody reads what the command prints
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chainrule", *(arg.format(tmp=tmp_path) for arg in argv)],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 141  # 128 + SIGPIPE, as any command in a pipeline whose reader has gone


@pytest.mark.parametrize("glued", ["-oa.svg", "-o=a.svg"])
def test_an_option_glued_to_its_value_is_named_when_parsing_fails(tmp_path, capsys, glued):
    assert main(["graph", "x", "--at", "x=1", glued]) == 2
    assert capsys.readouterr().err == (
        f"chainrule graph: the following arguments are required: -o/--output; {glued!r} is read as an argument, "
        f"not as -o and its value: write them apart, as in -o VALUE\n"
    )


def test_an_expression_starting_with_the_options_letter_gets_no_glued_option_hint(capsys):
    assert main(["graph", "-omega*x", "--at", "omega=1,x=2"]) == 2
    assert capsys.readouterr().err == "chainrule graph: the following arguments are required: -o/--output\n"


def test_integer_constants_are_folded_exactly_as_python_folds_them(tmp_path):
    x = 3.0
    for text, slope in (("x*(2**53+1-2**53)", 1.0), ("x*(12345678901234567891-12345678901234567890)", 1.0),
                        ("x*(7/2)", 3.5), ("x*2**-1", 0.5), ("x + (10**17+1) - 10**17", 1.0)):
        root = build(text, {"x": x})
        assert root.data == eval(text), text  # Python's own number
        assert next(node for node in topological_order(root) if node.label == "x").grad == slope, text
    with pytest.raises(UsageError, match=r"an integer in the expression is too large \(more than 4096 bits\)"):
        build("x*(9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100*9**100)",
              {"x": 1.0})


def test_at_names_must_be_names_as_written_as_python_requires(tmp_path, capsys):
    out = str(tmp_path / "a.svg")
    assert main(["graph", "x2*2", "--at", "x\u2082=3", "-o", out]) == 2
    expected = "chainrule graph: malformed --at entry 'x\u2082=3': 'x\u2082' is not a variable name\n"
    assert capsys.readouterr().err == expected
    assert main(["graph", "\u03bc*2", "--at", "\u00b5=3", "-o", out]) == 0  # the micro sign reads as mu, as in Python


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path, capsys):
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    assert main(["graph", "x*2", "--at", "x=3", "-o", str(link)]) == 0
    assert link.is_symlink() and real.read_text().startswith("<?xml")


def test_integers_too_large_for_a_float_are_named_by_their_digits(tmp_path, capsys):
    big = "1" + "0" * 200
    too_large = "an integer in the expression is too large for a float (401 digits)"
    exponent = "the exponent of 401 digits is too large (the limit is 100 either way)"
    for text, message in ((f"x**({big}*{big})", exponent), (f"x*exp({big}*{big})", too_large),
                          (f"x*(({big}*{big})**0.5)", too_large)):
        assert main(["graph", text, "--at", "x=2", "-o", str(tmp_path / "g.svg")]) == 2
        assert capsys.readouterr().err == f"chainrule graph: {message}\n"


def test_an_option_glued_to_a_path_with_folders_is_named_and_an_empty_path_is_called_empty(capsys):
    assert main(["graph", "x", "--at", "x=1", "-o/tmp/a.svg"]) == 2
    assert "'-o/tmp/a.svg' is read as an argument, not as -o and its value" in capsys.readouterr().err
    assert main(["graph", "x", "--at", "x=1", "-o", ""]) == 2
    assert capsys.readouterr().err == (
        "chainrule graph: argument -o/--output: the path is empty, expected a .svg or .png file\n"
    )
