"""`chainrule moons`: micrograd's demo on the scalar engine, its film and graph, and bad input."""

import re

import pytest

from chainrule.cli import main
from chainrule.cli.commands.moons import learning_rate


def test_learning_rate_follows_micrograds_schedule():
    assert [learning_rate(k) for k in (0, 50, 99)] == [1.0, 0.55, pytest.approx(0.109)]


@pytest.mark.slow
def test_moons_learns_and_writes_the_film_and_the_graph(tmp_path, capsys):
    film, svg = tmp_path / "moons.html", tmp_path / "moons.svg"
    assert main(["moons", "--film", str(film), "--svg", str(svg)]) == 0
    out = capsys.readouterr().out
    reports = re.findall(r"step +(\d+) +loss ([\d.]+) +accuracy (\d+)%", out)
    assert [int(step) for step, _, _ in reports] == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]
    losses = [float(loss) for _, loss, _ in reports]
    assert losses[-1] < losses[0] / 10
    final = int(re.search(r"after 100 steps: accuracy (\d+)% on the 100 training points", out).group(1))
    assert final >= 95
    assert f"wrote the training film to {film} (101 frames, " in out
    size = film.stat().st_size
    assert size < 3_000_000, f"the moons film is {size} bytes"
    assert "<svg" in svg.read_text(encoding="utf-8")[:1000]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "-3"], "argument --seed: expected an integer >= 0 up to 2147483647, got '-3'"),
        (["--film", "moons.svg"], "argument --film: expected a .html or .htm file, got"),
        (["--svg", "missing/m.svg"], "argument --svg: cannot write"),
        (["--steps", "3"], "unrecognized arguments: --steps 3"),
    ],
)
def test_bad_input_is_one_line_exit_2_before_any_training(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["moons", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
