"""`chainrule mnist`: a short real run in-process, its JSON and text output, --save, and bad input."""

import contextlib
import io
import json
import re

import numpy as np
import pytest

from chainrule import nn
from chainrule.cli.commands import mnist as command
from chainrule.cli.main import build_parser, main


@pytest.fixture(scope="module")
def json_run(tmp_path_factory, mnist):
    """One quick run: the first 2,000 training images, one epoch, --json and --save (on the shared MNIST, which
    the `mnist` fixture finds or reports missing)."""
    path = tmp_path_factory.mktemp("mnist") / "model.npz"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["mnist", "--limit", "2000", "--epochs", "1", "--json", "--save", str(path)])
    return status, out.getvalue(), path


@pytest.mark.slow
def test_json_output_is_one_object_with_the_results(json_run):
    status, stdout, path = json_run
    assert status == 0
    result = json.loads(stdout)  # the whole of stdout: nothing else is printed
    assert stdout.count("\n") == 1
    assert isinstance(result["test_accuracy"], float) and 0.5 < result["test_accuracy"] <= 1.0
    assert result["train_images"] == 2000 and result["test_images"] == 10_000
    assert len(result["epochs"]) == 1
    epoch = result["epochs"][0]
    assert set(epoch) == {"epoch", "train_loss", "train_accuracy", "test_accuracy", "epoch_seconds"}
    assert epoch["epoch"] == 1 and epoch["test_accuracy"] == result["test_accuracy"]
    assert 0 < epoch["train_loss"] < 2.3 and 0 <= epoch["train_accuracy"] <= 1 and epoch["epoch_seconds"] > 0
    assert result["train_seconds"] >= epoch["epoch_seconds"]
    config = result["config"]
    assert config["epochs"] == 1 and config["limit"] == 2000 and config["hidden"] == [100, 100]
    for key in ("optimizer", "lr", "decay", "weight_decay", "batch_size"):
        assert config[key] == command.RECIPE[key], key
    assert result["saved"] == str(path)


@pytest.mark.slow
def test_save_writes_a_model_nn_load_reads(json_run, mnist):
    _, _, path = json_run
    state = nn.load(path)
    shapes = {key: array.shape for key, array in state.items()}
    assert shapes == {
        "layers.0.weight": (100, 784),
        "layers.0.bias": (100,),
        "layers.1.weight": (100, 100),
        "layers.1.bias": (100,),
        "layers.2.weight": (10, 100),
        "layers.2.bias": (10,),
    }
    assert all(array.dtype == np.float32 for array in state.values())
    model = nn.MLP(784, [100, 100, 10], backend="numpy")
    model.load_state_dict(state)
    X_test, y_test = mnist[2:]
    accuracy = np.mean(nn.predict(model, X_test).argmax(axis=1) == y_test)
    assert accuracy == pytest.approx(json.loads(json_run[1])["test_accuracy"])


def test_text_output_has_a_line_per_epoch_and_the_final_accuracy(capsys, mnist):
    status = main(["mnist", "--limit", "1000", "--epochs", "2", "--hidden", "32", "--optimizer", "sgd", "--seed", "3",
                   "--batch-size", "32"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("training 784-32-10 (ReLU) on 1000 MNIST images: sgd, lr 0.1 (cosine schedule),")
    epoch_line = r"epoch {}/2  loss \d\.\d{{4}}  train acc [01]\.\d{{4}}  test acc [01]\.\d{{4}}  \d+\.\d s"
    assert re.fullmatch(epoch_line.format(1), lines[1])
    assert re.fullmatch(epoch_line.format(2), lines[2])
    final = re.fullmatch(r"test accuracy ([01]\.\d{4}) \((\d+)/10000\) after 2 epochs, \d+\.\d s", lines[3])
    assert final and float(final.group(1)) > 0.5 and len(lines) == 4
    assert lines[2].split("test acc ")[1].startswith(final.group(1))


def test_the_defaults_are_the_documented_recipe():
    parsed = build_parser().parse_args(["mnist"])
    recipe = command.RECIPE
    for key in ("epochs", "batch_size", "optimizer", "schedule", "decay"):
        assert getattr(parsed, key) == recipe[key], key
    assert parsed.hidden == (100, 100) and parsed.seed == 0 and parsed.limit is None
    assert parsed.lr is None and command.LEARNING_RATES[parsed.optimizer] == recipe["lr"]
    assert parsed.weight_decay is None  # the recipe's for the SGD optimizers: see the JSON config below
    parsed_options = {key: value for key, value in vars(parsed).items() if key not in ("command", "run")}
    assert parsed_options == vars(command.defaults())  # what defaults() says the command runs with
    doc = " ".join(command.__doc__.split())
    assert recipe["schedule"] == "cosine" and recipe["decay"] == 0
    assert (
        f"SGD with momentum 0.9, batch {recipe['batch_size']}, {recipe['epochs']} epochs, weight decay "
        f"{recipe['weight_decay']:g}, and a learning rate that starts at {recipe['lr']:g} and falls along a cosine"
    ) in doc


@pytest.fixture
def small_mnist(monkeypatch):
    """`nn.data.load_mnist` replaced by 300 random images, so a run takes a moment; returns what it was called with."""
    rng = np.random.default_rng(0)
    calls = []

    def load_mnist(*args, **kwargs):
        calls.append((args, kwargs))
        X = rng.random((300, 784), dtype=np.float32)
        y = rng.integers(0, 10, size=300)
        return X[:240], y[:240], X[240:], y[240:]

    monkeypatch.setattr(nn.data, "load_mnist", load_mnist)
    return calls


def run_json(capsys, *argv):
    assert main(["mnist", "--epochs", "1", "--hidden", "8", "--json", *argv]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


@pytest.mark.parametrize(
    "argv, weight_decay",
    [
        ([], 5e-4),
        (["--optimizer", "sgd"], 5e-4),
        (["--optimizer", "momentum", "--weight-decay", "0"], 0.0),
        (["--optimizer", "sgd", "--weight-decay", "0.01"], 0.01),
        (["--optimizer", "adam"], 0.0),
        (["--optimizer", "rmsprop", "--weight-decay", "0"], 0.0),
    ],
)
def test_weight_decay_applies_to_the_sgd_optimizers_only(small_mnist, capsys, argv, weight_decay):
    config = run_json(capsys, *argv)["config"]
    assert config["weight_decay"] == weight_decay
    assert config["decay"] == command.RECIPE["decay"]


def test_save_adds_npz_as_model_save_does(small_mnist, capsys, tmp_path):
    result = run_json(capsys, "--save", str(tmp_path / "model"))
    assert result["saved"] == str(tmp_path / "model.npz")
    assert set(nn.load(tmp_path / "model")) == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"}
    result = run_json(capsys, "--save", str(tmp_path / "upper.NPZ"))
    assert result["saved"] == str(tmp_path / "upper.NPZ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "upper.NPZ"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--save", "{tmp}"], "chainrule mnist: argument --save: '{tmp}' is a folder, expected a .npz file"),
        (
            ["--save", "{tmp}/models"],
            "chainrule mnist: argument --save: '{tmp}/models.npz' (where '{tmp}/models' would be saved) is a folder",
        ),
        (
            ["--save", "{tmp}/missing/model.npz"],
            "chainrule mnist: argument --save: cannot write '{tmp}/missing/model.npz': the folder '{tmp}/missing' "
            "does not exist",
        ),
        (
            ["--hidden", "10000000"],
            "chainrule mnist: argument --hidden: layers of 10000000 make a network of 7,950,000,010 parameters, "
            "more than this command trains (20,000,000)",
        ),
        (
            ["--hidden", "5000,5000"],
            "chainrule mnist: argument --hidden: layers of 5000,5000 make a network of 28,980,010 parameters, "
            "more than this command trains (20,000,000)",
        ),
    ],
)
def test_bad_paths_and_sizes_are_refused_before_any_work(small_mnist, capsys, tmp_path, argv, message):
    (tmp_path / "models.npz").mkdir()
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    assert main(["mnist", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == message.format(tmp=tmp_path) + "\n"
    assert small_mnist == []  # refused before the data was even loaded
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models.npz"]


def test_running_out_of_memory_is_one_line(small_mnist, capsys, monkeypatch):
    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 58.4 GiB for an array with shape (10000000, 784) and data type float64")

    monkeypatch.setattr(nn, "MLP", too_big)
    assert main(["mnist"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "chainrule mnist: error: out of memory: Unable to allocate 58.4 GiB for an array with shape (10000000, 784) "
        "and data type float64\n"
    )


def test_a_bug_is_still_one_line_with_no_traceback(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise AssertionError("an invariant broke")

    monkeypatch.setattr(nn.data, "load_mnist", broken)
    assert main(["mnist"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    bug = "AssertionError: an invariant broke (this is a bug in chainrule: please report it)"
    assert err == f"chainrule mnist: error: {bug}\n"


def test_a_failed_download_is_one_readable_line_with_no_python_arguments(capsys, monkeypatch, tmp_path):
    from chainrule.nn.data import mnist as loader

    dead = "http://127.0.0.1:9/"
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path))
    monkeypatch.setattr(loader, "MIRRORS", [dead, dead + "again/"])
    assert main(["mnist", "--epochs", "1"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    folder = tmp_path / "mnist"
    assert err.startswith(
        f"chainrule mnist: error: could not download train-labels-idx1-ubyte.gz into {folder}; every mirror failed: "
        f"{dead}train-labels-idx1-ubyte.gz: URLError: "
    )
    assert f"; {dead}again/train-labels-idx1-ubyte.gz: URLError: " in err
    assert err.endswith(
        "Copy them there, or set the environment variable CHAINRULE_DATA to a folder whose mnist/ subfolder "
        "holds them.\n"
    )
    assert ":;" not in err and "root=" not in err


def test_help_keeps_the_paragraphs_of_the_docstring(capsys):
    assert main(["mnist", "--help"]) == 0
    out = capsys.readouterr().out
    description = out.split("\n\n", 2)[1:]  # after the usage block
    text = "\n\n".join(description)
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    assert paragraphs[0].startswith("Train the course's 784-100-100-10 ReLU network on MNIST")
    assert any(p.startswith("The default recipe reaches 98.4% test accuracy") for p in paragraphs)
    assert any(p.startswith("--json prints a single JSON object instead of the lines") for p in paragraphs)
    assert '\n    {"test_accuracy": 0.984, "train_seconds": 9.8,' in out  # the example keeps its lines
    assert "::" not in out


@pytest.mark.parametrize(
    "argv, bad",
    [
        (["--hidden", "100,x"], "'100,x'"),
        (["--hidden", "0"], "'0'"),
        (["--hidden", "100,,100"], "'100,,100'"),
        (["--epochs", "0"], "'0'"),
        (["--epochs", "two"], "'two'"),
        (["--batch-size", "-5"], "'-5'"),
        (["--lr", "-1"], "'-1'"),
        (["--lr", "nan"], "'nan'"),
        (["--decay", "-0.1"], "'-0.1'"),
        (["--limit", "0"], "'0'"),
        (["--limit", "60001"], "expected a positive integer up to 60000 (MNIST's training images), got '60001'"),
        (["--seed", "-3"], "'-3'"),
        (["--hidden", ""], "''"),
        (["--optimizer", "lbfgs"], "'lbfgs'"),
        (["--save", "/nonexistent/folder/model.npz"], "argument --save: cannot write '/nonexistent/folder/model.npz'"),
        (["--optimizer", "adam", "--weight-decay", "0.01"], "0.01"),
        (["--weight-decay", "-1"], "'-1'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(capsys, argv, bad):
    assert main(["mnist", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("chainrule mnist: ")
    assert bad in err
