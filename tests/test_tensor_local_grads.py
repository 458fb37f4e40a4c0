"""Every Tensor op with local derivatives: its gradient is exactly upstream × local derivative, unbroadcast.

The drawings show `local_grads`; these tests make sure the backward pass uses those same numbers.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

from chainrule.autograd import Tensor
from chainrule.autograd.tensor_ops import unbroadcast

BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
UNARY = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "relu": lambda a: a.relu(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
}
POSITIVE = {"log", "**"}  # ops whose (first) operand must be positive for every derivative to exist


def numbers(shape, positive):
    low, high = (0.5, 3.0) if positive else (-3.0, 3.0)
    return arrays(np.float64, shape, elements=st.floats(low, high, allow_nan=False).filter(lambda v: abs(v) > 0.1))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(BINARY)), st.sampled_from(["both", "left", "right"]), st.data())
def test_binary_op_gradient_is_upstream_times_local_derivative(name, parents, data):
    shapes = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    a = data.draw(numbers(shapes.input_shapes[0], name in POSITIVE))
    b = data.draw(numbers(shapes.input_shapes[1], False))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    left = ta if parents in ("both", "left") else a
    right = tb if parents in ("both", "right") else b
    out = BINARY[name](left, right)
    upstream = data.draw(numbers(out.shape, False))
    out.backward(upstream)
    graph_parents = [t for t, used in ((ta, left is ta), (tb, right is tb)) if used]
    assert out.parents == tuple(graph_parents) and len(out.local_grads) == len(graph_parents)
    for parent, local in zip(graph_parents, out.local_grads):
        assert parent.grad.shape == parent.shape
        np.testing.assert_array_equal(parent.grad, unbroadcast(upstream * np.asarray(local), parent.data))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(UNARY)), st.data())
def test_unary_op_gradient_is_upstream_times_local_derivative(name, data):
    shape = data.draw(st.lists(st.integers(1, 4), max_size=3).map(tuple))
    x = Tensor(data.draw(numbers(shape, name in POSITIVE)), requires_grad=True)
    out = UNARY[name](x)
    upstream = data.draw(numbers(out.shape, False))
    out.backward(upstream)
    (local,) = out.local_grads
    np.testing.assert_array_equal(x.grad, upstream * np.asarray(local))


@pytest.mark.parametrize("name", sorted(UNARY) + sorted(BINARY))
def test_local_derivatives_match_central_differences(name):
    rng = np.random.default_rng(7)
    a = rng.uniform(0.5, 2.0, (2, 3))
    b = rng.uniform(0.5, 2.0, (3,))
    f = (lambda a, b: UNARY[name](a)) if name in UNARY else BINARY[name]
    out = f(Tensor(a, requires_grad=True), Tensor(b, requires_grad=True))
    eps = 1e-6
    for operand, local in enumerate(out.local_grads):
        for index in np.ndindex(a.shape):
            moved = [a.copy(), b.copy()]
            column = index if operand == 0 else index[1:]
            moved[operand][column] += eps
            plus = f(Tensor(moved[0]), Tensor(moved[1])).data[index]
            moved[operand][column] -= 2 * eps
            minus = f(Tensor(moved[0]), Tensor(moved[1])).data[index]
            expected = float(np.broadcast_to(np.asarray(local), out.shape)[index])
            assert (plus - minus) / (2 * eps) == pytest.approx(expected, rel=1e-6, abs=1e-8)
