"""Tests for `autograd.Tensor`: every op's gradient against central differences, and the protocol."""

from __future__ import annotations

import contextlib
import fractions
import math
import re
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import autograd, nn, viz
from chainrule.autograd import Tensor, Value, tensor_ops
from chainrule.autograd import graph as graph_module
from chainrule.autograd import tensor as tensor_module
from chainrule.autograd import value as value_module

# --- helpers ---


def numerical_grads(f, arrays, weights, eps=1e-6):
    """Central differences of ``sum(f(*arrays) * weights)`` for every entry of every array, in float64."""

    def loss(xs):
        with autograd.no_grad():
            return float(np.sum(f(*[Tensor(x) for x in xs]).data * weights))

    grads = []
    for i, array in enumerate(arrays):
        grad = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            bumped = [x.copy() for x in arrays]
            bumped[i][idx] = array[idx] + eps
            plus = loss(bumped)
            bumped[i][idx] = array[idx] - eps
            minus = loss(bumped)
            grad[idx] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


def check_grads(f, *arrays, seed=0, rtol=1e-6, atol=1e-8):
    """Backpropagate a random weighting of f's output and compare every input's grad with central differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*tensors)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(weights)
    for position, (tensor, expected) in enumerate(zip(tensors, numerical_grads(f, arrays, weights))):
        assert tensor.grad is not None, f"input {position} got no gradient"
        assert tensor.grad.shape == tensor.shape
        np.testing.assert_allclose(tensor.grad, expected, rtol=rtol, atol=atol, err_msg=f"input {position}")
    return out


def away_from_zero(shape, seed=1):
    """Random entries with 0.5 <= |x| <= 2: safe for division, relu's kink and finite differences."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def positive(shape, seed=2):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape)


def distinct(shape, seed=3):
    """Entries at least 0.1 apart, so max has one arg-max and finite differences do not cross a tie."""
    rng = np.random.default_rng(seed)
    size = math.prod(shape)
    return (rng.permutation(size) * 0.1 - size * 0.05).reshape(shape)


# --- construction and dtypes ---


@pytest.mark.parametrize(
    "data",
    [1, 2.5, True, [1, 2, 3], [[1.5, 2.5]], (1.0, 2.0), np.array([1, 2]), np.array([True, False]), np.int64(3)],
)
def test_numbers_lists_and_integer_arrays_become_float32(data):
    assert Tensor(data).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_arrays_keep_their_dtype_and_memory(dtype):
    array = np.arange(6, dtype=dtype).reshape(2, 3)
    t = Tensor(array)
    assert t.dtype == dtype
    assert t.data is array


@pytest.mark.parametrize(
    ("data", "dtype", "expected"),
    [
        ([1.0, 2.0], np.float64, np.float64),
        (3, "float64", np.float64),
        (np.ones(2, np.float64), np.float32, np.float32),
        (np.ones(2, np.int32), np.float64, np.float64),
    ],
)
def test_dtype_argument_overrides(data, dtype, expected):
    t = Tensor(data, dtype=dtype)
    assert t.dtype == expected
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=expected))


def test_a_non_float_dtype_argument_is_a_type_error():
    with pytest.raises(TypeError, match="Tensor dtype must be float32 or float64, got int32"):
        Tensor([1.0], dtype=np.int32)


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("abc", "str"),
        (None, "NoneType"),
        (1 + 2j, "complex"),
        (np.array([1 + 2j]), "complex128"),
        (np.array([object()]), "object"),
        (["a", "b"], "list"),
        ([1.0, [2.0, 3.0]], "ragged"),
        ({"a": 1}, "dict"),
    ],
)
def test_bad_data_is_a_type_error_naming_the_type(data, named):
    with pytest.raises(TypeError, match=re.escape(named)):
        Tensor(data)


def test_attributes():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], label="x")
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.dtype == np.float32
    assert t.label == "x"
    assert t.requires_grad is False
    assert t.grad is None
    assert t.is_parameter is False
    assert t.op == "" and t.parents == () and t.local_grads == ()
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)
    assert t.numpy() is t.data
    assert Tensor([[7.0]]).item() == 7.0
    assert isinstance(Tensor(2.0).item(), float)
    assert Tensor(1.0, requires_grad=True).requires_grad is True
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))


def test_tensor_is_exported():
    assert autograd.Tensor is Tensor
    assert "Tensor" in autograd.__all__


# --- gradients of every op, against central differences ---

UNARY_CASES = {
    "neg": (lambda x: -x, away_from_zero((3, 4))),
    "exp": (lambda x: x.exp(), away_from_zero((3, 4))),
    "log": (lambda x: x.log(), positive((3, 4))),
    "relu": (lambda x: x.relu(), away_from_zero((3, 4))),
    "tanh": (lambda x: x.tanh(), away_from_zero((3, 4))),
    "sigmoid": (lambda x: x.sigmoid(), away_from_zero((3, 4)) * 3),
    "pow 2": (lambda x: x**2, away_from_zero((3, 4))),
    "pow 3 integer on negatives": (lambda x: x**3, away_from_zero((3, 4))),
    "pow 0.5": (lambda x: x**0.5, positive((3, 4))),
    "pow -1.5": (lambda x: x**-1.5, positive((3, 4))),
    "number ** x": (lambda x: 2.0**x, away_from_zero((3, 4))),
    "number / x": (lambda x: 3.0 / x, away_from_zero((3, 4))),
    "x / number": (lambda x: x / 3.0, away_from_zero((3, 4))),
    "number - x": (lambda x: 1.0 - x, away_from_zero((3, 4))),
    "x - array": (lambda x: x - np.arange(4.0), away_from_zero((3, 4))),
    "array * x": (lambda x: np.arange(4.0) * x, away_from_zero((3, 4))),
    "array + x": (lambda x: np.ones((2, 1, 1)) + x, away_from_zero((3, 4))),
    "array ** x": (lambda x: np.full((3, 1), 1.5) ** x, away_from_zero((3, 4))),
    "sum": (lambda x: x.sum(), away_from_zero((2, 3, 4))),
    "sum axis 0": (lambda x: x.sum(axis=0), away_from_zero((2, 3, 4))),
    "sum axis -1 keepdims": (lambda x: x.sum(axis=-1, keepdims=True), away_from_zero((2, 3, 4))),
    "sum axes (0, 2)": (lambda x: x.sum(axis=(0, 2)), away_from_zero((2, 3, 4))),
    "sum axes (0, 2) keepdims": (lambda x: x.sum(axis=(0, 2), keepdims=True), away_from_zero((2, 3, 4))),
    "mean": (lambda x: x.mean(), away_from_zero((2, 3, 4))),
    "mean axis 1": (lambda x: x.mean(axis=1), away_from_zero((2, 3, 4))),
    "mean axes (1, 2) keepdims": (lambda x: x.mean(axis=(1, 2), keepdims=True), away_from_zero((2, 3, 4))),
    "max": (lambda x: x.max(), distinct((2, 3, 4))),
    "max axis 1": (lambda x: x.max(axis=1), distinct((2, 3, 4))),
    "max axis -1 keepdims": (lambda x: x.max(axis=-1, keepdims=True), distinct((2, 3, 4))),
    "max axes (0, 2)": (lambda x: x.max(axis=(0, 2)), distinct((2, 3, 4))),
    "max axes (0, 2) keepdims": (lambda x: x.max(axis=(2, 0), keepdims=True), distinct((2, 3, 4))),
    "reshape": (lambda x: x.reshape(4, 6), away_from_zero((2, 3, 4))),
    "reshape tuple -1": (lambda x: x.reshape((-1, 2)), away_from_zero((2, 3, 4))),
    "transpose": (lambda x: x.transpose(), away_from_zero((2, 3, 4))),
    "transpose axes": (lambda x: x.transpose(1, 2, 0), away_from_zero((2, 3, 4))),
    "transpose negative axes tuple": (lambda x: x.transpose((-1, 0, 1)), away_from_zero((2, 3, 4))),
    ".T": (lambda x: x.T * np.arange(3.0).reshape(1, 3), away_from_zero((3, 4))),
    "getitem int": (lambda x: x[1], away_from_zero((3, 4))),
    "getitem slice": (lambda x: x[::2, 1:3], away_from_zero((3, 4))),
    "getitem ellipsis none": (lambda x: x[..., None, 2], away_from_zero((3, 4))),
    "getitem repeated ints": (lambda x: x[[0, 2, 0, 0]], away_from_zero((3, 4))),
    "getitem pairs": (lambda x: x[np.arange(3), np.array([1, 1, 3])], away_from_zero((3, 4))),
    "getitem slice and array": (lambda x: x[:, [3, 0, 3]], away_from_zero((3, 4))),
    "getitem mask": (lambda x: x[x.data > 0], away_from_zero((3, 4))),
    "softmax": (lambda x: x.softmax(), away_from_zero((3, 4))),
    "softmax axis 0": (lambda x: x.softmax(axis=0), away_from_zero((3, 4))),
    "log_softmax": (lambda x: x.log_softmax(), away_from_zero((3, 4))),
    "log_softmax axis 0": (lambda x: x.log_softmax(axis=0), away_from_zero((3, 4))),
    "chain": (lambda x: ((x * 2).tanh().exp() + 1).log().sigmoid().sum(axis=1).relu(), away_from_zero((3, 4))),
}


@pytest.mark.parametrize("case", list(UNARY_CASES))
def test_unary_gradient_matches_central_differences(case):
    f, x = UNARY_CASES[case]
    check_grads(f, x)


BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((5,), (2, 5)),
    ((2, 5), (5,)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((4, 1, 3), (2, 1)),
]


@pytest.mark.parametrize("op", list(BINARY_OPS))
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_SHAPES)
def test_binary_gradient_with_broadcasting(op, shape_a, shape_b):
    a = positive(shape_a, seed=4) if op == "**" else away_from_zero(shape_a, seed=4)
    b = away_from_zero(shape_b, seed=5)
    out = check_grads(BINARY_OPS[op], a, b)
    assert out.shape == np.broadcast_shapes(shape_a, shape_b)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    op=st.sampled_from(["+", "-", "*", "/"]),
    seed=st.integers(0, 2**16),
)
def test_binary_gradient_for_any_broadcastable_shapes(shapes, op, seed):
    shape_a, shape_b = shapes.input_shapes
    check_grads(BINARY_OPS[op], away_from_zero(shape_a, seed), away_from_zero(shape_b, seed + 1), seed=seed)


def test_the_same_tensor_on_both_sides():
    x = away_from_zero((3,))
    check_grads(lambda t: t * t + t / (t * t), x)
    check_grads(lambda t: t @ t, x)


def test_tensor_exponent_gradient():
    check_grads(lambda a, b: a**b, positive((3, 1)), away_from_zero((1, 4)))


MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (5, 3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((2, 1, 2, 3), (4, 3, 2)),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), MATMUL_SHAPES)
def test_matmul_gradient(shape_a, shape_b):
    out = check_grads(lambda a, b: a @ b, away_from_zero(shape_a, 6), away_from_zero(shape_b, 7))
    assert out.shape == np.matmul(np.ones(shape_a), np.ones(shape_b)).shape


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3))
def test_matmul_gradient_for_any_shapes(shapes):
    shape_a, shape_b = shapes.input_shapes
    check_grads(lambda a, b: a @ b, away_from_zero(shape_a, 8), away_from_zero(shape_b, 9))


def test_matmul_with_a_constant_array_on_either_side():
    w = away_from_zero((3, 4), 10)
    check_grads(lambda x: x @ w, away_from_zero((2, 3)))
    check_grads(lambda x: w @ x, away_from_zero((4, 2)))
    x = Tensor(np.ones((4, 2)), requires_grad=True)
    assert (w @ x).parents == (x,)


def test_matmul_of_a_sum_gradient_broadcast_view():
    """sum() hands back a zero-stride view; matmul's backward must still be right."""
    check_grads(lambda a, b: (a @ b).sum(axis=0, keepdims=True) * 1.0, away_from_zero((4, 3)), away_from_zero((3, 5)))
    a = Tensor(away_from_zero((4, 3)), requires_grad=True)
    b = away_from_zero((3, 5))
    (a @ b).sum().backward()
    np.testing.assert_allclose(a.grad, np.ones((4, 5)) @ b.T)


# --- specific values: max, getitem, softmax, reductions ---


def test_max_sends_the_gradient_to_the_first_arg_max():
    x = Tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    y = x.max()
    assert y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_gradient_given_to_backward_is_copied_not_kept(dtype):
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 1.0
    z = y + 0.0  # a pass-through node: its gradient is the one given
    given = np.array([1.0, 2.0], dtype=dtype)
    z.backward(given)
    given[:] = 9.0
    for node in (z, y, x):
        np.testing.assert_array_equal(node.grad, [1.0, 2.0])


def test_max_along_an_axis_with_ties():
    data = np.array([[1.0, 5.0, 5.0], [7.0, 7.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    x.max(axis=1).backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(x.grad, [[0.0, 10.0, 0.0], [20.0, 0.0, 0.0]])
    x = Tensor(data, requires_grad=True)
    y = x.max(axis=0, keepdims=True)
    assert y.shape == (1, 3)
    y.backward(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(x.grad, [[0.0, 0.0, 3.0], [1.0, 2.0, 0.0]])


def test_max_over_several_axes_with_a_tie():
    data = np.zeros((2, 2, 3))
    data[1, 0, 0] = data[1, 1, 0] = 4.0
    x = Tensor(data, requires_grad=True)
    x.max(axis=(1, 0)).backward(np.array([5.0, 6.0, 7.0]))
    expected = np.zeros((2, 2, 3))
    expected[1, 0, 0] = 5.0
    expected[0, 0, 1] = 6.0
    expected[0, 0, 2] = 7.0
    np.testing.assert_array_equal(x.grad, expected)


def test_getitem_with_repeated_indices_accumulates():
    x = Tensor([10.0, 20.0, 30.0, 40.0], requires_grad=True)
    y = x[[0, 0, 3, 0, 1]]
    np.testing.assert_array_equal(y.data, [10.0, 10.0, 40.0, 10.0, 20.0])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(x.grad, [7.0, 5.0, 0.0, 3.0])


def test_getitem_picks_one_class_per_row_as_in_a_cross_entropy():
    logits = Tensor(np.zeros((3, 4)), requires_grad=True)
    picked = logits[np.arange(3), np.array([2, 2, 0])]
    assert picked.shape == (3,)
    picked.sum().backward()
    np.testing.assert_array_equal(logits.grad, [[0, 0, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0]])


def test_softmax_and_log_softmax_against_hand_computed_values():
    x = Tensor([[0.0, math.log(3.0)], [1.0, 1.0]], dtype=np.float64)
    np.testing.assert_allclose(x.softmax().data, [[0.25, 0.75], [0.5, 0.5]], rtol=1e-12)
    np.testing.assert_allclose(
        x.log_softmax().data, [[math.log(0.25), math.log(0.75)], [math.log(0.5)] * 2], rtol=1e-12
    )
    column = Tensor([[0.0], [math.log(3.0)]], dtype=np.float64)
    np.testing.assert_allclose(column.softmax(axis=0).data, [[0.25], [0.75]], rtol=1e-12)
    np.testing.assert_allclose(column.log_softmax(axis=0).data, [[math.log(0.25)], [math.log(0.75)]], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_survive_extreme_logits(dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in ("softmax", "log_softmax"):
            x = Tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True, dtype=dtype)
            y = getattr(x, method)()
            assert np.all(np.isfinite(y.data)), method
            y.backward(np.ones((2, 3)))
            assert np.all(np.isfinite(x.grad)), method
        np.testing.assert_allclose(Tensor([1e4, -1e4], dtype=dtype).softmax().data, [1.0, 0.0])
        np.testing.assert_allclose(Tensor([1e4, -1e4], dtype=dtype).log_softmax().data, [0.0, -2e4])


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.floats(-1e4, 1e4)),
    st.floats(-100, 100),
)
def test_softmax_properties(logits, shift):
    s = Tensor(logits).softmax()
    np.testing.assert_allclose(s.data.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Tensor(logits + shift).softmax().data, s.data, atol=1e-9)
    log_s = Tensor(logits).log_softmax()
    assert np.all(np.isfinite(log_s.data)) and np.all(log_s.data <= 0)
    np.testing.assert_allclose(np.exp(log_s.data), s.data, atol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_and_mean_match_numpy(axis, keepdims):
    data = np.arange(12.0).reshape(3, 4)
    for method in ("sum", "mean"):
        got = getattr(Tensor(data), method)(axis=axis, keepdims=keepdims)
        expected = getattr(data, method)(axis=axis, keepdims=keepdims)
        assert got.shape == np.shape(expected)
        np.testing.assert_allclose(got.data, expected)


def test_mean_gradient_is_one_over_the_count():
    x = Tensor(np.ones((2, 5)), requires_grad=True)
    x.mean(axis=1).backward(np.array([1.0, 2.0]))
    np.testing.assert_allclose(x.grad, [[0.2] * 5, [0.4] * 5])


def test_reshape_and_transpose_shapes():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.reshape(6, 4).shape == (6, 4)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.transpose().shape == (4, 3, 2)
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)
    assert x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose(2, 0, 1).data, x.data.transpose(2, 0, 1))


def test_relu_gradient_at_zero_is_zero():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_sigmoid_is_stable_for_large_inputs():
    for dtype in (np.float32, np.float64):
        with warnings.catch_warnings(), np.errstate(all="raise"):
            warnings.simplefilter("error")
            x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True, dtype=dtype)
            y = x.sigmoid()
            y.backward(np.ones(3))
        np.testing.assert_array_equal(y.data, [0.0, 0.5, 1.0])
        np.testing.assert_array_equal(x.grad, [0.0, 0.25, 0.0])
        assert y.dtype == dtype
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = Tensor([-80.0], dtype=np.float64).sigmoid().item()
    assert small == pytest.approx(math.exp(-80.0), rel=1e-12)


# --- dtypes through forward and backward ---


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "rmsprop", "adam"])
def test_float32_stays_float32_end_to_end(optimizer):
    """Every op, a model's forward, loss and backward, and each optimizer's updates: a float64 number
    anywhere (a constant, a local derivative, an optimizer's state) would turn float32 into float64."""
    from chainrule import nn

    rng = np.random.default_rng(11)
    x = Tensor(rng.standard_normal((8, 5)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((5, 4)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    h = (x @ w + b).relu() * np.float64(0.5) + np.ones(4) / 3.0 - 1
    h = h.tanh() + h.sigmoid() ** 2 + (h / np.full((8, 4), 3.0)).exp() + (h * h + 1.0).log()
    h = h.softmax() + h.log_softmax(axis=0) + h.max(axis=1, keepdims=True) - h.mean(axis=0)
    h = 2.0 ** h.reshape(4, 8).T[np.arange(8), np.array([0, 1, 2, 3, 0, 1, 2, 3])]
    loss = -(h.sum() / 8)
    for node in autograd.topological_order(loss):
        assert node.dtype == np.float32, node.op
    grads = autograd.backpropagate(loss, np.ones((), np.float32))
    for node, grad in grads.items():
        assert grad.dtype == np.float32, node.op
    loss.backward()
    for leaf in (x, w, b):
        assert leaf.grad.dtype == np.float32

    model = nn.Sequential(nn.Linear(5, 6, activation="relu", seed=0), nn.Linear(6, 3, seed=1), nn.Tanh())
    settings = {"weight_decay": 0.1} if optimizer in ("sgd", "momentum") else {}
    step = nn.optim.make_optimizer(optimizer, model.parameters(), lr=np.float64(0.01), decay=0.5, **settings)
    for _ in range(3):
        out = model(rng.standard_normal((7, 5)))  # float64 inputs are cast to the model's dtype
        loss = nn.losses.cross_entropy(out, [0, 1, 2, 0, 1, 2, 0])
        assert out.dtype == loss.dtype == np.float32
        step.zero_grad()
        loss.backward()
        step.step()
    for name, param in model.named_parameters():
        assert param.data.dtype == param.grad.dtype == np.float32, name
        same_layout = param.data.flags.c_contiguous == param.grad.flags.c_contiguous
        assert same_layout and param.data.flags.f_contiguous == param.grad.flags.f_contiguous, name  # no mixing
    assert nn.predict(model, rng.standard_normal((2, 5))).dtype == np.float32


def test_mixed_dtypes_promote_forward_and_cast_back_in_backward():
    a = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    b = Tensor(np.ones(3, np.float64), requires_grad=True)
    y = a * b + a @ np.ones((3, 3))
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32
    assert b.grad.dtype == np.float64
    np.testing.assert_allclose(b.grad, [2.0, 2.0, 2.0])
    h = a.exp()
    grads = autograd.backpropagate((h * b).sum(), np.ones((), np.float64))
    assert grads[h].dtype == np.float32
    assert grads[b].dtype == np.float64


def test_constants_are_cast_to_the_tensor_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for y in (x * np.float64(2.0), np.float64(2.0) * x, x + np.ones(2), np.ones(2) - x, x / np.array(3.0)):
        assert y.dtype == np.float32
        assert y.parents == (x,)


# --- errors ---


def test_matmul_shape_error_names_both_shapes_and_the_op():
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=re.escape("op '@': shapes (3, 4) and (5, 2) are not aligned (4 != 5)")):
        a @ b
    with pytest.raises(ValueError, match=re.escape("op '@': shapes (3,) and (2, 3)")):
        Tensor(np.ones(3)) @ np.ones((2, 3))
    with pytest.raises(ValueError, match=re.escape("(2, 3, 4) and (5, 4, 2)")):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((5, 4, 2)))
    with pytest.raises(ValueError, match="op '@'"):
        Tensor(2.0) @ Tensor(np.ones(2))


@pytest.mark.parametrize("op", list(BINARY_OPS))
def test_broadcast_error_names_both_shapes_and_the_op(op):
    expected = f"op '{op}': shapes (3,) and (4,)"
    with pytest.raises(ValueError, match=re.escape(expected)):
        BINARY_OPS[op](Tensor(np.ones(3)), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match=re.escape(expected)):
        BINARY_OPS[op](Tensor(np.ones(3)), np.ones(4))


def test_reshape_and_axis_errors_name_the_op():
    with pytest.raises(ValueError, match=re.escape("op 'reshape': cannot reshape shape (2, 3)")):
        Tensor(np.ones((2, 3))).reshape(4)
    with pytest.raises(ValueError, match="op 'sum'.*axis 2"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="op 'max'.*repeated"):
        Tensor(np.ones((2, 3))).max(axis=(0, -2))


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = Tensor(np.ones((2, 3)), requires_grad=True) * 2
    with pytest.raises(ValueError, match=re.escape("shape (2, 3)")):
        y.backward()


def test_backward_gradient_must_match_the_shape():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match=re.escape("(3, 2)") + ".*" + re.escape("(2, 3)")):
        y.backward(np.ones((3, 2)))
    y.backward(Tensor(np.full((2, 3), 0.5)))
    np.testing.assert_array_equal(x.grad, np.ones((2, 3)))


def test_backward_on_a_single_entry_tensor_needs_no_gradient():
    x = Tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[6.0]])


def test_backward_on_a_tensor_that_does_not_require_grad_is_an_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (Tensor(2.0) * 3).backward()


def test_log_of_non_positive_entries_names_the_op_and_the_smallest():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"'log'.*-2\.0"):
            Tensor([1.0, -2.0, 0.0, -1.0], requires_grad=True).log()
        with pytest.raises(ValueError, match=r"'log'.*0\.0"):
            Tensor([[1.0, 0.0]]).log()


def test_pow_of_a_negative_base_to_a_non_integer_power_is_an_error():
    with pytest.raises(ValueError, match=r"'\*\*'.*-2\.0.*0\.5"):
        Tensor([4.0, -2.0]) ** 0.5
    np.testing.assert_array_equal((Tensor([-2.0]) ** 3).data, [-8.0])


def test_exponent_gradient_needs_a_positive_base():
    base = Tensor([-2.0, 3.0])
    exponent = Tensor([2.0, 2.0], requires_grad=True)
    y = base**exponent
    with pytest.raises(ValueError, match=r"positive base.*\n\(in the backward pass of op '\*\*'\)"):
        y.sum().backward()
    x = Tensor([-2.0, 3.0], requires_grad=True)
    (x ** Tensor([2.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [-4.0, 6.0])


def test_bad_constants_are_type_errors():
    x = Tensor([1.0])
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError, match="complex"):
        x * np.array([1j])
    for mixed in (lambda: x + Value(1.0), lambda: Value(1.0) * x):
        with pytest.raises(TypeError, match=r"op '[+*]': a Tensor and a Value do not mix \(each engine has its own"):
            mixed()


# --- recording and accumulation ---


def test_no_grad_records_nothing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with autograd.no_grad():
        y = (x * 2).exp().sum()
    assert y.parents == () and y.op == "" and y.requires_grad is False
    z = x * 2
    assert z.parents == (x,) and z.requires_grad is True


@pytest.mark.parametrize("view", [lambda w: w.T, lambda w: w.reshape(4), lambda w: w[0], lambda w: w[:, 1:]])
def test_a_view_of_a_parameter_made_under_no_grad_keeps_the_numbers_it_was_made_from(view):
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), is_parameter=True)
    with autograd.no_grad():
        frozen = view(w)
    before = frozen.data.copy()
    x = Tensor(np.ones(frozen.shape), requires_grad=True)
    y = (x * frozen).sum()  # built with w as it is now: dy/dx = those numbers
    w.grad = np.ones_like(w.data)
    nn.SGD([w], lr=1.0).step()  # in place, as every optimizer step
    y.backward()
    np.testing.assert_array_equal(x.grad, before)
    np.testing.assert_array_equal(frozen.data, before)
    with autograd.no_grad():
        plain = Tensor(np.arange(4.0)).reshape(2, 2)  # a view of what takes no gradient stays a view
    assert plain.data.base is not None


def test_a_no_grad_view_of_a_recorded_view_of_a_parameter_keeps_its_numbers_too():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), is_parameter=True, dtype="float64")
    x = Tensor(np.array([[1.0, 1.0]]), requires_grad=True, dtype="float64")
    transposed = w.T  # recorded: a view of w's array
    with autograd.no_grad():
        chained = transposed.reshape(2, 2)
    loss = (x @ chained).sum()
    w.grad = np.ones_like(w.data)
    nn.SGD([w], lr=1.0).step()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [[4.0, 6.0]])  # the row sums of wᵀ before the step


def test_inputs_without_requires_grad_record_nothing_and_get_no_grad():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    c = a * b
    assert c.parents == () and c.requires_grad is False
    w = Tensor([[1.0], [2.0]], requires_grad=True)
    x = Tensor([[5.0, 6.0]])
    y = x @ w
    assert y.parents == (x, w) and y.requires_grad
    grads = autograd.backpropagate(y.sum(), np.ones((), np.float32))
    assert x not in grads
    y.sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad, [[5.0], [6.0]])


def test_leaf_grads_accumulate_and_interior_nodes_keep_the_latest_pass():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    loss = y.sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    loss.backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    np.testing.assert_array_equal(y.grad, [1.0, 1.0])
    assert loss.grad == 1.0


def test_leaf_grads_never_share_memory():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad += 100
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    seed = np.array([1.0, 1.0], np.float32)
    c = Tensor([0.0, 0.0], requires_grad=True)
    c.backward(seed)
    c.grad += 1
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_tensor_and_value_share_the_graph_walk(monkeypatch):
    walked = []
    walk = graph_module.topological_order

    def spy(root, *reader):
        walked.append(root)
        return walk(root, *reader)

    for module in (graph_module, tensor_module, value_module):
        monkeypatch.setattr(module, "topological_order", spy)
    x = Tensor([1.0, 2.0], requires_grad=True, label="x")
    w = Tensor([3.0, 4.0], requires_grad=True, label="w")
    h = x * w
    loss = h.sum()
    loss.backward()
    scalar = Value(2.0) * 3.0
    scalar.backward()
    with autograd.detect_anomaly():
        loss.backward()
    assert walked == [loss, scalar, loss]
    order = autograd.topological_order(loss)
    assert order == [x, w, h, loss]
    autograd.zero_grad(loss)
    assert x.grad is None and w.grad is None


def _graph_with_shared_nodes(dtype):
    """A loss whose leaves and interior nodes feed several ops, with fused ops (fresh gradients) among them."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 4)), dtype=dtype, label="x")
    w = Tensor(rng.standard_normal((3, 4)), dtype=dtype, requires_grad=True, label="w")
    b = Tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True, label="b")
    scale = Tensor(rng.standard_normal(3), dtype=dtype, requires_grad=True, label="scale")
    w_out = Tensor(rng.standard_normal((3, 3)), dtype=dtype, requires_grad=True, label="w_out")
    z = Tensor.apply(tensor_ops.Linear(tensor_ops.Tanh()), (x, w, b), x.data, w.data, b.data)
    mixed = z * scale + z.exp() * b + w.sum()  # z feeds two ops; b and w feed the fused op and others
    logits = Tensor.apply(tensor_ops.Linear(), (mixed, w_out), mixed.data, w_out.data)  # w_out: this op's alone
    loss = nn.losses.cross_entropy(logits, np.array([0, 2, 1, 1, 0])) + (scale * scale).sum()
    return loss, (w, b, scale, w_out)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_hot_path_gives_the_general_walks_gradients(dtype):
    fast_loss, fast = _graph_with_shared_nodes(dtype)
    slow_loss, slow = _graph_with_shared_nodes(dtype)
    fast_loss.backward()
    with autograd.detect_anomaly():  # anomaly mode takes backpropagate, then accumulate_grad per node
        slow_loss.backward()
    for f, s in zip(fast, slow):
        np.testing.assert_array_equal(f.grad, s.grad, err_msg=f.label)
        assert f.grad.dtype == np.dtype(dtype)
    fast_nodes, slow_nodes = autograd.topological_order(fast_loss), autograd.topological_order(slow_loss)
    for f, s in zip(fast_nodes, slow_nodes):
        if f.parents:
            np.testing.assert_array_equal(f.grad, s.grad, err_msg=f.op)
    fast_loss.backward()  # a second pass adds to the leaves
    with autograd.detect_anomaly():
        slow_loss.backward()
    for f, s in zip(fast, slow):
        np.testing.assert_allclose(f.grad, s.grad, rtol=1e-6, err_msg=f.label)


def test_a_weight_keeps_the_gradient_array_its_op_made_and_adds_into_it():
    loss, (*_, w_out) = _graph_with_shared_nodes("float64")
    loss.backward()
    first = w_out.grad
    once = first.copy()
    loss.backward()
    assert w_out.grad is first  # the second pass adds into the array the first pass kept
    np.testing.assert_allclose(first, 2 * once)


class _ProductIgnoringNeeds(tensor_ops.Function):
    """A user's op whose vjp returns a gradient for every operand, needed or not."""

    __slots__ = ("a", "b")
    name = "product"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def vjp(self, grad, needs):
        return grad * self.b, grad * self.a


def test_a_leaf_that_needs_no_grad_gets_none_even_from_an_op_that_sends_one():
    for anomaly in (False, True):
        x = Tensor([1.0, 2.0], requires_grad=True)
        constant = Tensor([3.0, 4.0])
        y = Tensor.apply(_ProductIgnoringNeeds(), (x, constant), x.data, constant.data)
        with autograd.detect_anomaly() if anomaly else contextlib.nullcontext():
            y.sum().backward()
        np.testing.assert_array_equal(x.grad, [3.0, 4.0])
        assert constant.grad is None


def test_protocol_attributes():
    with autograd.scope("layer"):
        a = Tensor(np.ones((2, 3)), requires_grad=True)
        b = Tensor(np.full((3, 4), 2.0), requires_grad=True)
        product = a * 3.0
    assert a.scope == "layer" and product.scope == "layer"
    assert Tensor(1.0).scope == ""
    assert product.op == "*" and product.parents == (a,) and product.constant == 3.0
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    mul = a * c
    assert mul.op == "*" and mul.local_grads[0] is c.data and mul.local_grads[1] is a.data
    assert (a + c).local_grads == (1.0, 1.0)
    assert (a - c).local_grads == (1.0, -1.0)
    relu = Tensor([-1.0, 2.0], requires_grad=True).relu()
    np.testing.assert_array_equal(relu.local_grads[0], [0.0, 1.0])
    matmul = a @ b
    assert matmul.op == "@" and matmul.local_grads == ("g @ bᵀ", "aᵀ @ g")
    assert a.sum().local_grads == ("broadcast g",) and a.sum().op == "sum"
    assert a[0].local_grads == ("scatter g",) and a[0].op == "getitem"
    for node in (mul, matmul, a.exp(), a.max(), a.softmax(), a.reshape(6), a.T, -a, a**2, 2.0 / a):
        assert len(node.local_grads) == len(node.parents), node.op
        assert isinstance(node.op, str) and node.op
    assert a.is_parameter is False
    a.is_parameter = True
    assert a.is_parameter is True


def test_tensors_hash_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert a != b and a == a
    assert len({a, b}) == 2
    assert hash(a) == object.__hash__(a)


def test_higher_order_gradients_are_for_value_only():
    x = Tensor([1.0], requires_grad=True)
    y = x * x
    with pytest.raises(NotImplementedError, match="Value only"):
        y.vjp(np.ones(1, np.float32), create_graph=True)


def test_numpy_arrays_on_the_left_defer_to_tensor():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    for y in (np.ones(2) + x, np.ones((2, 2)) @ x, np.float64(2.0) * x, np.ones(2) ** x):
        assert isinstance(y, Tensor) and y.parents == (x,)


# --- anomaly mode ---


def test_anomaly_mode_catches_a_non_finite_forward():
    with autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match="op '\\*' produced a non-finite value in its forward pass"):
            Tensor([np.nan], requires_grad=True) * 2.0
        with pytest.raises(FloatingPointError, match="local derivative"):
            Tensor([0.0, 1.0], requires_grad=True) ** 0.5
        np.testing.assert_array_equal((Tensor([4.0], requires_grad=True) ** 0.5).data, [2.0])
    assert np.isnan((Tensor([np.nan], requires_grad=True) * 2.0).data).all()


def test_anomaly_mode_catches_a_non_finite_backward():
    x = Tensor([1.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = x * 1e20
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            expected = r"op '\*' produced a non-finite value in its backward pass; inputs: array\(\[1\.\]"
            with pytest.raises(FloatingPointError, match=expected):
                y.backward(np.array([1e20]))


def test_a_0d_tensor_refuses_len_and_iteration_but_holds_a_truth_value():
    scalar = Tensor(2.0)
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d Tensor: it holds a single number, read it with .item\(\)"):
        len(scalar)
    with pytest.raises(TypeError, match=r"iteration over a 0-d Tensor: it holds a single number"):
        iter(scalar)
    with pytest.raises(TypeError, match="iteration over a 0-d Tensor"):
        list(scalar)
    assert bool(scalar) and not bool(Tensor(0.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))


def test_iterating_a_tensor_gives_its_rows_in_the_graph():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True, dtype="float64")
    rows = list(x)
    assert len(x) == 3 and [r.shape for r in rows] == [(2,)] * 3
    (rows[0] * 2.0 + rows[2]).sum().backward()
    assert np.array_equal(x.grad, [[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]])


# --- edge cases found in review ---


def test_the_gradient_of_x_to_the_power_zero_is_zero_even_at_zero():
    for exponent in (0, np.array([0.0, 0.0, 1.0])):
        x = Tensor([0.0, 2.0, 0.0], dtype=np.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no 0 * inf on the way
            (x**exponent).sum().backward()
        expected = [0.0, 0.0, 1.0] if isinstance(exponent, np.ndarray) else [0.0, 0.0, 0.0]
        np.testing.assert_array_equal(x.grad, expected)
    x = Tensor([0.5, 2.0], dtype=np.float64, requires_grad=True)
    (x**3).sum().backward()
    np.testing.assert_allclose(x.grad, numerical_grads(lambda a: a**3, [x.data], 1.0)[0], rtol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Tensor([2.0]) * 1e39, "op '*': the constant 1e+39 overflows float32"),
        (lambda: 1e39 - Tensor([2.0]), "op '-': the constant 1e+39 overflows float32"),
        (lambda: Tensor([2.0]) / 10**39, "op '/': the constant 1e+39 overflows float32"),
        (lambda: Tensor([2.0]) + np.array([np.inf, -1e40]), "op '+': the constant -1e+40 overflows float32"),
    ],
)
def test_a_finite_constant_too_large_for_the_dtype_is_an_overflow_error(make, message):
    with pytest.raises(OverflowError, match=re.escape(message)):
        make()
    assert np.array_equal((Tensor([2.0]) + np.array([np.inf, 1.0])).data, [np.inf, 3.0])  # inf itself goes through


@pytest.mark.parametrize(
    "make",
    [
        lambda: Tensor([1e39]),
        lambda: Tensor(np.float64(1e39), dtype="float32"),
        lambda: Tensor(np.array([1.0, 1e39]), dtype="float32"),
        lambda: nn.predict(nn.MLP(2, [3, 1], seed=0, backend="numpy"), np.array([[1e39, 0.0]])),
    ],
)
def test_a_finite_number_too_large_for_float32_is_an_overflow_error_not_inf(make):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a cast either
        with pytest.raises(OverflowError, match=re.escape("Tensor(): the number 1e+39 overflows float32")):
            make()
        assert np.isnan(Tensor([np.nan, -np.inf]).data[0]) and Tensor(np.array([np.inf])).data[0] == np.inf
        assert Tensor(np.array([1e39]), dtype="float64").data[0] == 1e39


@pytest.mark.parametrize(
    "convert",
    [
        lambda a, b: a * [b],
        lambda a, b: Tensor([a, b]),
        lambda a, b: Tensor([a.sum(), b.sum()]),
        lambda a, b: np.dot(np.ones(2), b),
        lambda a, b: np.concatenate([a, b]),
        lambda a, b: np.asarray(b),
    ],
)
def test_a_tensor_that_requires_grad_is_never_silently_made_an_array(convert):
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match="a Tensor that requires grad is not converted to an ndarray, which would drop "
                                        "it from its graph: use Tensor ops"):
        convert(a, b)
    constant = Tensor([3.0, 4.0])  # no graph to drop: converts as an array does
    assert np.array_equal(np.asarray(constant), [3.0, 4.0]) and np.array_equal((a * [constant]).data, [[3.0, 8.0]])
    assert np.array_equal(np.asarray(autograd.Tensor.__array__(Tensor([1.0]), copy=True)), [1.0])


def test_a_ragged_constant_is_a_type_error_naming_the_op():
    with pytest.raises(TypeError, match="op '\\+' takes a rectangular constant, got a ragged list"):
        Tensor([1.0, 2.0]) + [[1, 2], [3]]


def test_backward_takes_a_python_int_gradient_beyond_int64_as_value_backward_does():
    x = Tensor(1.0, requires_grad=True, dtype="float64")
    (x * 3).backward(2**64)
    v = Value(1.0)
    (v * 3).backward(2**64)
    assert x.grad.item() == v.grad == 3 * 2.0**64


@pytest.mark.parametrize("gradient", [np.array([1 + 5j, 2]), ["1.5", "2"], [None, None]])
def test_backward_refuses_a_gradient_that_is_not_real_numbers(gradient):
    x = Tensor([1.0, 1.0], requires_grad=True)
    with pytest.raises(TypeError, match="backward\\(\\): gradient must hold real numbers, got an array of dtype"):
        (x * 1).backward(gradient)
    assert x.grad is None


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.array([2]), r"op 'cross_entropy': labels must be 4 integers \(one per row of logits\), got shape \(1,\)"),
        (np.array([[0], [1], [2], [1]]), r"labels must be 4 integers .* got shape \(4, 1\)"),
        (np.array([0.0, 1.0, 2.0, 1.0]), r"labels must be 4 integers .* of dtype float64"),
        (np.array([-1, 0, 1, 2]), r"cross_entropy: class targets must lie in \[0, 2\], got -1..2"),
        (np.array([0, 1, 3, 2]), r"cross_entropy: class targets must lie in \[0, 2\], got 0..3"),
    ],
)
def test_the_cross_entropy_op_checks_its_labels(labels, message):
    z = np.random.default_rng(0).standard_normal((4, 3))
    with pytest.raises(ValueError, match=message):
        Tensor.apply(tensor_ops.CrossEntropy(labels=labels), (Tensor(z),), z)


def test_the_cross_entropy_op_checks_the_shape_of_its_rows():
    z = np.zeros((4, 3))
    with pytest.raises(ValueError, match=re.escape("op 'cross_entropy': target rows have shape (3, 3), logits (4, 3)")):
        Tensor.apply(tensor_ops.CrossEntropy(rows=np.eye(3)), (Tensor(z),), z)


def test_softmax_of_one_number_and_softmax_axis_errors():
    assert Tensor(1.5).softmax().item() == 1.0 and Tensor(1.5).log_softmax().item() == 0.0
    for method in ("softmax", "log_softmax"):
        with pytest.raises(ValueError, match=f"op '{method}': axis 2 is out of range for a tensor with 2 dimensions"):
            getattr(Tensor(np.zeros((2, 3))), method)(axis=2)
    x = Tensor(np.array([[1.0, 2.0], [0.5, -1.0]]), dtype=np.float64, requires_grad=True)
    (x.softmax(axis=-2) * np.array([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    s = np.exp(x.data) / np.exp(x.data).sum(axis=0)
    weights = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(x.grad, s * (weights - (weights * s).sum(axis=0)), rtol=1e-12)


@pytest.mark.parametrize("axis", [1.0, "0", True, np.array([0])])
def test_an_axis_that_is_not_an_int_is_a_type_error(axis):
    with pytest.raises(TypeError, match="op 'sum': axis must be None, an int or a tuple of ints, got"):
        Tensor(np.ones((2, 3))).sum(axis=axis)


def test_a_mean_or_max_of_no_entries_is_refused_naming_the_op():
    with pytest.raises(ValueError, match=re.escape("op 'mean': the mean of no entries is undefined (shape (0,)")):
        Tensor(np.zeros(0)).mean()
    with pytest.raises(ValueError, match=re.escape("op 'mean': the mean of no entries is undefined (shape (3, 0)")):
        Tensor(np.zeros((3, 0))).mean(axis=1)
    with pytest.raises(ValueError, match=re.escape("op 'max': the largest of no entries is undefined (shape (0, 3)")):
        Tensor(np.zeros((0, 3))).max(axis=0)
    assert Tensor(np.zeros((0, 3))).mean(axis=1).shape == (0,)  # no mean is asked for
    assert Tensor(np.zeros((0, 3))).max(axis=1).shape == (0,)
    assert Tensor(np.zeros((2, 0))).softmax().shape == Tensor(np.zeros((2, 0))).log_softmax(axis=0).shape == (2, 0)


def test_float_of_a_tensor_that_requires_grad_is_refused_as_for_a_value():
    x = Tensor([2.0], requires_grad=True)
    with pytest.raises(TypeError, match=re.escape("a Tensor that requires grad is not converted to a float, which "
                                                  "would drop it from its graph: read the number with t.item()")):
        float((x * 3).sum())
    assert float(Tensor([2.0]).sum()) == 2.0 and (x * 3).sum().item() == 6.0


def test_a_big_endian_float64_array_keeps_float64():
    data = np.array([1 + 1e-10, 2.0], dtype=">f8")
    t = Tensor(data, requires_grad=True)
    assert t.dtype == np.float64 and t.data[0] - 1 == pytest.approx(1e-10, rel=1e-6)
    (t * t).sum().backward()
    assert t.grad.dtype == np.float64 and np.allclose(t.grad, 2 * data.astype(np.float64))
    assert Tensor(np.array([1.5], dtype=">f4")).dtype == np.float32


def test_max_along_an_axis_of_an_empty_batch_sends_no_gradient():
    t = Tensor(np.zeros((0, 3)), requires_grad=True)
    t.max(axis=1).sum().backward()
    assert t.grad.shape == (0, 3)


@pytest.mark.parametrize(
    "axes, shown",
    [([], r"\(\)"), ((0,), r"\(0,\)"), ((5, 0), r"\(5, 0\)"), ((0, 0), r"\(0, 0\)")],
)
def test_transpose_refuses_axes_that_are_no_permutation_naming_them_and_the_shape(axes, shown):
    with pytest.raises(ValueError, match=rf"op 'transpose': axes {shown} do not permute the 2 axes of shape \(2, 3\): "
                                         r"give each of 0\.\.1 once \(or -2\.\.-1\), or none to reverse them"):
        Tensor(np.ones((2, 3))).transpose(axes)
    with pytest.raises(TypeError, match=r"op 'transpose': axes must be ints, got \(0, 1\.0\)"):
        Tensor(np.ones((2, 3))).transpose((0, 1.0))
    assert Tensor(np.ones((2, 3))).transpose().shape == (3, 2)
    assert Tensor(np.ones((2, 3))).transpose((1, -2)).shape == (3, 2)
    assert Tensor(np.ones((2, 3, 4))).transpose((1, 0, 2)).shape == (3, 2, 4)


def test_an_explicit_gradient_too_large_for_the_tensor_dtype_is_refused():
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.raises(OverflowError, match=r"backward\(\): the gradient 1e\+39 overflows float32"):
        (x * 2).backward(np.array([1e39, 1.0]))


def test_tensor_refuses_a_masked_array_and_a_tensor_in_a_graph():
    masked = np.ma.array([1.0, 99.0, 3.0], mask=[0, 1, 0])
    with pytest.raises(TypeError, match=r"Tensor\(\)'s data cannot be a masked array with masked entries \(1 here\)"):
        Tensor(masked)
    with pytest.raises(TypeError, match=r"op '\+': the constant cannot be a masked array with masked entries"):
        Tensor(np.zeros(3)) + masked
    with pytest.raises(TypeError, match=r"backward\(\)'s gradient cannot be a masked array with masked entries"):
        (Tensor(np.zeros(3), requires_grad=True) * 2).backward(masked)
    with pytest.raises(TypeError, match=r"mse: the targets cannot be a masked array with masked entries"):
        nn.losses.mse(Tensor(np.zeros(3)), masked)
    with pytest.raises(TypeError, match=r"accuracy's outputs cannot be a masked array with masked entries"):
        nn.training.accuracy(masked.reshape(3, 1), [1, 0, 1])
    assert np.array_equal(Tensor(np.ma.array([1.0, 2.0])).data, [1.0, 2.0])  # nothing masked: its numbers
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Tensor\(\) of a Tensor that requires grad would cut it from its graph: use "
                                        r"the Tensor itself, or Tensor\(t\.data\.copy\(\)\) for a new leaf holding "
                                        r"its numbers \(Tensor\(t\.data\) would share the array, which an optimizer "
                                        r"step changes in place\)"):
        Tensor(x)
    assert np.array_equal(Tensor(Tensor([1.0, 2.0])).data, [1.0, 2.0])


@pytest.mark.parametrize(
    ("make", "kind", "op"),
    [
        (lambda x: x.reshape(np.array([[3, 1]])), TypeError, "reshape"),
        (lambda x: x[Tensor([0.0, 1.0])], IndexError, "getitem"),
    ],
)
def test_numpy_errors_in_a_forward_pass_name_the_op(make, kind, op):
    with pytest.raises(kind) as raised:
        make(Tensor([1.0, 2.0, 3.0], requires_grad=True))
    assert raised.value.__notes__ == [f"(in the forward pass of op {op!r})"]


@pytest.mark.parametrize("flag", ["requires_grad", "is_parameter"])
def test_tensor_flags_must_be_booleans(flag):
    with pytest.raises(TypeError, match=f"Tensor\\(\\) {flag} must be True or False, got 'no'"):
        Tensor(1.0, **{flag: "no"})


@pytest.mark.parametrize(
    ("make", "what"), [(lambda: Tensor(10**400), "Tensor()"), (lambda: Tensor(1.0) + 10**400, "op '+'")]
)
def test_a_tensor_names_an_int_too_large_for_a_float(make, what):
    with pytest.raises(OverflowError, match=f"{re.escape(what)} takes a number a float can hold"):
        make()


@pytest.mark.parametrize("reduce", ["sum", "mean", "max"])
def test_keepdims_must_be_a_bool(reduce):
    with pytest.raises(TypeError, match=f"op '{reduce}': keepdims must be True or False, got 'no'"):
        getattr(Tensor([1.0, 2.0]), reduce)(keepdims="no")


# --- arrays the caller keeps: what the backward pass reads is what the forward pass used ---


def _changed_after_forward(make, change):
    """The gradient of x when the array `make` uses is changed between forward and backward, and without."""
    grads = []
    for changing in (True, False):
        x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        array, out = make(x)
        if changing:
            change(array)
        out.backward()
        grads.append(x.grad)
    return grads


@pytest.mark.parametrize(
    ("make", "change"),
    [
        (lambda x: ((mask := np.array([1.0, 0.0, 1.0])), (x * mask).sum()), lambda a: a.__setitem__(slice(None), 7)),
        (lambda x: ((mask := np.arange(6.0)[::2]), (mask * x).sum()), lambda a: a.__setitem__(0, -5)),
        (lambda x: ((w := np.ones((3, 2))), (x @ w).sum()), lambda a: a.__setitem__(0, 9)),
        (lambda x: ((index := np.array([0, 0])), x[index].sum()), lambda a: a.__setitem__(slice(None), 2)),
        (lambda x: ((index := [0, 0]), x[index].sum()), lambda a: a.__setitem__(slice(None), [2, 2])),
        (lambda x: ((index := [0, 1]), x[(index,)].sum()), lambda a: a.append(2)),
        (lambda x: ((mask := np.array([True, False, True])), x[mask].sum()), lambda a: a.__setitem__(1, True)),
    ],
    ids=["constant", "constant view", "matmul constant", "index array", "index list", "index in tuple", "mask"],
)
def test_an_array_changed_after_the_forward_pass_does_not_move_the_gradient(make, change):
    changed, unchanged = _changed_after_forward(make, change)
    np.testing.assert_array_equal(changed, unchanged)


@pytest.mark.parametrize("targets", ["labels", "rows"])
def test_cross_entropy_targets_changed_after_the_forward_pass_do_not_move_the_gradient(targets):
    grads = []
    for changing in (True, False):
        z = Tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]], dtype="float64", requires_grad=True)
        target = np.array([0, 1]) if targets == "labels" else np.eye(3)[[0, 1]]
        loss = nn.losses.cross_entropy(z, target)
        if changing:
            target[...] = 2 if targets == "labels" else np.eye(3)[[2, 2]]
        loss.backward()
        grads.append(z.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
    expected = (np.exp([[2, 0, 0], [0, 2, 0]]) / (np.e**2 + 2) - np.eye(3)[[0, 1]]) / 2  # (softmax - onehot) / N
    np.testing.assert_allclose(grads[0], expected, rtol=1e-12)


def test_backpropagate_refuses_a_seed_not_of_the_roots_shape():
    x = Tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    for seed, shape in ((np.ones((2, 3)), r"\(2, 3\)"), (1.0, r"\(\)")):
        expected = rf"the seed, d\(something\)/d\(root\), must have the root's shape \(3,\), got shape {shape}"
        with pytest.raises(ValueError, match=expected):
            autograd.backpropagate(x * 2, seed)
    np.testing.assert_array_equal(autograd.backpropagate(x * 2, np.array([1.0, 0.0, 2.0]))[x], [2.0, 0.0, 4.0])
    v = Value(3.0)
    assert autograd.backpropagate(v * v, 1.0)[v] == 6.0
    with pytest.raises(ValueError, match=r"must have the root's shape \(\), got shape \(2,\)"):
        autograd.backpropagate(v * v, np.ones(2))


def test_in_is_refused_on_a_tensor():
    expected = r"'x in t' is not defined for a Tensor .* use \(t.data == x\).any\(\) to look for 2.0"
    with pytest.raises(TypeError, match=expected):
        2.0 in Tensor([2.0, 3.0])  # noqa: B015 - the comparison is the point


@pytest.mark.parametrize(
    ("reduce", "expected", "grad"),
    [
        (lambda t: np.sum(t), 15.0, np.ones((2, 3))),
        (lambda t: np.sum(t, axis=1, keepdims=True), [[3.0], [12.0]], np.ones((2, 3))),
        (lambda t: np.mean(t), 2.5, np.full((2, 3), 1 / 6)),
        (lambda t: np.max(t, axis=0), [3.0, 4.0, 5.0], [[0, 0, 0], [1, 1, 1]]),
        (lambda t: np.amax(t), 5.0, [[0, 0, 0], [0, 0, 1]]),
    ],
)
def test_numpys_reductions_of_a_tensor_stay_in_its_graph(reduce, expected, grad):
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = reduce(t)
    assert isinstance(out, Tensor) and out.parents == (t,)
    np.testing.assert_array_equal(out.data, expected)
    out.sum().backward()
    np.testing.assert_allclose(t.grad, grad, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "given"),
    [
        (lambda t: np.sum(t, dtype=np.float64), "dtype"),
        (lambda t: np.mean(t, out=np.zeros(())), "out"),
        (lambda t: np.max(t, out=np.zeros(())), "out"),
        (lambda t: t.sum(dtype="float32"), "dtype"),
    ],
)
def test_numpys_dtype_and_out_are_refused_by_tensor_reductions(call, given):
    with pytest.raises(TypeError, match=rf"Tensor\.(sum|mean|max)\(\) takes no {given}= \(its result is a new Tensor"):
        call(Tensor(np.ones((2, 3)), requires_grad=True))


@pytest.mark.parametrize(
    ("tensor_call", "numpy_call"),
    [
        (lambda t: t.transpose(None), lambda a: a.transpose(None)),
        (lambda t: t.transpose(np.array([1, 0, 2])), lambda a: a.transpose(np.array([1, 0, 2]))),
        (lambda t: t.reshape(np.array([4, 6])), lambda a: a.reshape(np.array([4, 6]))),
        (lambda t: t.reshape(np.array([-1])), lambda a: a.reshape(np.array([-1]))),
    ],
)
def test_shapes_and_axes_given_as_numpy_does(tensor_call, numpy_call):
    a = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(a, requires_grad=True)
    out = tensor_call(t)
    np.testing.assert_array_equal(out.data, numpy_call(a))
    weights = np.random.default_rng(0).normal(size=out.shape)
    (out * weights).sum().backward()
    expected = np.empty(a.size)
    expected[out.data.reshape(-1).astype(int)] = weights.reshape(-1)  # each entry's weight goes back where it came from
    np.testing.assert_array_equal(t.grad.reshape(-1), expected)


def test_softmax_of_numbers_far_apart_is_exact_not_an_overflow():
    t = Tensor([3e38, -3e38, 3e38], requires_grad=True)
    out = t.softmax()
    np.testing.assert_array_equal(out.data, [0.5, 0.0, 0.5])
    (out * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(t.grad, [-0.5, 0.0, 0.5])  # s * (g - sum(g * s))
    with pytest.raises(OverflowError, match="op 'log_softmax'"):  # its answer, -6e38, is beyond float32 indeed
        t.log_softmax()


def test_a_divisor_that_is_zero_only_in_float32_is_named():
    with pytest.raises(ZeroDivisionError, match=r"op '/' divides by zero: the divisor 1e-50 is 0 in float32"):
        Tensor([1.0, 2.0]) / 1e-50
    with pytest.raises(ZeroDivisionError, match=r"the divisor 1e-46 is 0 in float32"):
        Tensor([1.0, 2.0]) / np.array([1.0, 1e-46])  # float32's smallest is about 1.4e-45
    with pytest.raises(ZeroDivisionError, match=r"op '/' divides by zero \(the divisor has 1 zeros\)"):
        Tensor([1.0, 2.0]) / [2.0, 0.0]
    np.testing.assert_allclose((Tensor([1.0, 2.0], dtype="float64") / 1e-50).data, [1e50, 2e50])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: autograd.sum([t]), r"autograd.sum\(\) takes Values or numbers, got Tensor at position 0; for a "
         r"Tensor, t.sum\(\) is the sum in its graph"),
        (lambda t: autograd.grad(t.sum(), t), r"autograd.grad\(\) needs a Value output, got Tensor; for a Tensor, "
         r"call out.backward\(\) and read each input's .grad"),
        (lambda t: autograd.grad(Value(1.0) * 2, [t]), r"inputs must be Values, got Tensor at position 0; for a "),
        (lambda t: autograd.gradcheck(lambda a: a, [t]), r"gradcheck: input 0 must be a Value or a real number, got "
         r"Tensor .*; gradcheck checks functions of Values"),
        (lambda t: autograd.gradcheck(lambda a: t, [1.0]), r"gradcheck: f must return a Value, got Tensor; gradcheck"),
    ],
)
def test_the_functions_of_values_say_what_to_do_with_a_tensor(call, message):
    with pytest.raises(TypeError, match=message):
        call(Tensor(np.ones(3), requires_grad=True))


def test_the_power_rule_for_the_base_matches_value_where_a_to_the_b_minus_1_alone_overflows():
    base = np.array([1e-310, 2.0, 0.0])
    t = Tensor(base, requires_grad=True)
    (t**0.001).sum().backward()
    for got, a in zip(t.grad, base):
        x = Value(float(a))
        (x**0.001).backward()
        assert got == pytest.approx(x.grad, rel=1e-14)  # 4.9e306 at 1e-310 (not inf), inf at 0
    assert t.grad[0] == pytest.approx(0.001 * 1e-310**0.001 / 1e-310, rel=1e-12)  # b·a^b/a: a^(b-1) overflows


@pytest.mark.parametrize("base", [np.inf, -np.inf, np.nan, 0.0, -2.0])
def test_the_gradient_of_a_power_zero_is_zero_at_any_base(base):
    t = Tensor(np.array([base]), requires_grad=True)
    (t**0).sum().backward()
    x = Value(base)
    (x**0).backward()
    assert t.grad.tolist() == [0.0] == [x.grad]


def test_the_base_gradient_of_an_infinite_base_to_a_tensor_power_zero_is_zero():
    t = Tensor(np.array([np.inf]), requires_grad=True)
    (t ** Tensor(np.array([0.0]), requires_grad=True)).sum().backward()
    assert t.grad.tolist() == [0.0]


def test_a_ragged_gradient_for_backward_is_a_type_error():
    with pytest.raises(TypeError, match=r"backward\(\): gradient must be a rectangular array of numbers, got a ragged "
                                        r"list"):
        (Tensor(np.ones((2, 3)), requires_grad=True) * 1).backward([[1, 2, 3], [4, 5]])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(np.longdouble("1e400")), r"Value\(\) takes a number a float can hold .*, got longdouble 1e\+4"),
        (lambda: Value(1.0) * np.longdouble("-1e400"), r"got longdouble -1e\+400"),
        (lambda: Value(1.0) * fractions.Fraction(10**400, 3), r"got a Fraction beyond it"),
        (lambda: Value(10**400), r"got an int of 401 digits"),
        (lambda: Tensor(np.longdouble("1e400")), r"Tensor\(\): the number 1e\+400 overflows float64"),
        (lambda: Value(np.array(np.longdouble("1e400"))), r"Value\(\) takes a number a float can hold .*, got longdo"),
        (lambda: (Value(1.0) * 2).backward(np.array(np.longdouble("1e400"))), r"backward\(\)'s gradient takes a"),
        (lambda: (Tensor(1.0, requires_grad=True) * 2).backward(10**400), r"backward\(\)'s gradient takes a num"),
    ],
)
def test_a_finite_number_beyond_a_float_is_refused_not_made_inf(make, message):
    with pytest.raises(OverflowError, match=message):
        make()


@pytest.mark.parametrize(
    ("grad", "kind", "message"),
    [(np.ones(5), ValueError, "Tensor.vjp: the gradient must have this Tensor's shape (3,), got (5,)"),
     (np.ones((2, 3)), ValueError, "the gradient must have this Tensor's shape (3,), got (2, 3)"),
     (np.array(["a", "b", "c"]), TypeError, "Tensor.vjp: the gradient must hold real numbers, got <U1")],
)
def test_vjp_refuses_a_gradient_that_is_not_one_for_its_tensor(grad, kind, message):
    x = Tensor(np.arange(3.0), requires_grad=True)
    with pytest.raises(kind, match=re.escape(message)):
        x.exp().vjp(grad)


def test_vjp_gives_each_parent_a_gradient_in_its_own_dtype_and_backpropagate_takes_a_number_seed():
    x = Tensor(np.arange(3.0), requires_grad=True)
    for grad in (np.ones(3, np.float32), np.ones(3, int)):
        (result,) = x.exp().vjp(grad)
        assert result.dtype == np.float64
        np.testing.assert_allclose(result, np.exp(np.arange(3.0)))
    grads = autograd.backpropagate(x.sum() + 1, 1.0)
    np.testing.assert_array_equal(grads[x], [1.0, 1.0, 1.0])


def test_a_fraction_is_a_constant_as_a_float_is():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    half = fractions.Fraction(1, 2)
    for result in (x * half, half * x, x + half, half - x, x / half):
        expected = {"*": x.data * 0.5, "+": x.data + 0.5, "-": 0.5 - x.data, "/": x.data / 0.5}[result.op]
        np.testing.assert_array_equal(result.data, expected)
    with pytest.raises(OverflowError, match="the constant 1e\\+300 overflows float32"):
        Tensor([1.0]) * fractions.Fraction(10**300)


def test_backpropagate_and_topological_order_refuse_what_is_no_node_or_no_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for seed, shown in ((None, "NoneType None"), ("a", "str 'a'")):
        with pytest.raises(TypeError, match=f"the seed must be a real number, or an array of them, got {shown}"):
            autograd.backpropagate((x * 2).sum(), seed)
    node = r"takes a node of a graph \(a Value or Tensor\)"
    with pytest.raises(TypeError, match=rf"backpropagate\(\) {node} as the root, got int 3"):
        autograd.backpropagate(3, 1.0)
    with pytest.raises(TypeError, match=rf"topological_order\(\) {node}, got NoneType None"):
        autograd.topological_order(None)
    assert autograd.backpropagate((x * 2).sum(), np.float32(1))[x].tolist() == [2.0, 2.0]


class _BiasWithoutSum(tensor_ops.Function):
    """x + b whose vjp forgets to sum b's gradient over the broadcast axis."""

    __slots__ = ()
    name = "add_bias"

    def forward(self, x, b):
        return x + b

    def vjp(self, grad, needs):
        return grad, grad


class _ForgetsSecond(tensor_ops.Function):
    """a * b whose vjp gives a gradient for a only."""

    __slots__ = ("a", "b")
    name = "half_product"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def vjp(self, grad, needs):
        return (grad * self.b,)


class _NoneForNeeded(_ForgetsSecond):
    """a * b whose vjp sends None to b, which requires a gradient."""

    __slots__ = ()

    def vjp(self, grad, needs):
        return grad * self.b, None


@pytest.mark.parametrize("anomaly", [False, True])
def test_an_op_of_your_own_that_gives_a_gradient_of_the_wrong_shape_or_number_is_named(anomaly):
    context = autograd.detect_anomaly if anomaly else contextlib.nullcontext
    x = Tensor(np.ones((4, 3)), requires_grad=True)
    b = Tensor(np.zeros(3), requires_grad=True)
    wrong_shape = r"op 'add_bias' gave a gradient of shape \(4, 3\) for its input at position 1, of shape \(3,\)"
    with context(), pytest.raises(ValueError, match=wrong_shape):
        Tensor.apply(_BiasWithoutSum(), (x, b), x.data, b.data).sum().backward()
    assert b.grad is None
    with context(), pytest.raises(ValueError, match="op 'half_product' gave 1 gradients for its 2 inputs"):
        Tensor.apply(_ForgetsSecond(), (x, x * 2), x.data, x.data * 2).sum().backward()
    with context(), pytest.raises(
        ValueError, match=r"op 'half_product' gave no gradient \(None\) for its input at position 1, which requires one"
    ):
        Tensor.apply(_NoneForNeeded(), (x, b), x.data, b.data).sum().backward()
    with pytest.raises(ValueError, match="op 'half_product' gave 1 gradients for its 2 inputs"):
        autograd.backpropagate(Tensor.apply(_ForgetsSecond(), (x, b), x.data, b.data).sum(), np.float64(1))


def test_tensor_apply_refuses_parents_that_are_no_tuple_of_tensors():
    t = Tensor([1.0, 2.0], requires_grad=True)
    one_operand = r"op 'half_product' takes its Tensor operands as a tuple, got Tensor \(one operand t is \(t,\)\)"
    with pytest.raises(TypeError, match=one_operand):
        Tensor.apply(_ForgetsSecond(), t, t.data, t.data)
    with pytest.raises(TypeError, match="takes its Tensor operands as a tuple, got list"):
        Tensor.apply(_ForgetsSecond(), [t, t], t.data, t.data)
    with pytest.raises(TypeError, match="takes a tuple of Tensors as parents, got ndarray in it"):
        Tensor.apply(_ForgetsSecond(), (t, t.data), t.data, t.data)


def test_an_op_of_your_own_without_local_grads_is_drawn_and_checked_by_detect_anomaly():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    with autograd.detect_anomaly():
        y = Tensor.apply(_ProductIgnoringNeeds(), (a, b), a.data, b.data)
        y.sum().backward()
    assert y.local_grads == ()
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])
    dot = viz.draw_dot(y.sum()).source
    op_node = re.search(r"(n\d+op) \[label=<product>", dot).group(1)
    unlabelled_edges_in = [line for line in dot.splitlines() if line.strip().endswith(f"-> {op_node}")]
    assert len(unlabelled_edges_in) == 2


def test_a_list_holding_an_int_beyond_int64_is_read_as_the_number_it_is():
    assert Tensor([2**70]).data.tolist() == [float(np.float32(2.0**70))]
    assert Tensor([[2**70, 1.5], [1, 2]], dtype="float64").data.tolist() == [[2.0**70, 1.5], [1.0, 2.0]]
    with pytest.raises(OverflowError, match="takes a number a float can hold .* got an int of 603 digits"):
        Tensor([2**2000])
