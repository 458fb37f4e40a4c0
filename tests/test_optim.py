"""Each optimizer's first two updates on L(w1, w2, b1) = (b1 + 2·w1 − w2 − 3)² from (1, −1, 2), worked out by hand.

At the start b1 + 2·w1 − w2 − 3 = 2, so ∇L = (8, −4, 4). Hand-worked values:
SGD (η=0.01): (0.92, −0.96, 1.96), then ∇L = (7.04, −3.52, 3.52) and (0.8496, −0.9248, 1.9248).
Momentum (γ=0.9): v = −η∇ then v = γv − η∇: (0.92, −0.96, 1.96), then (0.7776, −0.8888, 1.8888).
AdaGrad (η=0.01): h = g², step ≈ η·sign(g): (0.99, −0.99, 1.99); then ∇L = (7.84, −3.92, 3.92),
  h1 = 64 + 61.4656, w1 = 0.99 − 0.01·7.84/√125.4656 = 0.98300071.
RMSProp (η=0.001, ρ=0.9): h = 0.1·g² so w1 = 1 − 0.001·8/√6.4 = 0.99683772; then 0.99455047.
Adam (η=0.001): the first step is η·sign(g): (0.999, −0.999, 1.999); the second 0.998000053.
"""

import numpy as np
import pytest

from chainrule import nn
from chainrule.autograd import Parameter


def loss_and_params():
    w1, w2, b1 = Parameter(1.0, "w1"), Parameter(-1.0, "w2"), Parameter(2.0, "b1")
    return (lambda: (b1 + 2 * w1 - w2 - 3) ** 2), [w1, w2, b1]


def two_steps(make):
    loss, params = loss_and_params()
    optimizer = make(params)
    seen = []
    for _ in range(2):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        if not seen:
            assert [p.grad for p in params] == [8.0, -4.0, 4.0]
        optimizer.step()
        seen.append([p.data for p in params])
    return seen


CASES = {
    "sgd": (lambda p: nn.SGD(p, lr=0.01), [0.92, -0.96, 1.96], [0.8496, -0.9248, 1.9248]),
    "momentum": (lambda p: nn.SGD(p, lr=0.01, momentum=0.9), [0.92, -0.96, 1.96], [0.7776, -0.8888, 1.8888]),
    "adagrad": (lambda p: nn.Adagrad(p), [0.99, -0.99, 1.99], [0.98300071, -0.98300071, 1.98300071]),
    "rmsprop": (lambda p: nn.RMSprop(p), [0.99683772, -0.99683772, 1.99683772], [0.99455047, -0.99455047, 1.99455047]),
    "adam": (lambda p: nn.Adam(p), [0.999, -0.999, 1.999], [0.99800005, -0.99800005, 1.99800005]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_two_updates_match_hand_worked_values(name):
    make, first, second = CASES[name]
    got = two_steps(make)
    assert got[0] == pytest.approx(first, abs=1e-7)
    assert got[1] == pytest.approx(second, abs=1e-7)


def test_nesterov_looks_ahead():
    (first, _) = two_steps(lambda p: nn.SGD(p, lr=0.01, momentum=0.9, nesterov=True))
    # v = −0.08; w1 += γv − η∇ = −0.072 − 0.08
    assert first[0] == pytest.approx(1 - 0.152)


def test_weight_decay_adds_to_the_gradient():
    (first, _) = two_steps(lambda p: nn.SGD(p, lr=0.01, weight_decay=0.5))
    assert first[0] == pytest.approx(1 - 0.01 * (8 + 0.5 * 1))


def test_decay_shrinks_the_learning_rate_per_update():
    got = two_steps(lambda p: nn.SGD(p, lr=0.01, decay=1.0))
    assert got[0][0] == pytest.approx(0.92)
    assert got[1][0] == pytest.approx(0.92 - 0.005 * 7.04)


def test_lr_can_be_changed_between_steps():
    loss, params = loss_and_params()
    optimizer = nn.SGD(params, lr=0.01)
    loss().backward()
    optimizer.lr = 0.1
    optimizer.step()
    assert params[0].data == pytest.approx(1 - 0.8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_update_on_an_array_parameter(name):
    """The update math is written once: a Tensor-like parameter with ndarray data moves the same way."""
    make, first, _ = CASES[name]

    class ArrayParameter:
        is_parameter = True

        def __init__(self, data):
            self.data = np.array(data, dtype=np.float64)
            self.grad = np.array([8.0, -4.0, 4.0])

        def _reset_grad(self):
            self.grad = None

    p = ArrayParameter([1.0, -1.0, 2.0])
    make([p]).step()
    assert p.data == pytest.approx(first, abs=1e-7)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: nn.SGD(p, lr=-1), "lr must be a number >= 0, got -1"),
        (lambda p: nn.SGD(p, momentum=-0.5), "momentum must be a number >= 0"),
        (lambda p: nn.Adam(p, beta1=1.0), r"beta1 must lie in \[0, 1\)"),
        (lambda p: nn.RMSprop(p, rho=2), r"rho must lie in \[0, 1\)"),
        (lambda p: nn.SGD([]), "empty parameter list"),
    ],
)
def test_bad_settings(make, message):
    _, params = loss_and_params()
    with pytest.raises(ValueError, match=message):
        make(params if "empty" not in message else [])


def test_unknown_optimizer_name_lists_the_known_ones():
    from chainrule.nn.optim import make_optimizer

    expected = "unknown optimizer 'adamw'; expected one of sgd, momentum, adagrad, rmsprop, adam"
    with pytest.raises(ValueError, match=expected):
        make_optimizer("adamw", loss_and_params()[1])
