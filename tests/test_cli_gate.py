"""`chainrule gate NAME`: both models on all six gates, the truth table, the film and the graph, bad input."""

import json
import re
import shlex

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli import main


def table(out):
    """The printed truth table as (x1, x2, target, decided) rows of ints."""
    rows = [line.split() for line in out.splitlines() if "|" in line and line.strip()[:1].isdigit()]
    return [(int(r[0]), int(r[1]), int(r[3]), int(r[-1])) for r in rows]


def expected(name):
    X, y = nn.data.logic_gate(name)
    return [(int(a), int(b), int(t), int(t)) for (a, b), t in zip(X, y)]


@pytest.mark.parametrize("name", list(nn.data.GATES))
def test_the_mlp_learns_every_gate(capsys, name):
    assert main(["gate", name]) == 0
    out = capsys.readouterr().out
    assert f"training a 2-4-1 MLP on {name.upper()}: adam, lr 0.1, 300 steps, seed 0" in out
    assert table(out) == expected(name) and f"learned {name.upper()}" in out


@pytest.mark.parametrize("name", ["and", "or", "nand", "nor"])
def test_the_perceptron_learns_the_linearly_separable_gates(capsys, name):
    assert main(["gate", name, "--model", "perceptron"]) == 0
    out = capsys.readouterr().out
    assert table(out) == expected(name)
    assert re.search(rf"learned {name.upper()}: converged after \d+ epochs", out)


@pytest.mark.parametrize("name, ones, zeros", [("xor", "(0, 1) and (1, 0)", "(0, 0) and (1, 1)"),
                                               ("xnor", "(0, 0) and (1, 1)", "(0, 1) and (1, 0)")])
def test_the_perceptron_says_why_it_cannot_learn_xor_and_xnor(capsys, name, ones, zeros):
    assert main(["gate", name, "--model", "perceptron", "--steps", "30"]) == 1
    out = capsys.readouterr().out
    assert "did not converge: no epoch of 30 went without a mistake" in out
    assert (f"{name.upper()} is not linearly separable: no straight line has {ones} on one side and {zeros} on "
            f"the other") in out
    assert f"chainrule gate {name} --model mlp" in out
    assert table(out) != expected(name)


def test_settings_reach_the_training(capsys):
    assert main(["gate", "XOR", "--hidden", "3", "--optimizer", "sgd", "--lr", "0.5", "--steps", "12",
                 "--seed", "5"]) in (0, 1)
    out = capsys.readouterr().out
    assert "training a 2-3-1 MLP on XOR: sgd, lr 0.5, 12 steps, seed 5" in out
    reported = [int(line.split()[1]) for line in out.splitlines() if line.strip().startswith("step")]
    assert reported == [0, 2, 4, 6, 8, 10, 12]


def test_the_loss_printed_at_step_k_is_the_networks_after_k_steps_as_in_the_film(capsys):
    assert main(["gate", "xor", "--hidden", "3", "--optimizer", "sgd", "--lr", "0.5", "--steps", "12",
                 "--seed", "5"]) == 1
    printed = {int(line.split()[1]): float(line.split()[3]) for line in capsys.readouterr().out.splitlines()
               if line.strip().startswith("step")}
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=5)
    losses = []
    for _ in range(12):  # the same steps by hand: each loss taken before its step, then one after the last
        loss = nn.losses.binary_cross_entropy([model(row) for row in X.tolist()], y)
        losses.append(loss.data)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    losses.append(nn.losses.binary_cross_entropy([model(row) for row in X.tolist()], y).data)
    assert printed == {k: round(losses[k], 4) for k in (0, 2, 4, 6, 8, 10, 12)}


@pytest.mark.parametrize("trained", ["mlp", "perceptron"])
def test_the_drawn_gradients_are_the_probes_own_not_added_to_the_last_training_steps(trained, tmp_path, capsys):
    from chainrule.autograd import grad
    from chainrule.cli.commands.gate import write_gradient_graph

    X, y = nn.data.logic_gate("and")
    if trained == "mlp":
        model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
        nn.fit(model, X, y, "binary_cross_entropy", "sgd", epochs=3, progress=False)
    else:
        model = nn.Perceptron(2, seed=0)
        model.fit(X, y, epochs=3)
    params = model.parameters()
    for p in params:  # whatever a training left behind
        p.grad = 0.25
    probe = nn.losses.mse(model([1.0, 0.0]), [1.0])
    expected = grad(nn.losses.mse(model([1.0, 0.0]), [1.0]), params)
    write_gradient_graph(model, probe, tmp_path / "g.svg", "input (1, 0)")
    assert [p.grad for p in params] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert any(expected) == (trained == "mlp")  # a perceptron's step has derivative 0: its stale 0.25s must go
    assert f"wrote the gradient graph of input (1, 0) to {tmp_path / 'g.svg'}" in capsys.readouterr().out


def test_film_and_svg_of_the_mlp(tmp_path, capsys):
    film, svg = tmp_path / "xor.html", tmp_path / "xor.svg"
    assert main(["gate", "xor", "--film", str(film), "--svg", str(svg)]) == 0
    out = capsys.readouterr().out
    assert f"wrote the training film to {film} (301 frames, " in out
    assert f"wrote the gradient graph of input (1, 0) to {svg}" in out
    size = film.stat().st_size
    assert size < 1_000_000, f"the XOR film is {size} bytes"
    page = film.read_text(encoding="utf-8")
    assert "chainrule gate xor --model mlp --hidden 4 --optimizer adam --lr 0.1 --steps 300 --seed 0" in page
    assert "<svg" in svg.read_text(encoding="utf-8")[:1000]


@pytest.mark.parametrize("target, z", [(1.0, 20.0), (0.0, -20.0)])
def test_the_drawn_probe_reaches_the_network_however_sure_its_output_is(target, z):
    from chainrule.autograd import Parameter
    from chainrule.cli.commands.gate import _probe_loss

    w = Parameter(z)
    out = w.sigmoid()  # within 1e-8 of the target: binary_cross_entropy would clip it to a constant
    probe = _probe_loss(out, target)
    probe.backward()
    p = 1 / (1 + np.exp(-z))
    expected = -(1 - p) if target == 1.0 else p  # d(-log p)/dz and d(-log(1 - p))/dz
    assert w.grad == pytest.approx(expected, rel=1e-6) and w.grad != 0
    assert nn.losses.binary_cross_entropy(out, target).data == pytest.approx(-np.log(1 - 1e-7))  # the clip


def test_film_of_the_perceptron_has_one_frame_per_sample_presented(tmp_path, capsys):
    film = tmp_path / "and.html"
    assert main(["gate", "and", "--model", "perceptron", "--film", str(film), "--svg", str(tmp_path / "p.svg")]) == 0
    out = capsys.readouterr().out
    epochs = int(re.search(r"converged after (\d+) epochs", out).group(1))
    assert f"({4 * epochs + 1} frames, " in out and film.exists() and (tmp_path / "p.svg").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["xand"], "argument NAME: invalid choice: 'xand'"),
        (["xor", "--model", "svm"], "argument --model: invalid choice: 'svm'"),
        (["xor", "--seed", "-1"], "argument --seed: expected an integer >= 0 up to 2147483647, got '-1'"),
        (["xor", "--seed", "1.5"], "argument --seed: expected an integer >= 0 up to 2147483647, got '1.5'"),
        (["xor", "--hidden", "0"], "argument --hidden: expected a positive integer up to 100, got '0'"),
        (["xor", "--hidden", "100000000"], "argument --hidden: expected a positive integer up to 100, got '100000000'"),
        (["xor", "--steps", "0"], "argument --steps: expected a positive integer up to 2147483647, got '0'"),
        (["xor", "--steps", "99999999999999999999999"],
         "argument --steps: expected a positive integer up to 2147483647, got '99999999999999999999999'"),
        (["xor", "--hidden", "2147483648"], "argument --hidden: expected a positive integer up to 100"),
        (["xor", "--lr", "nan"], "argument --lr: expected a positive number, got 'nan'"),
        (["xor", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
        (["xor", "--film", "out.txt"], "argument --film: expected a .html or .htm file, got"),
        (["xor", "--film", "missing/out.html"], "argument --film: cannot write"),
        (["xor", "--svg", "out.pdf"], "argument --svg: expected a .svg or .png file, got"),
        (["xor", "--model", "perceptron", "--hidden", "3"],
         "chainrule gate: --hidden applies to --model mlp only; a perceptron is one neuron trained by "
         "Rosenblatt's rule"),
        (["and", "--model", "perceptron", "--optimizer", "adam"],
         "chainrule gate: --optimizer applies to --model mlp only"),
    ],
)
def test_bad_input_is_one_line_exit_2_before_any_training(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["gate", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and message in captured.err and captured.err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_folder_the_system_will_not_write_in_is_refused_before_training(capsys):
    """/sys takes no new file, whoever asks: root's os.access would say it does."""
    assert main(["gate", "and", "--svg", "/sys/chainrule.svg"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith(
        "chainrule gate: argument --svg: cannot write '/sys/chainrule.svg': no file can be made in the folder '/sys' (")


def test_a_perceptron_right_on_every_row_but_not_yet_converged_says_it_learned(capsys):
    assert main(["gate", "and", "--model", "perceptron", "--steps", "8"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("learned AND: every row is right after epoch 8, though that epoch still made "
                                 "mistakes, so the rule has not yet seen an epoch without one (--steps 9 would)")
    assert main(["gate", "and", "--model", "perceptron", "--steps", "9"]) == 0
    assert "learned AND: converged after 9 epochs (an epoch without a mistake)" in capsys.readouterr().out


def test_the_mlp_that_does_not_learn_exits_1(capsys):
    assert main(["gate", "xnor", "--steps", "2", "--lr", "0.001"]) == 1
    assert "did not learn XNOR in 2 steps; try more --steps or another --lr" in capsys.readouterr().out


@pytest.mark.parametrize("film", [False, True])  # with a film, the recorder's pass over all samples overflows first
def test_a_perceptron_learning_rate_that_overflows_is_one_line_naming_it(capsys, tmp_path, film):
    argv = ["gate", "xor", "--model", "perceptron", "--lr", "1e308"]
    assert main(argv + (["--film", str(tmp_path / "p.html")] if film else [])) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the perceptron's weights overflowed in epoch 1" in err
    assert err.rstrip().endswith("lr=1e+308 is too large") and "Traceback" not in err


def test_outputs_printed_are_the_models(capsys):
    assert main(["gate", "or", "--steps", "40"]) in (0, 1)
    out = capsys.readouterr().out
    outputs = [float(line.split()[5]) for line in out.splitlines() if "|" in line and line.strip()[:1].isdigit()]
    decided = [row[3] for row in table(out)]
    assert decided == [int(np.round(o)) for o in outputs]


def test_a_long_training_is_filmed_more_sparsely_so_the_film_stays_small(tmp_path, capsys):
    """1300 steps: at most 600 frames after the first, so every 3rd step (frames 0 to 1299) and the last."""
    film = tmp_path / "long.html"
    assert main(["gate", "and", "--steps", "1300", "--film", str(film)]) == 0
    assert f"wrote the training film to {film} (435 frames, " in capsys.readouterr().out
    assert main(["gate", "and", "--model", "perceptron", "--steps", "2000", "--film", str(film)]) == 0
    assert "(37 frames, " in capsys.readouterr().out  # converged after 9 epochs: every update filmed


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["gate", "xor", "--model", "perceptron", "--steps", "5"], "chainrule gate: the perceptron did not learn XOR"),
        (["xor", "--steps", "1"], "chainrule xor: the 2-4-1 MLP did not learn XOR"),
    ],
)
def test_a_gate_not_learned_is_status_1_with_one_line_on_stderr(capsys, argv, line):
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == f"{line} (see the truth table above)\n"
    assert "did not" in captured.out  # the reason, with the truth table, on stdout as before


def test_arguments_a_command_does_not_take_are_named_with_the_command(capsys):
    assert main(["xor", "--model", "mlp"]) == 2
    assert capsys.readouterr().err == "chainrule xor: unrecognized arguments: --model mlp\n"


def film_hyperparameters(path):
    """The hyperparameters a film page shows in its footer, read from the JSON it embeds."""
    page = path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="film-data">(.*?)</script>', page, re.DOTALL).group(1)
    return json.loads(data)["info"]["hyperparameters"]


def test_a_film_may_be_named_htm_and_its_command_quotes_the_name(tmp_path, capsys):
    film = tmp_path / "my film's.htm"
    assert main(["gate", "xor", "--steps", "3", "--film", str(film)]) == 1  # 3 steps do not learn XOR
    command = film_hyperparameters(film)["command"]
    assert shlex.split(command)[-2:] == ["--film", "my film's.htm"]
    assert shlex.split(command)[:3] == ["chainrule", "gate", "xor"]


def test_a_perceptrons_film_calls_its_epochs_epochs_and_records_the_command_that_makes_it(tmp_path, capsys):
    film = tmp_path / "and.html"
    assert main(["gate", "and", "--model", "perceptron", "--steps", "40", "--film", str(film)]) == 0
    hyperparameters = film_hyperparameters(film)
    assert hyperparameters["epochs"] == 40 and "steps" not in hyperparameters
    command = shlex.split(hyperparameters["command"])
    assert command[command.index("--steps") + 1] == "40" and "--epochs" not in command
