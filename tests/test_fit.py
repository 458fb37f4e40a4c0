"""nn.fit and nn.predict on both backends: learning, History, bad input, divergence."""

import io
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from chainrule import nn


@pytest.fixture(scope="module")
def moons():
    return nn.data.moons(100, noise=0.1, seed=0)


def test_fit_on_moons_reaches_95_percent_on_the_scalar_engine(moons):
    X, y = moons
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(
        model, X, y, "binary_cross_entropy_with_logits", nn.Adam(model.parameters(), lr=0.02),
        epochs=40, batch_size=25, seed=0, progress=False,
    )
    assert history.accuracy[-1] >= 0.95
    predicted = nn.predict(model, X)[:, 0] > 0
    assert np.mean(predicted == (y > 0.5)) >= 0.95
    assert history.loss[-1] < history.loss[0]


def test_fit_on_moons_reaches_95_percent_on_numpy(moons):
    X, y = moons
    model = nn.MLP(2, [16, 16, 1], seed=0, backend="numpy")
    history = nn.fit(
        model, X, y, "binary_cross_entropy_with_logits", nn.Adam(model.parameters(), lr=0.02), epochs=40,
        batch_size=25, seed=0, progress=False
    )
    assert history.accuracy[-1] >= 0.95


def test_history_records_validation_and_epoch_times(moons):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    history = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=3, validation_data=(X, y),
                     progress=False)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "epoch_seconds"}
    assert len(history.val_loss) == 3 and history["loss"] is history.loss
    X_val, y_val = X[::2] + 0.1, y[::2]
    history = nn.fit(model, X, y, "mse", "sgd", epochs=1, validation_data=(X_val, y_val), progress=False)
    outputs = nn.predict(model, X_val)[:, 0].astype(np.float64)
    assert history.val_loss[0] == pytest.approx(float(np.mean((outputs - y_val) ** 2)), rel=1e-5)
    assert history.val_accuracy[0] == np.mean((outputs > 0.5) == (y_val > 0.5))
    with pytest.raises(AttributeError, match="History has no 'precision'"):
        history.precision


def test_same_seed_same_training(moons):
    X, y = moons
    runs = []
    for _ in range(2):
        model = nn.MLP(2, [4, 1], seed=1)
        nn.fit(model, X[:20], y[:20], "mse", nn.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=5, seed=3,
               progress=False)
        runs.append(model.state_dict()["layers.0.weight"])
    assert np.array_equal(*runs)


def test_cross_entropy_classification_on_numpy():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 3], [3, 0], [-3, -3]])
    y = rng.integers(0, 3, 300)
    X = centers[y] + rng.normal(size=(300, 2))
    model = nn.MLP(2, [16, 3], seed=0, backend="numpy")
    history = nn.fit(model, X, y, "cross_entropy", "adam", epochs=30, batch_size=32, seed=0, progress=False)
    assert history.accuracy[-1] > 0.95


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"y": np.zeros(99)}, ValueError, "X has 100 samples but y has 99"),
        ({"X": np.zeros((100, 3))}, ValueError, r"X rows have 3 features but the model expects nin=2"),
        ({"loss": "cross_entropyy"}, ValueError, "unknown loss 'cross_entropyy'; expected one of mse"),
        ({"metrics": ("f1",)}, ValueError, "unknown metric 'f1'; expected one of accuracy"),
        ({"epochs": 0}, ValueError, "epochs must be a positive integer, got 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"optimizer": "lbfgs"}, ValueError, "unknown optimizer 'lbfgs'"),
        ({"X": np.zeros(100)}, ValueError, r"X must be a 2-D array"),
    ],
)
def test_bad_fit_input(moons, kwargs, error, message):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0)
    args = {"X": X, "y": y, "loss": "mse", "optimizer": "sgd", "epochs": 1, "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        nn.fit(model, **args)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_a_diverging_loss_stops_with_the_epoch_and_step(moons, backend):
    X, y = moons
    model = nn.MLP(2, [8, 1], seed=0, backend=backend, dtype="float64")
    expected = r"(the loss became (inf|nan) at|training diverged at) epoch \d+, step \d+"
    with pytest.raises(FloatingPointError, match=expected):
        nn.fit(model, X * 1e3, y * 1e3, "mse", nn.SGD(model.parameters(), lr=10.0), epochs=50, batch_size=50,
               progress=False)


def test_predict_shapes(moons):
    X, _ = moons
    assert nn.predict(nn.MLP(2, [3, 2], seed=0), X[:5]).shape == (5, 2)
    assert nn.predict(nn.MLP(2, [3, 2], seed=0, backend="numpy"), X[:5]).shape == (5, 2)


def _xor_sequential(seed):
    return nn.Sequential(nn.Linear(2, 8, seed=seed), nn.Tanh(), nn.Linear(8, 1, seed=seed + 1), nn.Sigmoid())


def test_fit_predict_save_and_load_a_sequential_on_xor(tmp_path):
    X, y = nn.data.logic_gate("xor")
    model = _xor_sequential(0)
    assert model.backend == "numpy"
    history = nn.fit(model, X, y, "binary_cross_entropy", nn.Adam(model.parameters(), lr=0.05), epochs=300,
                     progress=False)
    assert history.accuracy[-1] == 1.0
    outputs = nn.predict(model, X)
    assert outputs.shape == (4, 1)
    assert np.array_equal(np.round(outputs[:, 0]), y)
    copy = _xor_sequential(5)
    copy.load_state_dict(nn.load(model.save(tmp_path / "xor")))
    assert sorted(copy.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert np.array_equal(nn.predict(copy, X), outputs)


def test_fit_predict_save_and_load_a_sequential_on_three_classes(tmp_path):
    rng = np.random.default_rng(0)
    centers = np.array([[0, 3], [3, 0], [-3, -3]])
    y = rng.integers(0, 3, 150)
    X = centers[y] + rng.normal(size=(150, 2))
    model = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 3, seed=1))
    history = nn.fit(model, X, y, "cross_entropy", "adam", epochs=30, batch_size=32, seed=0, progress=False)
    assert history.accuracy[-1] > 0.95
    outputs = nn.predict(model, X)
    assert outputs.shape == (150, 3)
    assert np.mean(outputs.argmax(axis=1) == y) > 0.95
    copy = nn.Sequential(nn.Linear(2, 16, seed=7), nn.ReLU(), nn.Linear(16, 3, seed=8))
    copy.load_state_dict(nn.load(model.save(tmp_path / "three.npz")))
    assert np.array_equal(nn.predict(copy, X), outputs)


def test_the_backend_is_told_from_the_parameters_for_every_model():
    assert nn.MLP(2, [3, 1], seed=0).backend == "scalar"
    assert nn.MLP(2, [3, 1], seed=0, backend="numpy").backend == "numpy"
    assert nn.Sequential(nn.Linear(2, 1)).backend == "numpy"
    assert nn.Layer(2, 3, seed=0).backend == "scalar"
    with pytest.raises(ValueError, match="Sequential has no parameters, so it is neither a scalar nor a NumPy model"):
        nn.predict(nn.Sequential(nn.ReLU()), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="expected an nn.Module \\(a model with parameters\\(\\)\\), got function"):
        nn.fit(lambda x: x, np.zeros((2, 2)), np.zeros(2), "mse", "sgd")
    mixed = nn.Sequential(nn.Linear(2, 2), nn.Layer(2, 1))
    with pytest.raises(ValueError, match="Sequential mixes Value and Tensor parameters"):
        nn.predict(mixed, np.zeros((2, 2)))


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_accuracy_with_plus_minus_one_targets_and_mse_counts_signs(backend):
    X, y01 = nn.data.logic_gate("or")
    y = y01 * 2 - 1
    model = nn.MLP(2, [1], seed=0, backend=backend, dtype="float64")
    model.load_state_dict({"layers.0.weight": np.array([[0.4, 0.4]]), "layers.0.bias": np.array([-0.2])})
    outputs = nn.predict(model, X)[:, 0]
    assert np.allclose(outputs, [-0.2, 0.2, 0.2, 0.6])  # every sign right, two positives under 0.5
    history = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=1e-9), shuffle=False, progress=False)
    assert history.accuracy == [1.0]


@pytest.mark.parametrize(
    "loss, targets, outputs, expected",
    [
        ("mse", [0, 1, 1, 0], [0.4, 0.6, 0.9, 0.2], 1.0),  # midpoint 0.5
        ("mse", [-1, 1, 1, -1], [-0.2, 0.1, 0.9, -3.0], 1.0),  # midpoint 0
        ("binary_cross_entropy", [0, 1, 1, 0], [0.4, 0.6, 0.9, 0.2], 1.0),
        ("binary_cross_entropy_with_logits", [0, 1, 1, 0], [-0.1, 0.1, 0.3, -2.0], 1.0),  # logits: 0
        ("hinge", [-1, 1, 1, -1], [-0.1, 0.1, 0.3, -2.0], 1.0),
        ("binary_cross_entropy_with_logits", [0, 1, 1, 0], [0.4, 0.6, 0.9, 0.2], 0.5),
        ("cross_entropy", [0, 2, 1], [[3, 1, 0], [0, 0, 1], [1, 0, 0]], 2 / 3),
    ],
)
def test_one_rule_turns_outputs_into_classes(loss, targets, outputs, expected):
    from chainrule.nn.training import accuracy

    assert accuracy(np.array(outputs, dtype=float), np.array(targets), loss=loss) == pytest.approx(expected)


def test_accuracy_reads_a_loss_given_as_its_function_as_fit_does_and_refuses_a_misspelt_name():
    from chainrule.nn.training import accuracy

    scores, targets = np.array([0.3, -0.2, 0.1, -1.0]), np.array([1, 0, 1, 0])  # logits: right by their sign
    assert accuracy(scores, targets, loss=nn.losses.binary_cross_entropy_with_logits) == 1.0
    assert accuracy(scores, targets, loss="binary_cross_entropy_with_logits") == 1.0
    assert accuracy(scores, targets) == 0.5  # read as probabilities: 0.1 is under 0.5
    with pytest.raises(ValueError, match="unknown loss 'binary_crossentropy_with_logits'; expected one of mse, "):
        accuracy(scores, targets, loss="binary_crossentropy_with_logits")
    with pytest.raises(TypeError, match="loss must be a name such as 'mse' or a callable, got int 3"):
        accuracy(scores, targets, loss=3)


def test_accuracy_refuses_targets_that_are_not_classes():
    from chainrule.nn.training import accuracy

    with pytest.raises(ValueError, match="accuracy with one output needs targets of 0/1 or -1/\\+1, got 0.5, 2"):
        accuracy(np.zeros((2, 1)), np.array([0.5, 2.0]))
    with pytest.raises(ValueError, match="accuracy with 3 outputs needs integer labels 0..2 or one-hot rows, got 0, 5"):
        accuracy(np.zeros((2, 3)), np.array([0, 5]))


def test_regression_targets_get_no_accuracy_unless_asked_and_then_an_error():
    X = np.linspace(-1, 1, 20).reshape(-1, 1)
    y = 3 * X[:, 0] + 0.5
    model = nn.MLP(1, [1], seed=0, backend="numpy", dtype="float64")
    history = nn.fit(model, X, y, "mse", "sgd", epochs=2, progress=False)
    assert set(history.history) == {"loss", "epoch_seconds"}
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]: accuracy with one output needs targets of 0/1"):
        nn.fit(model, X, y, "mse", "sgd", metrics=["accuracy"], progress=False)
    assert set(nn.fit(model, X, (y > 0.5).astype(float), "mse", "sgd", metrics=(), progress=False).history) == {
        "loss", "epoch_seconds"}


def test_a_threshold_of_ones_own_overrides_the_rule():
    X, y = nn.data.logic_gate("and")
    model = nn.MLP(2, [1], seed=0, backend="numpy", dtype="float64")
    model.load_state_dict({"layers.0.weight": np.array([[1.0, 1.0]]), "layers.0.bias": np.array([-1.5])})
    logits_loss = lambda p, t: nn.losses.binary_cross_entropy_with_logits(p, t)  # noqa: E731 - a loss with no name
    tiny = nn.SGD(model.parameters(), lr=1e-12)
    assert nn.fit(model, X, y, logits_loss, tiny, progress=False).accuracy == [0.75]  # 0.5 is wrong for logits
    assert nn.fit(model, X, y, logits_loss, tiny, threshold=0.0, progress=False).accuracy == [1.0]


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_nan_or_inf_in_the_data_is_refused_before_training_naming_the_rows(backend):
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [2, 1], seed=0, backend=backend)
    before = model.state_dict()
    X[1, 0], X[3, 1] = np.nan, np.inf
    with pytest.raises(ValueError, match=r"X has NaN or inf in 2 of 4 rows \(rows 1, 3\); remove or fill them first"):
        nn.fit(model, X, y, "mse", "sgd", progress=False)
    with pytest.raises(ValueError, match=r"y has NaN or inf in 1 of 4 rows \(rows 2\)"):
        nn.fit(model, np.nan_to_num(X), np.array([0, 1, np.nan, 0]), "mse", "sgd", progress=False)
    with pytest.raises(ValueError, match=r"validation X has NaN or inf in 2 of 4 rows"):
        nn.fit(model, np.nan_to_num(X), y, "mse", "sgd", validation_data=(X, y), progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"y": np.array(["cat", "dog"] * 50)}, TypeError, "y must hold numbers, got an array of <U3 such as 'cat'; "
                                                          "map each class name to an integer"),
        ({"metrics": "accuracy"}, TypeError, "metrics must be a list of names such as .* got the string"),
        ({"optimizer": nn.Adam}, TypeError, "optimizer must be an Optimizer such as nn.Adam\\(model.parameters\\(\\), "
                                            "lr=0.01\\) or a name such as 'adam', got the class Adam"),
        ({"optimizer": 0.1}, TypeError, "optimizer must be an Optimizer .* got float"),
        ({"batch_size": 2.7}, TypeError, "batch_size must be a positive integer, got float 2.7"),
        ({"epochs": 1.0}, TypeError, "epochs must be a positive integer, got float 1.0"),
        ({"validation_data": (np.zeros((3, 2)),)}, ValueError, "validation_data must be a pair \\(X_val, y_val\\)"),
        ({"validation_data": (np.zeros((3, 2)), np.zeros(2))}, ValueError, "validation X has 3 samples but"),
        ({"validation_data": (np.zeros((3, 2)), np.array([0.0, 3.0, 1.0]))}, ValueError,
         "validation y holds 3, not a class of the training targets' kind \\(0 and 1\\): accuracy would read it "
         "as a class it is not"),
        ({"threshold": float("nan")}, ValueError, "threshold must be a finite number, got nan"),
        ({"threshold": "0.5"}, TypeError, r"threshold must be a number \(or None for the rule's own\), got '0.5'"),
        ({"shuffle": "no"}, TypeError, "shuffle must be True or False, got 'no'"),
        ({"progress": "no"}, TypeError, "progress must be True or False, got 'no'"),
    ],
)
def test_bad_fit_arguments_name_the_argument(moons, kwargs, error, message):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0)
    args = {"X": X, "y": y, "loss": "mse", "optimizer": "sgd", "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        nn.fit(model, **args)


def test_numpy_integers_are_fine_for_epochs_and_batch_size(moons):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    history = nn.fit(model, X, y, "mse", "sgd", epochs=np.int64(2), batch_size=np.int32(50), progress=False)
    assert len(history.loss) == 2


def test_on_step_end_runs_after_every_update_with_the_batch_figures(moons):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    seen = []

    def record(step, figures):
        seen.append((step, figures["epoch"], round(figures["loss"], 12), "accuracy" in figures,
                     model.state_dict()["layers.0.bias"].copy()))

    history = nn.fit(model, X, y, "mse", "sgd", epochs=2, batch_size=30, on_step_end=record, progress=False)
    assert [(s, e) for s, e, *_ in seen] == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 2), (6, 2), (7, 2), (8, 2)]
    assert all(has for *_, has, _ in seen)
    assert not np.array_equal(seen[0][-1], seen[1][-1])  # called after the update of its step
    assert np.array_equal(seen[-1][-1], model.state_dict()["layers.0.bias"])
    assert history.loss[0] == pytest.approx(sum(loss * n for (_, _, loss, _, _), n in zip(seen[:4], [30, 30, 30, 10]))
                                            / 100)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_predict_on_no_rows_keeps_the_output_width(backend):
    assert nn.predict(nn.MLP(2, [3, 4], seed=0, backend=backend), np.empty((0, 2))).shape == (0, 4)
    assert nn.predict(nn.Sequential(nn.Linear(2, 5)), np.empty((0, 2))).shape == (0, 5)


def test_zero_one_rows_that_are_not_one_hot_get_no_accuracy():
    from chainrule.nn.training import accuracy

    multi_label = np.array([[1, 0, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="accuracy with 3 outputs needs integer labels 0..2 or one-hot rows"):
        accuracy(np.array([[0.9, 0.1, 0.8], [0.1, 0.1, 0.1]]), multi_label, loss="binary_cross_entropy")
    assert accuracy(np.array([[0.9, 0.1, 0.8], [0.1, 0.7, 0.1]]), np.array([[1, 0, 0], [0, 1, 0]])) == 1.0


def test_full_batch_training_needs_no_seed_to_be_reproducible():
    X = np.random.default_rng(0).normal(size=(40, 5))
    y = X @ np.arange(5.0)
    runs = []
    for _ in range(2):
        model = nn.Linear(5, 1, seed=0, dtype="float64")
        nn.fit(model, X, y, "mse", nn.Adam(model.parameters(), lr=0.05), epochs=50, progress=False)
        runs.append(model.state_dict()["weight"])
    assert np.array_equal(*runs)


def test_fit_leaves_no_thread_behind() -> None:
    """tqdm starts a monitor thread for every bar, even a hidden one; fit's bars start none."""
    script = (
        "import threading, numpy as np\n"
        "from chainrule import nn\n"
        "X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])\n"
        "model = nn.Sequential(nn.Linear(2, 2, seed=0))\n"
        "for progress in (False, True):\n"
        "    nn.fit(model, X, np.array([0, 1, 1, 0]), 'cross_entropy', 'sgd', epochs=2, batch_size=2,"
        " progress=progress)\n"
        "print(sorted(t.name for t in threading.enumerate()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['MainThread']"


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_an_optimizer_of_another_model_is_refused(backend):
    model, other = (nn.MLP(2, [3, 1], seed=seed, backend=backend) for seed in (0, 1))
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    with pytest.raises(ValueError, match=r"the SGD optimizer updates none of this model's parameters"):
        nn.fit(model, X, y, "mse", nn.SGD(other.parameters(), lr=0.1), progress=False)


@pytest.mark.parametrize(
    "name, data",
    [
        ("X", {"X": [[1e39, 0.0], [0.0, 1.0]]}),
        ("y", {"y": [1e39, 1.0]}),  # blamed on the learning rate before: "the training diverged"
        ("validation X", {"validation_data": ([[0.0, -1e39]], [1.0])}),
        ("validation y", {"validation_data": ([[0.0, 1.0]], [1e39])}),
    ],
)
def test_values_too_large_for_a_float32_model_are_refused_before_training(name, data):
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    before = model.state_dict()
    arguments = {"X": [[0.0, 1.0], [1.0, 0.0]], "y": [0.0, 1.0], **data}
    with pytest.raises(ValueError, match=rf"^{name} holds numbers too large for the model's float32 \(up to 1e\+39; "
                                         r"float32 reaches 3.4e\+38\): scale the data first"):
        nn.fit(model, loss="mse", optimizer="sgd", metrics=(), progress=False, **arguments)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_validation_targets_of_other_classes_are_refused_for_several_outputs():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    model = nn.MLP(2, [4, 3], seed=0, backend="numpy")
    with pytest.raises(ValueError, match=r"validation y: accuracy with 3 outputs needs integer labels 0..2"):
        nn.fit(model, X, [0, 1, 2], "cross_entropy", "sgd", progress=False,
               validation_data=(X, [0.0, 0.5, 1.0]))


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
@pytest.mark.parametrize(
    "loss, got",
    [(lambda outputs, y: 1.0, "got float$"), (lambda outputs, y: np.float64(1.0), "got float64$")],
)
def test_a_loss_function_that_returns_no_graph_is_a_type_error(backend, loss, got):
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    model = nn.MLP(2, [3, 1], seed=0, backend=backend)
    expected = r"the loss function must return one number as a Value or a Tensor \(a graph to differentiate\), " + got
    with pytest.raises(TypeError, match=expected):
        nn.fit(model, X, y, loss, "sgd", progress=False)


def test_a_loss_function_that_returns_several_numbers_is_a_type_error():
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.0, 1.0])
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    with pytest.raises(TypeError, match=r"one number as a Value or a Tensor .*got Tensor of shape \(2, 1\)"):
        nn.fit(model, X, y, lambda outputs, targets: outputs * 1.0, "sgd", progress=False)


def test_ragged_or_object_data_is_a_type_error_naming_it():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="X must be a rectangular array of numbers, got rows of different lengths"):
        nn.fit(model, [[1.0, 2.0], [3.0]], [0.0, 1.0], "mse", "sgd", progress=False)
    with pytest.raises(TypeError, match=r"X must hold numbers, got an array of object such as \[1, 2\]"):
        nn.fit(model, np.array([[1, 2], [3]], dtype=object), [0.0, 1.0], "mse", "sgd", progress=False)


def test_accuracy_refuses_outputs_and_targets_of_different_lengths():
    with pytest.raises(ValueError, match="outputs have 3 rows but y has 2"):
        nn.training.accuracy(np.zeros((3, 2)), [0, 1])


class _KernelOutput(io.StringIO):
    """What a Jupyter kernel gives a notebook as stderr: not a terminal, yet its output area redraws a bar."""


_KernelOutput.__module__ = "ipykernel.iostream"


@pytest.mark.parametrize("stream, progress, shown", [
    (_KernelOutput, True, True),
    (_KernelOutput, False, False),
    (io.StringIO, True, False),  # a file or a pipe: no bar to fill a log with
])
def test_the_progress_bar_shows_in_a_jupyter_kernel_as_in_a_terminal(monkeypatch, stream, progress, shown):
    output = stream()
    monkeypatch.setattr(sys, "stderr", output)
    X, y = nn.data.logic_gate("xor")
    nn.fit(nn.MLP(2, [3, 1], seed=0), X, y, "mse", "sgd", epochs=2, batch_size=2, progress=progress)
    assert ("epoch 2/2" in output.getvalue()) is shown and ("training" in output.getvalue()) is shown


@pytest.mark.parametrize("make, loss, message", [
    (lambda: nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0, backend="numpy"),
     "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits takes raw scores (logits) and applies the "
     "sigmoid itself, but the model's last layer applies sigmoid: drop it from the model, or use binary_cross_entropy "
     "on its probabilities"),
    (lambda: nn.Sequential(nn.Linear(2, 4, activation="tanh", seed=0), nn.Linear(4, 2, seed=1), nn.Softmax()),
     "cross_entropy", "cross_entropy takes raw scores (logits) and applies softmax itself, but the model's last layer "
     "applies softmax: drop it from the model"),
    (lambda: nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0), "hinge",
     "hinge takes raw scores (logits), but the model's last layer applies sigmoid: drop it from the model"),
])
def test_a_loss_of_raw_scores_refuses_a_model_that_squashes_them_already(make, loss, message):
    """The squashing would happen twice: fit trained another model and reported accuracy 0.5 for one at 0.84."""
    X, y = nn.data.moons(20, seed=0)
    model = make()
    before = model.state_dict()
    targets = y.astype(int) if loss == "cross_entropy" else (2 * y - 1 if loss == "hinge" else y)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        nn.fit(model, X, targets, loss, "adam", progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    nn.fit(nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0, backend="numpy"), X, y, "binary_cross_entropy",
           "adam", progress=False)  # probabilities for the loss that takes them


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MLP(2, [4, 1], seed=0), "applies no activation: make it with output_activation='sigmoid', or use "
     "binary_cross_entropy_with_logits on its raw scores"),
    (lambda: nn.MLP(2, [4, 1], output_activation="tanh", seed=0, backend="numpy"), "applies tanh: make it with "
     "output_activation='sigmoid'"),
    (lambda: nn.Sequential(nn.Linear(2, 4, seed=0), nn.ReLU()), "applies relu: end it in a Sigmoid(), or use "
     "binary_cross_entropy_with_logits"),
])
def test_binary_cross_entropy_refuses_a_model_known_to_give_no_probabilities(make, message):
    """It trained until an output left [0, 1], an epoch or a hundred later, and stopped there."""
    X, y = nn.data.logic_gate("xor")
    model = make()
    before = model.state_dict()
    with pytest.raises(ValueError, match=re.escape("binary_cross_entropy takes probabilities (a sigmoid's outputs), "
                                                   f"but the model's last layer {message}")):
        nn.fit(model, X, y, "binary_cross_entropy", "adam", progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())

    class Squashed(nn.Module):  # a last module of your own: it may give probabilities in any way
        def __init__(self):
            self.inner = nn.MLP(2, [4, 1], seed=0, backend="numpy")

        def forward(self, x):
            return self.inner(x).sigmoid()

    for model in (Squashed(), nn.Sequential(nn.Linear(2, 1, seed=0), nn.Sigmoid()),
                  nn.MLP(2, [4, 1], output_activation="sigmoid", seed=0)):
        assert len(nn.fit(model, X, y, "binary_cross_entropy", "adam", epochs=2, progress=False).loss) == 2


def test_accuracy_reads_the_numbers_of_a_tensor_in_a_graph():
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    outputs = model(X)  # in a graph: requires grad
    assert nn.training.accuracy(outputs, y) == nn.training.accuracy(nn.predict(model, X), y)


@pytest.mark.parametrize(("backend", "lr"), [("numpy", 1e38), ("scalar", 1e308)])
def test_fit_refuses_weights_made_infinite_by_the_last_update(backend, lr):
    """The last step's loss is finite (it is computed before the update), so only the weights show the blow-up."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    model = nn.MLP(2, [3, 1], seed=0, backend=backend)
    with pytest.raises(FloatingPointError, match=r"the updates of epoch 1 made parameters NaN or inf \(layers\.1\."
                                                 r"[^,]*\); the data is finite, so the training diverged: try a"):
        nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=lr), epochs=1, progress=False)


def test_fit_refuses_a_model_whose_weights_are_not_finite_before_training_without_blaming_the_learning_rate():
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    model.parameters()[2].data[0, 1] = np.inf
    with pytest.raises(ValueError, match=r"the model's parameters hold NaN or inf before any training "
                                         r"\(layers\.1\.weight\): load or set finite weights"):
        nn.fit(model, [[0.0, 1.0]], [1.0], "mse", "sgd", progress=False)


@pytest.mark.parametrize("backend", ["numpy", "scalar"])
def test_a_weight_the_optimizer_does_not_update_is_checked_before_training_too(backend):
    """Fine-tuning the last layer of a model whose first layer holds NaN: the NaN feeds the loss all the same."""
    model = nn.MLP(2, [3, 1], seed=0, backend=backend)
    first = model.layers[0]
    if backend == "numpy":
        first.weight.data[0, 0] = np.nan
    else:
        first.neurons[1].w[0].data = float("nan")
    name = "layers.0.weight" if backend == "numpy" else "layers.0.neurons.1.w.0"
    with pytest.raises(ValueError) as error:
        nn.fit(model, [[0.0, 1.0]], [1.0], "mse", nn.SGD(model.layers[1].parameters(), lr=0.1), progress=False)
    assert str(error.value) == f"the model's parameters hold NaN or inf before any training ({name}): load or set " \
                               f"finite weights"


def test_a_run_that_diverges_where_only_the_validation_data_shows_it_says_so():
    """Weights grown by too large a rate overflow on validation inputs of 1e18, which the first weights took."""
    model = nn.MLP(1, [1], seed=0, backend="numpy")
    with pytest.raises(FloatingPointError) as error:
        nn.fit(model, [[1.0]], [1000.0], "mse", nn.SGD(model.parameters(), lr=0.4), epochs=2,
               validation_data=([[1e18]], [0.0]), progress=False)
    assert str(error.value) == "training diverged: the validation after epoch 1 failed: op '**' overflows float32: " \
                               "the largest input is 8.00095e+20; try a smaller learning rate"
    assert error.value.history.history == {}  # the epoch's figures were not complete


def test_a_progress_bar_with_stderr_closed_is_not_shown(monkeypatch):
    monkeypatch.setattr(sys, "stderr", None)  # what ``2>&-`` leaves a Python program
    model = nn.MLP(2, [2, 1], seed=0, backend="numpy")
    history = nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], [1.0, 0.0], "mse", "sgd", epochs=2, batch_size=1)
    assert len(history.loss) == 2


def test_a_diverging_run_with_weight_decay_names_it_as_a_cause_too():
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    with pytest.raises(FloatingPointError, match=r"try a smaller learning rate or weight decay \(it is 1e\+30\)"):
        nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1, weight_decay=1e30), epochs=5, progress=False)


def test_fit_refuses_accuracy_of_regression_targets_before_any_update():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]: accuracy with one output needs targets of 0/1"):
        nn.fit(model, X, y, "mse", "sgd", metrics=["accuracy"], progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_targets_that_are_all_one_need_a_threshold():
    outputs = [[0.3], [0.2], [0.9]]
    with pytest.raises(ValueError, match=r"cannot tell from targets that are all 1 whether the classes are 0/1 or "
                                         r"-1/\+1: pass threshold= \(0\.5 for 0/1, 0 for -1/\+1\)"):
        nn.training.accuracy(outputs, [1, 1, 1])
    assert nn.training.accuracy(outputs, [1, 1, 1], threshold=0.0) == 1.0
    assert nn.training.accuracy(outputs, [1, 1, 1], threshold=0.5) == pytest.approx(1 / 3)
    assert nn.training.accuracy(outputs, [1, 1, 1], loss="hinge") == 1.0  # a loss on margins splits at 0
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    model = nn.MLP(2, [2, 1], seed=0, activation="tanh", output_activation="tanh", backend="numpy")
    history = nn.fit(model, X, [1.0, 1.0], "mse", "sgd", progress=False)
    assert "accuracy" not in history.history  # not measured by a guess
    with pytest.raises(ValueError, match="targets that are all 1"):
        nn.fit(model, X, [1.0, 1.0], "mse", "sgd", metrics=["accuracy"], progress=False)
    above_zero = float(np.mean(nn.predict(model, X)[:, 0] > 0))  # one full batch: measured before its update
    history = nn.fit(model, X, [1.0, 1.0], "mse", "sgd", metrics=["accuracy"], threshold=0.0, progress=False)
    assert history.accuracy == [above_zero]


@pytest.mark.parametrize("which", ["X", "y"])
def test_fit_refuses_a_masked_array(which):
    X = np.ma.array([[0.0, 1.0], [1.0, 0.0], [5.0, 5.0]], mask=[[0, 0], [0, 0], [1, 1]])
    y = np.ma.array([0.0, 1.0, 1.0], mask=[0, 0, 1])
    data = {"X": X, "y": y}
    plain = {"X": X.data, "y": y.data}
    plain[which] = data[which]
    model = nn.MLP(2, [2, 1], seed=0, backend="numpy")
    count = 2 if which == "X" else 1
    with pytest.raises(TypeError, match=rf"{which} cannot be a masked array with masked entries \({count} here\): "
                                        "they would count as numbers; fill them"):
        nn.fit(model, plain["X"], plain["y"], "mse", "sgd", progress=False)


@pytest.mark.parametrize("optimizer", ["sgd", "an optimizer"])
def test_fit_refuses_a_model_whose_every_parameter_is_frozen(optimizer):
    model = nn.MLP(2, [2, 1], seed=0, backend="numpy")
    for parameter in model.parameters():
        parameter.requires_grad = False
    chosen = nn.SGD(model.parameters()) if optimizer == "an optimizer" else optimizer
    with pytest.raises(ValueError, match=r"every parameter the optimizer updates is frozen \(requires_grad=False\), "
                                         r"so training would change nothing"):
        nn.fit(model, [[0.0, 1.0]], [1.0], "mse", chosen, progress=False)


@pytest.mark.parametrize("callback", ["on_step_end", "on_epoch_end"])
@pytest.mark.parametrize(
    "given, message",
    [(5, "{} must be a function, a list of them, or None; got int 5"),
     ([print, 5], r"{}\[1\] must be a function, got int 5")],
    ids=["a number", "a number in a list"],
)
def test_fit_refuses_a_callback_that_is_no_function_before_any_update(callback, given, message):
    model = nn.MLP(2, [1], seed=0, backend="numpy")
    before = model.state_dict()
    with pytest.raises(TypeError, match=message.format(callback)):
        nn.fit(model, [[0.0, 1.0]], [1.0], "mse", "sgd", progress=False, **{callback: given})
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_metrics_that_are_no_list_are_named():
    with pytest.raises(TypeError, match=r"metrics must be a list of names such as \['accuracy'\], got int 5"):
        nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), [[0.0, 1.0]], [1.0], "mse", "sgd", metrics=5, progress=False)
    with pytest.raises(TypeError, match=r"metrics must be a list of names such as \['accuracy'\], got the string b"):
        nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), [[0.0, 1.0]], [1.0], "mse", "sgd", metrics=b"accuracy",
               progress=False)


@pytest.mark.parametrize("given", [lambda: iter(["accuracy"]), lambda: (name for name in ["accuracy"])])
def test_metrics_given_as_an_iterator_are_read_once(given):
    X, y = nn.data.logic_gate("and")
    history = nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), X, y, "mse", "sgd", metrics=given(),
                     validation_data=(X, y), progress=False)
    assert len(history.accuracy) == len(history.val_accuracy) == 1


@pytest.mark.parametrize("given, kind, message", [
    (np.zeros((2, 2)), TypeError, "validation_data must be a pair (X_val, y_val), got ndarray"),
    ({"X": 1, "y": 2}, TypeError, "validation_data must be a pair (X_val, y_val), got dict"),
    ((np.zeros((1, 2)),), ValueError, "validation_data must be a pair (X_val, y_val), got 1 items"),
])
def test_validation_data_that_is_no_pair_is_named(given, kind, message):
    X, y = nn.data.logic_gate("and")
    with pytest.raises(kind, match=re.escape(message)):
        nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), X, y, "mse", "sgd", validation_data=given, progress=False)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.Sequential(nn.Sequential(nn.Linear(3, 1, seed=0), nn.Sigmoid())),
        lambda: nn.Sequential(nn.MLP(3, [1], output_activation="sigmoid", seed=0, backend="numpy")),
    ],
    ids=["Sequential in a Sequential", "MLP in a Sequential"],
)
def test_a_sigmoid_inside_a_nested_model_is_caught_before_a_logits_loss_applies_another(make):
    X = np.random.default_rng(0).normal(size=(8, 3))
    with pytest.raises(ValueError, match="binary_cross_entropy_with_logits takes raw scores .* the model's last layer "
                                         "applies sigmoid"):
        nn.fit(make(), X, (X[:, 0] > 0).astype(float), "binary_cross_entropy_with_logits", "sgd", progress=False)


@pytest.mark.parametrize(
    ("loss", "train", "valid"),
    [("mse", 0.0, [0.0, 1.0]), ("binary_cross_entropy_with_logits", 1.0, [0.0, 1.0]), ("hinge", -1.0, [-1.0, 1.0]),
     ("hinge", 1.0, [-1.0, 1.0])],  # targets all 1 are of either kind: the validation's -1 says which
)
def test_validation_classes_of_the_training_targets_kind_are_measured_when_training_saw_one(loss, train, valid):
    rng = np.random.default_rng(0)
    X, X_val = rng.normal(size=(8, 3)), rng.normal(size=(6, 3))
    y_val = np.array(valid * 3)
    model = nn.MLP(3, [1], seed=0, backend="numpy", dtype="float64")
    history = nn.fit(model, X, np.full(8, train), loss, "sgd", epochs=1, validation_data=(X_val, y_val),
                     progress=False)
    threshold = 0.5 if loss == "mse" else 0.0
    predicted = nn.predict(model, X_val)[:, 0] > threshold
    assert history.val_accuracy[0] == np.mean(predicted == (y_val > (0.0 if loss == "hinge" else 0.5)))
    with pytest.raises(ValueError, match=r"validation y holds 2, not a class of the training targets' kind"):
        nn.fit(model, X, np.full(8, train), loss, "sgd", epochs=1, validation_data=(X_val, np.full(6, 2.0)),
               progress=False)


def test_validation_classes_after_targets_all_1_are_one_kind_not_both():
    X = np.random.default_rng(0).normal(size=(6, 3))
    model = nn.MLP(3, [1], seed=0, backend="numpy", dtype="float64")
    expected = r"validation y holds 0, not a class of the training targets' kind \(-1 and 1\)"
    with pytest.raises(ValueError, match=expected):
        nn.fit(model, X, np.ones(6), "hinge", "sgd", epochs=1, validation_data=(X, np.array([-1.0, 0.0, 1.0] * 2)),
               progress=False)


def test_accuracy_reads_a_scalar_models_values_and_names_one_hot_rows_for_one_output():
    from chainrule.autograd import Value
    from chainrule.nn.training import accuracy

    assert accuracy([Value(0.7), Value(0.2), Value(0.9)], [1, 0, 0]) == 2 / 3
    assert accuracy([[Value(1.0), Value(0.0)], [Value(0.0), Value(2.0)]], [0, 0]) == 0.5
    with pytest.raises(ValueError, match=r"accuracy with one output needs one target per sample \(0/1 or -1/\+1\), "
                                         r"got rows of 2 \(one-hot rows need one output per class\)"):
        accuracy(np.ones((4, 1)), np.eye(2)[[0, 1, 0, 1]])


def test_a_sequential_may_begin_with_an_activation():
    X = np.random.default_rng(0).normal(size=(8, 3))
    model = nn.Sequential(nn.ReLU(), nn.Linear(3, 2, seed=0, dtype="float64"), nn.Softmax())
    outputs = nn.predict(model, X)
    z = np.maximum(X, 0) @ model[1].weight.data.T + model[1].bias.data
    np.testing.assert_allclose(outputs, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rtol=1e-12)
    float32 = nn.Sequential(nn.ReLU(), nn.Linear(3, 1, seed=0))
    assert float32(X).data.dtype == np.float32 and float32([[1.0, -2.0, 3.0]]).data.dtype == np.float32  # as Linear
    regression = nn.Sequential(nn.Tanh(), nn.Linear(3, 1, seed=0, dtype="float64"))
    history = nn.fit(regression, X, X[:, 0], "mse", "sgd", epochs=2, batch_size=8, progress=False)
    assert history.loss[1] < history.loss[0]


def test_validation_classes_given_by_a_threshold_of_your_own_are_the_training_targets_own():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3))
    y = np.array([0.0, 2.0] * 4)
    model = nn.MLP(3, [1], seed=0, backend="numpy", dtype="float64")
    history = nn.fit(model, X, y, "mse", "sgd", epochs=1, threshold=1.0, metrics=("accuracy",),
                     validation_data=(X, y), progress=False)
    assert history.val_accuracy[0] == np.mean((nn.predict(model, X)[:, 0] > 1.0) == (y > 1.0))
    expected = r"validation y holds 1, not a class of the training targets' kind \(0 and 2\)"
    with pytest.raises(ValueError, match=expected):
        nn.fit(model, X, y, "mse", "sgd", epochs=1, threshold=1.0, metrics=("accuracy",),
               validation_data=(X, np.array([0.0, 1.0] * 4)), progress=False)


# --- stopping early, and what an interrupted run keeps ---


def _stop_at(number):
    def stop(at, figures):
        if at == number:
            raise nn.StopTraining
    return stop


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_stop_training_from_on_epoch_end_returns_the_epochs_so_far(moons, backend):
    X, y = moons
    stopped = nn.MLP(2, [4, 1], seed=0, backend=backend)
    history = nn.fit(stopped, X, y, "mse", "sgd", epochs=10, batch_size=30, seed=3, progress=False,
                     on_epoch_end=_stop_at(3))
    assert len(history.loss) == 3
    whole = nn.MLP(2, [4, 1], seed=0, backend=backend)
    expected = nn.fit(whole, X, y, "mse", "sgd", epochs=3, batch_size=30, seed=3, progress=False)
    assert history.loss == expected.loss
    assert all(np.array_equal(whole.state_dict()[k], v) for k, v in stopped.state_dict().items())


def test_stop_training_from_on_step_end_ends_the_epoch_after_that_step(moons):
    X, y = moons  # 100 samples in batches of 30: steps 1-4 are epoch 1, steps 5-8 epoch 2
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    steps, epochs_ended, weights = [], [], []

    def record(step, figures):
        steps.append((step, figures["loss"]))
        weights.append(model.state_dict())

    history = nn.fit(model, X, y, "mse", "sgd", epochs=5, batch_size=30, seed=0, progress=False,
                     validation_data=(X[:20], y[:20]), on_step_end=[record, _stop_at(6)],
                     on_epoch_end=lambda epoch, figures: epochs_ended.append(epoch))
    assert [s for s, _ in steps] == [1, 2, 3, 4, 5, 6]
    assert epochs_ended == [1, 2]
    assert len(history.loss) == 2
    assert history.loss[1] == pytest.approx((steps[4][1] * 30 + steps[5][1] * 30) / 60, rel=1e-12)
    outputs = nn.predict(model, X[:20])[:, 0]
    assert history.val_loss[1] == pytest.approx(float(np.mean((outputs - y[:20]) ** 2)), rel=1e-5)
    assert all(np.array_equal(weights[-1][k], v) for k, v in model.state_dict().items())


def test_an_interrupted_run_sends_its_history_with_the_exception(moons):
    X, y = moons
    whole = nn.fit(nn.MLP(2, [4, 1], seed=0, backend="numpy"), X, y, "mse", "sgd", epochs=2, batch_size=30,
                   seed=1, progress=False)

    def interrupt(step, figures):
        if step == 10:  # the second step of epoch 3
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        nn.fit(nn.MLP(2, [4, 1], seed=0, backend="numpy"), X, y, "mse", "sgd", epochs=5, batch_size=30, seed=1,
               progress=False, on_step_end=interrupt)
    assert caught.value.history.loss == whole.loss
    assert caught.value.__notes__ == [
        "(fit stopped in epoch 3 of 5; error.history holds the figures of the 2 epochs recorded before)"
    ]


def test_a_diverging_run_sends_its_history_with_the_error(moons):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    optimizer = nn.SGD(model.parameters(), lr=0.1)

    def blow_up(epoch, figures):
        if epoch == 2:
            optimizer.lr = 1e30

    with pytest.raises(FloatingPointError, match="epoch 3") as caught:
        nn.fit(model, X, y, "mse", optimizer, epochs=5, batch_size=30, progress=False, on_epoch_end=blow_up)
    assert len(caught.value.history.loss) == 2
    assert all(np.isfinite(caught.value.history.loss))


def test_an_exception_with_a_history_of_its_own_keeps_it(moons):
    X, y = moons

    class Stop(Exception):
        history = "mine"

    def stop(epoch, figures):
        raise Stop

    with pytest.raises(Stop) as caught:
        nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), X, y, "mse", "sgd", progress=False, on_epoch_end=stop)
    assert caught.value.history == "mine"
    assert not hasattr(caught.value, "__notes__")


@pytest.mark.parametrize(
    "outputs, loss, valid_y, message",
    [
        (3, "cross_entropy", np.arange(20) % 6,
         r"validation_data: cross_entropy: class targets must lie in \[0, 2\], got 0\.\.5"),
        (1, "mse", np.zeros((20, 2)), r"validation_data: mse: predictions have shape \(20, 1\) but targets have "
                                      r"shape \(20, 2\)"),
    ],
)
def test_validation_targets_the_loss_refuses_stop_fit_before_any_update(moons, outputs, loss, valid_y, message):
    X, y = moons
    y = y.astype(int) if outputs > 1 else y
    model = nn.MLP(2, [4, outputs], seed=0, backend="numpy")
    before = model.state_dict()
    steps = []
    with pytest.raises(ValueError, match=message):
        nn.fit(model, X, y, loss, "sgd", metrics=(), progress=False, validation_data=(X[:20], valid_y),
               on_step_end=lambda step, figures: steps.append(step))
    assert steps == []
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_a_list_of_callbacks_runs_each_in_order(moons):
    X, y = moons
    calls = []
    nn.fit(nn.MLP(2, [1], seed=0, backend="numpy"), X, y, "mse", "sgd", epochs=2, batch_size=50, progress=False,
           on_step_end=(lambda s, f: calls.append(("a", s)), lambda s, f: calls.append(("b", s))),
           on_epoch_end=[lambda e, f: calls.append(("epoch", e))])
    assert calls == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("epoch", 1),
                     ("a", 3), ("b", 3), ("a", 4), ("b", 4), ("epoch", 2)]


def test_a_threshold_for_a_model_of_several_outputs_is_refused(moons):
    X, y = moons
    message = r"threshold=0\.3 applies to a model with one output .*; this one has 3 outputs, whose class is the"
    with pytest.raises(ValueError, match=message):
        nn.fit(nn.MLP(2, [3], seed=0, backend="numpy"), X, y.astype(int), "cross_entropy", "sgd", threshold=0.3,
               progress=False)
    with pytest.raises(ValueError, match=message):
        nn.training.accuracy(np.eye(3)[[0, 1, 2]], [0, 1, 2], threshold=0.3)


def test_the_optimizer_made_from_a_name_goes_on_in_the_next_call(moons):
    X, y = moons
    once = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    nn.fit(once, X, y, "mse", "adam", epochs=3, batch_size=30, seed=np.random.default_rng(7), progress=False)
    in_three = nn.MLP(2, [4, 1], seed=0, backend="numpy")
    shuffles = np.random.default_rng(7)
    history = nn.fit(in_three, X, y, "mse", "adam", epochs=1, batch_size=30, seed=shuffles, progress=False)
    assert isinstance(history.optimizer, nn.Adam)
    for _ in range(2):
        nn.fit(in_three, X, y, "mse", history.optimizer, epochs=1, batch_size=30, seed=shuffles, progress=False)
    assert all(np.array_equal(once.state_dict()[k], v) for k, v in in_three.state_dict().items())


def test_a_threshold_of_your_own_splits_two_target_values_at_their_midpoint():
    outputs, y = np.array([[1.0], [2.0], [1.1], [1.9]]), np.array([1.0, 2.0, 1.0, 2.0])
    assert nn.training.accuracy(outputs, y, threshold=1.5) == 1.0
    assert nn.training.accuracy(outputs, y, threshold=1.95) == 0.75  # 1.9 is then read as the class of 1
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    model = nn.MLP(1, [1], seed=0, backend="numpy", dtype="float64")
    model.load_state_dict({"layers.0.weight": np.array([[0.4]]), "layers.0.bias": np.array([0.9])})  # 0.9 ... 2.1
    history = nn.fit(model, X, np.array([1.0, 1.0, 2.0, 2.0]), "mse", nn.SGD(model.parameters(), lr=1e-12),
                     threshold=1.5, progress=False)
    assert history.accuracy == [1.0]


def test_a_threshold_for_targets_that_are_not_two_classes_is_refused():
    X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.5, 1.5, 2.5])
    message = (r"threshold=1\.0 splits outputs into two classes, but the targets hold 3 values \(0\.5, 1\.5, 2\.5\), "
               r"not two classes")
    with pytest.raises(ValueError, match=message):
        nn.fit(nn.MLP(1, [1], seed=0, backend="numpy"), X, y, "mse", "sgd", threshold=1.0, progress=False)
    with pytest.raises(ValueError, match=message):
        nn.training.accuracy(np.zeros((3, 1)), y, threshold=1.0)


def test_a_stop_from_one_callback_of_a_list_still_runs_the_others():
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", grid=4, neuron_grid=2)
    seen = []
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=20, progress=False,
           on_step_end=[_stop_at(7), recorder, lambda step, figures: seen.append(step)])
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert recorder.recording.steps[-1] == 7


def test_a_threshold_of_your_own_reads_targets_of_one_value_by_their_side_of_it():
    assert nn.training.accuracy(np.array([[1.2], [1.3]]), np.array([1.25, 1.25]), threshold=1.5) == 1.0  # below it
    assert nn.training.accuracy(np.array([[0.2], [0.3]]), np.array([0.25, 0.25]), threshold=0.1) == 1.0  # above it


def test_the_models_own_error_is_not_blamed_on_the_validation_data(moons):
    X, y = moons
    model = nn.MLP(2, [4, 1], seed=0, backend="numpy")  # linear output: no probability
    with pytest.raises(ValueError, match=r"^binary_cross_entropy takes probabilities") as raised:
        nn.fit(model, X, y, "binary_cross_entropy", "sgd", progress=False, validation_data=(X[:5], y[:5]))
    assert "validation" not in str(raised.value)


@pytest.mark.parametrize("progress", [False, True])
def test_a_callback_may_add_words_to_an_epochs_figures(progress, capsys, monkeypatch):
    from chainrule.nn import training

    postfixes = []

    class Recording(training.ProgressBar):
        def set_postfix(self, ordered_dict=None, refresh=True, **figures):
            postfixes.append(dict(ordered_dict or figures))
            super().set_postfix(ordered_dict, refresh, **figures)

    monkeypatch.setattr(training, "tqdm_disable", lambda wanted: not wanted)  # shown as in a terminal
    monkeypatch.setattr(training, "ProgressBar", Recording)
    X = np.random.default_rng(0).normal(size=(8, 2))
    model = nn.MLP(2, [3, 1], backend="numpy", seed=0)

    def note_phase(epoch, figures):
        figures["phase"] = "warm-up" if epoch < 2 else "main"
        figures["share_seen"] = Fraction(epoch, 3)

    history = nn.fit(model, X, X[:, 0], "mse", nn.SGD(model.parameters(), lr=0.01), epochs=3, progress=progress,
                     on_epoch_end=note_phase)
    assert len(history.loss) == 3
    epochs_shown = [figures for figures in postfixes if "share_seen" in figures]
    assert [figures["share_seen"] for figures in epochs_shown] == (["0.3333", "0.6667", "1.0000"] if progress else [])
    assert not any("phase" in figures for figures in epochs_shown)
    assert progress or capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("outputs", "y", "kind", "message"),
    [
        (0.7, [1.0], ValueError, "accuracy takes one output (or a row of them) per sample, got a single number"),
        ([], [], ValueError, "accuracy of no samples is undefined: the outputs are empty"),
        (["yes", "no"], [0.0, 1.0], TypeError, "accuracy takes the model's outputs as numbers, got ['yes', 'no']"),
        ([[np.nan], [np.nan]], [0.0, 1.0], ValueError, "the outputs hold NaN or inf, which are no prediction"),
        ([[np.nan, 0.0], [0.0, np.inf]], [0, 1], ValueError, "accuracy: the outputs hold NaN or inf"),
    ],
)
def test_accuracy_names_outputs_that_are_no_predictions(outputs, y, kind, message):
    from chainrule.nn.training import accuracy

    with pytest.raises(kind, match=re.escape(message)):
        accuracy(outputs, y)
