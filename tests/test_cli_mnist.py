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
def json_run(tmp_path_factory):
    """One quick run: the first 2,000 training images, one epoch, --json and --save."""
    path = tmp_path_factory.mktemp("mnist") / "model.npz"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["mnist", "--limit", "2000", "--epochs", "1", "--json", "--save", str(path)])
    return status, out.getvalue(), path


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


def test_save_writes_a_model_nn_load_reads(json_run):
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
    X_test, y_test = nn.data.load_mnist()[2:]
    accuracy = np.mean(nn.predict(model, X_test).argmax(axis=1) == y_test)
    assert accuracy == pytest.approx(json.loads(json_run[1])["test_accuracy"])


def test_text_output_has_a_line_per_epoch_and_the_final_accuracy(capsys):
    status = main(["mnist", "--limit", "1000", "--epochs", "2", "--hidden", "32", "--optimizer", "sgd", "--seed", "3"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("training 784-32-10 (ReLU) on 1000 MNIST images: sgd, lr 0.1,")
    epoch_line = r"epoch {}/2  loss \d\.\d{{4}}  train acc [01]\.\d{{4}}  test acc [01]\.\d{{4}}  \d+\.\d s"
    assert re.fullmatch(epoch_line.format(1), lines[1])
    assert re.fullmatch(epoch_line.format(2), lines[2])
    final = re.fullmatch(r"test accuracy ([01]\.\d{4}) \((\d+)/10000\) after 2 epochs, \d+\.\d s", lines[3])
    assert final and float(final.group(1)) > 0.5 and len(lines) == 4
    assert lines[2].split("test acc ")[1].startswith(final.group(1))


def test_the_defaults_are_the_documented_recipe():
    parsed = build_parser().parse_args(["mnist"])
    recipe = command.RECIPE
    for key in ("epochs", "batch_size", "optimizer", "decay"):
        assert getattr(parsed, key) == recipe[key], key
    assert parsed.hidden == (100, 100) and parsed.seed == 0 and parsed.limit is None
    assert parsed.lr is None and command.LEARNING_RATES[parsed.optimizer] == recipe["lr"]
    assert parsed.weight_decay is None and command._weight_decay(parsed.optimizer, None) == recipe["weight_decay"]
    parsed_options = {key: value for key, value in vars(parsed).items() if key not in ("command", "run")}
    assert parsed_options == vars(command.defaults())  # what defaults() says the command runs with
    doc = " ".join(command.__doc__.split())
    assert (
        f"SGD with momentum 0.9, lr {recipe['lr']:g} with decay {recipe['decay']:g}, weight decay "
        f"{recipe['weight_decay']:g}, batch {recipe['batch_size']}, {recipe['epochs']} epochs"
    ) in doc


def test_weight_decay_applies_to_the_sgd_optimizers_only():
    assert command._weight_decay("sgd", None) == command.RECIPE["weight_decay"]
    assert command._weight_decay("momentum", 0.0) == 0.0
    assert command._weight_decay("adam", None) == 0.0


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
        (["--seed", "-3"], "'-3'"),
        (["--hidden", ""], "''"),
        (["--optimizer", "lbfgs"], "'lbfgs'"),
        (["--save", "/nonexistent/folder/model.npz"], "'/nonexistent/folder'"),
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
