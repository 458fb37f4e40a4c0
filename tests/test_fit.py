"""nn.fit and nn.predict on both backends: learning, History, bad input, divergence."""

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
