"""No silent wrong numbers, one behaviour on both backends: NaN goes through every op, overflow and
division by zero raise an error naming the op, and nothing warns from inside the library."""

import math
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from chainrule import autograd, nn
from chainrule.autograd import Tensor, Value
from chainrule.autograd.scalar_ops import DOT

BOTH = {
    "+": lambda x: x + 1.0,
    "-": lambda x: 1.0 - x,
    "*": lambda x: x * 2.0,
    "/": lambda x: x / 2.0,
    "**": lambda x: x**2,
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "relu": lambda x: x.relu(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
}


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("name", sorted(BOTH))
def test_nan_goes_through_every_op_on_both_backends(name):
    op = BOTH[name]
    assert math.isnan(op(Value(math.nan)).data)
    assert np.isnan(op(Tensor([math.nan], requires_grad=True)).data).all()
    assert np.isnan(op(Tensor([math.nan, 1.0])).data[0])


def test_nan_goes_through_the_scalar_only_ops():
    assert math.isnan(Value(math.nan).step().data)
    assert math.isnan(autograd.sum([Value(1.0), Value(math.nan)]).data)
    assert math.isnan(Value.apply(DOT, Value(2.0), Value(math.nan), Value(0.0)).data)
    assert math.isnan((Value(2.0) ** Value(math.nan)).data)


def test_a_scalar_network_fed_nan_gives_nan_not_a_plausible_number():
    model = nn.MLP(2, [4, 4, 1], seed=0)
    assert math.isnan(model([math.nan, 0.0]).data)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda k: k([1000.0]).exp(), OverflowError, "op 'exp' overflows"),
        (lambda k: k([1e200]) * k([1e200]), OverflowError, r"op '\*' overflows"),
        (lambda k: k([1e308]) + k([1e308]), OverflowError, r"op '\+' overflows"),
        (lambda k: k([3.0]) / k([0.0]), ZeroDivisionError, "op '/' divides"),
        (lambda k: 1.0 / k([0.0]), ZeroDivisionError, "op '/' divides"),
        (lambda k: k([0.0]) ** -1.0, ZeroDivisionError, r"op '\*\*' raises zero to the negative power -1\.0"),
    ],
)
def test_overflow_and_division_by_zero_raise_the_same_error_on_both_backends(make, error, message):
    with pytest.raises(error, match=message):
        make(lambda numbers: Value(numbers[0]))
    with pytest.raises(error, match=message):
        make(lambda numbers: Tensor(numbers, dtype="float64", requires_grad=True))


def test_float32_overflows_where_float64_does_not_and_says_so():
    with pytest.raises(OverflowError, match="op 'exp' overflows float32: the largest input is 100"):
        Tensor([100.0]).exp()
    assert np.isfinite(Tensor([100.0], dtype="float64").exp().data).all()


def test_cross_entropy_of_finite_logits_far_apart_is_their_finite_loss_and_an_infinite_one_is_refused():
    """z - max(z) is -inf for float32 logits 6e38 apart: its exp is 0, so the loss and gradient of label 0 are
    finite (0), as the op's own softmax says; label 1's loss, about 6e38, is not, and is refused."""
    for target in (np.array([0]), np.array([[1.0, 0.0]], dtype=np.float32)):
        z = Tensor(np.array([[3e38, -3e38]], dtype=np.float32), requires_grad=True)
        loss = nn.losses.cross_entropy(z, target)
        loss.backward()
        assert loss.item() == 0.0 and np.array_equal(z.grad, [[0.0, 0.0]])
    with pytest.raises(OverflowError) as error:
        nn.losses.cross_entropy(Tensor(np.array([[3e38, -3e38]], dtype=np.float32)), np.array([1]))
    assert str(error.value) == "op 'cross_entropy' overflows float32: the largest input is 3e+38"


def test_an_overflow_names_the_dtype_of_the_result():
    with pytest.raises(OverflowError) as error:
        Tensor(np.array([3e38], dtype=np.float32)) * Tensor(np.array([1.7e308]))
    assert str(error.value) == "op '*' overflows float64: the largest input is 1.7e+308"


def test_a_float64_gradient_too_large_for_a_float32_input_is_refused_not_made_inf():
    x = Tensor(np.array([1.5], dtype=np.float32), requires_grad=True)
    y = Tensor(np.array([1e300]), requires_grad=True)
    loss = (x * y).sum()  # computed in float64, where 1.5e300 is finite
    with pytest.raises(OverflowError, match=re.escape("a gradient of up to 1e+300 overflows the float32 of the "
                                                      "input it is for")):
        loss.backward()
    assert x.grad is None


def test_a_float64_gradient_too_large_for_a_float32_input_of_a_linear_layer_is_refused_not_made_inf():
    first, second = nn.Linear(1, 1, seed=0, dtype="float32"), nn.Linear(1, 1, seed=0, dtype="float64")
    second.weight.data[:] = 1e30
    out = second(first(np.ones((1, 1), np.float32)))  # the gradient into first's float32 output is 1e40 in float64
    with pytest.raises(OverflowError, match=re.escape("a gradient of up to 1e+40 overflows the float32 of the input")):
        out.backward(np.array([[1e10]]))
    assert first.weight.grad is None and first.bias.grad is None


def test_one_nan_in_a_gradient_does_not_let_another_entry_overflow_unseen():
    x = Tensor(np.array([1.0, 1.0], dtype=np.float32), requires_grad=True)
    k = Tensor(np.array([1e30, 1e30]))
    out = x * k  # float64
    with pytest.raises(OverflowError, match=re.escape("a gradient of up to 1e+40 overflows the float32")):
        out.backward(np.array([np.nan, 1e10]))
    assert x.grad is None
    out.backward(np.array([np.nan, 1.0]))  # a NaN alone goes through, as NaN inputs do
    assert np.isnan(x.grad[0]) and x.grad[1] == np.float32(1e30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_mean_whose_sum_overflows_but_which_fits_is_computed(dtype):
    largest = np.finfo(dtype).max
    x = Tensor(np.full(3, largest * 0.6, dtype=dtype), requires_grad=True)
    mean = x.mean()
    assert mean.item() == pytest.approx(float(largest) * 0.6, rel=1e-6)
    mean.backward()
    np.testing.assert_allclose(x.grad, np.full(3, 1 / 3), rtol=1e-6)
    columns = Tensor(np.array([[largest * 0.6, 1.0], [largest * 0.6, 3.0]], dtype=dtype)).mean(axis=0)
    np.testing.assert_allclose(columns.data, [largest * 0.6, 2.0], rtol=1e-6)
    assert np.isinf(Tensor(np.array([np.inf, 1.0], dtype=dtype)).mean().item())
    for count in (3, 10, 11):  # summed scaled, the rounding of count terms may pass the largest: kept where it lies
        assert Tensor(np.full(count, largest, dtype=dtype)).mean().item() == largest
    tiny = np.finfo(dtype).smallest_subnormal
    rows = Tensor(np.array([[tiny, tiny], [largest * 0.6, largest * 0.6]], dtype=dtype)).mean(axis=1)
    assert rows.data[0] == tiny  # each row's mean as on its own: not scaled because another row overflowed
    beside_inf = Tensor(np.array([[0.1, 0.2, 0.3], [np.inf, 0.0, 0.0]], dtype=dtype)).mean(axis=1)
    assert beside_inf.data[0] == Tensor(np.array([0.1, 0.2, 0.3], dtype=dtype)).mean().item()


def test_tensor_ops_leave_the_callers_numpy_error_state_as_it_was_in_every_thread():
    def ops_then_error_state(setting: str) -> dict:
        with np.errstate(all=setting):
            before = np.geterr()
            for _ in range(200):
                (Tensor([2.0], requires_grad=True) * 3.0).exp()
                with pytest.raises(OverflowError, match="op 'exp' overflows"):
                    Tensor([1000.0]).exp()
            assert np.geterr() == before
            return np.geterr()

    with ThreadPoolExecutor(max_workers=2) as pool:
        states = list(pool.map(ops_then_error_state, ["ignore", "warn", "ignore", "warn"]))
    assert [state["over"] for state in states] == ["ignore", "warn", "ignore", "warn"]


def test_inf_inputs_go_through_as_inf():
    assert (Value(math.inf) * 2.0).data == math.inf
    assert (Tensor([math.inf]) * 2.0).data[0] == math.inf
    assert Value(-math.inf).exp().data == 0.0 and Tensor([-math.inf]).exp().data[0] == 0.0


def test_a_value_is_never_silently_turned_into_a_float():
    with pytest.raises(TypeError, match=r"a Value is not converted to a float, which would drop its graph"):
        math.tanh(Value(1.0))
    with pytest.raises(TypeError, match="v.tanh\\(\\) rather than math.tanh\\(v\\)"):
        float(Value(1.0))
    assert f"{Value(1.0).tanh().data:.4f}" == f"{math.tanh(1.0):.4f}"


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_backward_on_something_built_under_no_grad_is_refused_on_both_backends(kind):
    x = Value(2.0) if kind == "Value" else Tensor([2.0], requires_grad=True)
    with autograd.no_grad():
        y = (x * 3.0).sum() if kind == "Tensor" else x * 3.0
    with pytest.raises(RuntimeError, match=rf"backward\(\) on a {kind} that does not require grad"):
        y.backward()
    assert (x.grad == 0.0) if kind == "Value" else x.grad is None
    assert y.requires_grad is False


@pytest.mark.parametrize("dtype", ["float32", np.float32])
def test_the_scalar_backend_refuses_a_dtype_it_would_ignore(dtype):
    with pytest.raises(ValueError, match="is for backend='numpy': the scalar backend computes in Python floats"):
        nn.MLP(2, [3, 1], dtype=dtype)
    with pytest.raises(ValueError, match="dtype must be one of float32, float64, got 'float16'"):
        nn.MLP(2, [3, 1], dtype="float16")  # no backend's
    assert nn.MLP(2, [3, 1], dtype="float64").backend == "scalar"
    with pytest.raises(ValueError, match="dtype must be one of float32, float64, got 'float16'"):
        nn.MLP(2, [3, 1], backend="numpy", dtype="float16")


@pytest.mark.parametrize("make, error, message", [
    (lambda: Tensor([np.nan, 800.0]).exp(), OverflowError, "op 'exp' overflows float32: the largest input is 800"),
    (lambda: Tensor([np.nan, 1e30]) * Tensor([1.0, 1e30]), OverflowError, "op '*' overflows float32"),
    (lambda: Tensor([np.inf, 1e30]) * 1e30, OverflowError, "op '*' overflows float32: the largest input is 1e+30"),
])
def test_an_elementwise_op_is_judged_entry_by_entry_as_values_are(make, error, message):
    """A NaN in one entry does not let another entry's overflow through (Value(800).exp() raises too)."""
    with pytest.raises(error, match=re.escape(message)):
        make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        passed = (Tensor([np.nan, 1.0]) * Tensor([np.inf, 2.0])).data  # entries that were not finite go through
        mixed = (Tensor([[np.nan, 1e30], [1.0, 1.0]]) @ Tensor([[1.0], [1e30]])).data  # not elementwise: as a whole
    assert np.isnan(passed[0]) and passed[1] == 2.0 and np.isnan(mixed[0, 0]) and mixed[1, 0] == np.float32(1e30)


@pytest.mark.parametrize("power", [math.nan, math.inf, -math.inf])
def test_a_negative_base_to_a_nan_or_inf_power_goes_through_on_both_backends(power):
    bases = [-1.0, -2.0, -0.5]
    expected = [(Value(b) ** power).data for b in bases]  # NumPy's and Python's own: nan, or 1, inf, 0 and so on
    np.testing.assert_array_equal((Tensor(bases, dtype="float64") ** power).data, expected)
    np.testing.assert_array_equal((Tensor(bases, dtype="float64") ** Tensor([power] * 3, dtype="float64")).data,
                                  expected)
    with pytest.raises(ValueError, match=r"op '\*\*' raises the negative number -2.0 to the non-integer power 0.5"):
        Tensor([-2.0], dtype="float64") ** 0.5
