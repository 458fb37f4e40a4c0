"""nn.fit and nn.predict on both backends: learning, History, bad input, divergence."""

import numpy as np
import pytest

import nn


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
