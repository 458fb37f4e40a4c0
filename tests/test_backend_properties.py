"""Properties: the scalar and NumPy backends agree on random small models and data.

For a random MLP built twice from one seed (``backend="scalar"`` and ``backend="numpy"`` with
float64), `predict`, every loss and its gradient, and `fit` with SGD give the same shapes and the
same numbers (to rounding: the two sum in different orders). Hypothesis is derandomized, so the
same cases run every time.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from chainrule import nn
from chainrule.nn.losses import LOSSES
from chainrule.nn.optim import make_optimizer

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
CLOSE = {"rtol": 1e-9, "atol": 1e-11}
PROPERTIES = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Case:
    """One random problem: the two twin models, inputs X and targets y for `loss`."""

    def __init__(self, nin, nouts, activation, output_activation, seed, X, y, loss):
        settings = {"activation": activation, "output_activation": output_activation, "seed": seed}
        self.scalar = nn.MLP(nin, nouts, **settings)
        self.numpy = nn.MLP(nin, nouts, **settings, backend="numpy", dtype="float64")
        self.X, self.y, self.loss = X, y, loss
        self.nout = nouts[-1]
        self.description = f"MLP({nin}, {nouts}, {activation}, {output_activation}, seed={seed}), {loss}"

    def __repr__(self) -> str:
        return f"<{self.description}, X {self.X.shape}>"


@st.composite
def cases(draw: st.DrawFn, losses: tuple[str, ...] = tuple(LOSSES)) -> Case:
    loss = draw(st.sampled_from(losses))
    nin = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 5), max_size=2))
    nout = draw(st.integers(2, 3)) if loss == "cross_entropy" else draw(st.integers(1, 3))
    activation = draw(st.sampled_from(ACTIVATIONS))
    if loss == "binary_cross_entropy":
        output_activation = "sigmoid"
    else:  # fit refuses a sigmoid before a loss that takes raw scores (it would squash twice)
        output_activation = draw(st.sampled_from([a for a in ACTIVATIONS if a != "sigmoid" or loss == "mse"]))
    n = draw(st.integers(1, 8))
    away_from_zero = st.one_of(st.just(0.0), st.floats(0.01, 3), st.floats(-3, -0.01))  # no ties broken by rounding
    X = draw(arrays(np.float64, (n, nin), elements=away_from_zero))
    if loss == "cross_entropy":
        y = draw(arrays(np.int64, (n,), elements=st.integers(0, nout - 1)))
    elif loss == "hinge":
        y = draw(arrays(np.float64, (n, nout), elements=st.sampled_from([-1.0, 1.0])))
    elif loss.startswith("binary"):
        y = draw(arrays(np.float64, (n, nout), elements=st.sampled_from([0.0, 1.0])))
    else:
        y = draw(arrays(np.float64, (n, nout), elements=st.floats(-2, 2, allow_subnormal=False)))
    if nout == 1 and loss != "cross_entropy" and draw(st.booleans()):
        y = y.reshape(n)  # one target per sample, as for a single output
    seed = draw(st.integers(0, 2**32 - 1))
    return Case(nin, [*hidden, nout], activation, output_activation, seed, X, y, loss)


def assert_same_state(a: nn.Module, b: nn.Module, **tolerance: float) -> None:
    left, right = a.state_dict(), b.state_dict()
    assert list(left) == list(right)
    for key in left:
        assert left[key].shape == right[key].shape, key
        np.testing.assert_allclose(left[key], right[key], err_msg=key, **(tolerance or CLOSE))


@PROPERTIES
@given(case=cases())
def test_same_seed_same_weights_and_predict_gives_the_same_outputs(case):
    assert_same_state(case.scalar, case.numpy, rtol=0, atol=0)
    scalar, numpy_ = nn.predict(case.scalar, case.X), nn.predict(case.numpy, case.X)
    nout = case.nout
    assert scalar.shape == numpy_.shape == (len(case.X), nout)
    assert scalar.dtype == numpy_.dtype == np.float64
    np.testing.assert_allclose(scalar, numpy_, **CLOSE)
    empty = np.empty((0, case.X.shape[1]))
    assert nn.predict(case.scalar, empty).shape == nn.predict(case.numpy, empty).shape == (0, nout)


@pytest.mark.parametrize("loss", sorted(LOSSES))
@settings(PROPERTIES, max_examples=50)
@given(data=st.data())
def test_every_loss_and_its_gradient_agree(loss, data):
    case = data.draw(cases(losses=(loss,)))
    scalar_loss = LOSSES[case.loss]([case.scalar(row) for row in case.X.tolist()], case.y)
    numpy_loss = LOSSES[case.loss](case.numpy(case.X), case.y)
    assert np.shape(numpy_loss.data) == ()
    np.testing.assert_allclose(scalar_loss.data, float(numpy_loss.data), **CLOSE)
    for model, loss in ((case.scalar, scalar_loss), (case.numpy, numpy_loss)):
        model.zero_grad()
        loss.backward()
        nn.SGD(model.parameters(), lr=1.0).step()  # the weights move by exactly minus the gradient
    assert_same_state(case.scalar, case.numpy)


@settings(PROPERTIES, max_examples=100)
@given(
    case=cases(),
    optimizer=st.sampled_from(["sgd", "momentum"]),
    epochs=st.integers(1, 2),
    batch=st.integers(1, 8),
    shuffle=st.booleans(),
)
def test_fit_trains_both_backends_the_same_way(case, optimizer, epochs, batch, shuffle):
    histories, diverged = [], []
    for model in (case.scalar, case.numpy):
        try:
            history = nn.fit(
                model,
                case.X,
                case.y,
                case.loss,
                make_optimizer(optimizer, model.parameters(), lr=0.05, weight_decay=0.01),
                epochs=epochs,
                batch_size=min(batch, len(case.X)),
                shuffle=shuffle,
                seed=7,
                progress=False,
            )
        except FloatingPointError as error:  # both must stop, at the same step
            diverged.append(re.search(r"at epoch \d+, step \d+", str(error)).group())
        else:
            histories.append(history.history)
    if diverged:
        assert len(diverged) == 2 and diverged[0] == diverged[1], diverged
        return
    scalar_history, numpy_history = histories
    assert scalar_history.keys() == numpy_history.keys()
    for key in scalar_history:
        assert len(scalar_history[key]) == len(numpy_history[key]) == epochs, key
        if key != "epoch_seconds":
            np.testing.assert_allclose(scalar_history[key], numpy_history[key], err_msg=key, **CLOSE)
    assert_same_state(case.scalar, case.numpy)
    np.testing.assert_allclose(nn.predict(case.scalar, case.X), nn.predict(case.numpy, case.X), **CLOSE)
