"""`chainrule xor` (= `chainrule gate xor --model mlp`) and `chainrule demo`: output, exit codes, one-line errors."""

import io
import os
import subprocess
import sys

import pytest

from chainrule.cli import main


def test_xor_learns_and_prints_the_truth_table(capsys):
    assert main(["xor", "--steps", "200"]) == 0
    out = capsys.readouterr().out
    assert "learned XOR" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit() and "|" in line]
    assert [(r[0], r[1], r[3], r[-1]) for r in rows] == [("0", "0", "0", "0"), ("0", "1", "1", "1"),
                                                          ("1", "0", "1", "1"), ("1", "1", "0", "0")]


def test_xor_that_does_not_learn_exits_1(capsys):
    assert main(["xor", "--steps", "2", "--lr", "0.001"]) == 1
    assert "did not learn XOR in 2 steps" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "argument --steps: expected a positive integer up to 2147483647, got '0'"),
        (["--lr", "-1"], "argument --lr: expected a positive number, got '-1'"),
        (["--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
        (["--seed", "x"], "argument --seed: expected an integer >= 0 up to 2147483647, got 'x'"),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0 up to 2147483647, got '-1'"),
        (["--film", "xor.svg"], "argument --film: expected a .html or .htm file, got"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, args, message):
    assert main(["xor", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "svg, message",
    [
        ("out.pdf", "argument --svg: expected a .svg or .png file, got"),
        ("missing/out.svg", "argument --svg: cannot write"),
        (".", "argument --svg: '"),
    ],
)
def test_a_bad_svg_path_is_refused_before_training(tmp_path, capsys, svg, message):
    assert main(["xor", "--svg", str(tmp_path / svg)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_multi_line_errors_are_printed_on_one_line(capsys, monkeypatch):
    from chainrule.cli.commands import xor

    def fail(args):
        raise FileNotFoundError("no data in /x:\n  - mirror a failed\n  - mirror b failed")

    monkeypatch.setattr(xor, "run", fail)
    assert main(["xor"]) == 1
    assert capsys.readouterr().err == "chainrule xor: error: no data in /x: mirror a failed; mirror b failed\n"


def test_ctrl_c_is_one_line_naming_the_command(capsys, monkeypatch):
    from chainrule.cli.commands import xor

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(xor, "run", interrupted)
    assert main(["xor"]) == 130
    assert capsys.readouterr().err == "chainrule xor: interrupted\n"


def test_unknown_command(capsys):
    assert main(["train"]) == 2
    assert "invalid choice: 'train'" in capsys.readouterr().err


def test_xor_is_gate_xor_with_the_mlp(capsys):
    assert main(["xor", "--steps", "30", "--seed", "2"]) in (0, 1)
    alone = capsys.readouterr().out
    assert main(["gate", "xor", "--model", "mlp", "--steps", "30", "--seed", "2"]) in (0, 1)
    assert capsys.readouterr().out == alone


def test_console_script_demo_writes_the_svg_and_the_film_beside_it(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "demo", "--svg", str(tmp_path / "xor.svg")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "learned XOR" in done.stdout
    svg = (tmp_path / "xor.svg").read_text()
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:500]
    assert "grad" in svg
    film = tmp_path / "xor.html"
    assert f"wrote the training film to {film} (301 frames" in done.stdout
    assert f"wrote the gradient graph of input (1, 0) to {tmp_path / 'xor.svg'}" in done.stdout
    assert film.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_demo_film_path_that_is_a_folder_is_refused(tmp_path, capsys):
    (tmp_path / "xor.html").mkdir()
    assert main(["demo", "--svg", str(tmp_path / "xor.svg")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "chainrule demo: cannot write the film to" in captured.err


def test_xor_help_describes_only_the_mlp(capsys):
    assert main(["xor", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--steps STEPS full-batch updates (300)" in out and "perceptron" not in out


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["gate", "--help"]])
def test_help_and_version_that_cannot_be_written_fail_with_one_line(monkeypatch, capsys, argv):
    """argparse itself stays silent when its text cannot be written (``chainrule --help > /dev/full``)."""

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(sys, "stdout", Full())
    assert main(argv) == 1
    assert capsys.readouterr().err == "chainrule: error: [Errno 28] No space left on device\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full, a device that is always full")
@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["gate", "and", "--model", "perceptron"]])
def test_output_that_cannot_be_written_is_one_line_and_status_1_with_buffered_output(argv):
    """Buffered, the text sits in memory until Python flushes it on the way out: too late for one line."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "chainrule", *argv], stdout=full, stderr=subprocess.PIPE,
                              text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert done.stderr == "chainrule: error: [Errno 28] No space left on device\n"


class _FullOnFlush(io.StringIO):
    """A stdout whose text can be written but never flushed: buffered output to a full disk."""

    def flush(self):
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize(("argv", "status", "line"), [
    (["gate", "and", "--steps", "0"], 2, "chainrule gate: argument --steps: expected a positive integer"),
    (["--version"], 1, "chainrule: error: [Errno 28] No space left on device"),
])
def test_a_failure_to_flush_keeps_a_failed_runs_status_and_its_one_line(monkeypatch, capsys, argv, status, line):
    monkeypatch.setattr(sys, "stdout", _FullOnFlush())
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line)


def test_a_closed_stdout_is_one_line_not_a_traceback(monkeypatch, capsys):
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    assert main(["--version"]) == 1
    assert capsys.readouterr().err == "chainrule: error: I/O operation on closed file\n"
