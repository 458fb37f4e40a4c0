"""The scalar engine: every op against finite differences, micrograd's published cases, the walk, errors."""

import contextlib
import gc
import math
import re
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import autograd, viz
from chainrule.autograd import Constant, Op, Tensor, Value, detect_anomaly, grad, gradcheck, graph
from chainrule.autograd.scalar_ops import DOT, add_in_order

finite = st.floats(-5, 5, allow_nan=False)
positive = st.floats(0.1, 5, allow_nan=False)
away_from_zero = st.one_of(st.floats(-5, -0.1), st.floats(0.1, 5))


def central_difference(f, xs, i, eps=1e-6):
    up = list(xs)
    down = list(xs)
    up[i] += eps
    down[i] -= eps
    return (f(*up).data - f(*down).data) / (2 * eps)


def assert_gradients_match(f, xs, rtol=1e-5, atol=1e-6):
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    for i, leaf in enumerate(leaves):
        numerical = central_difference(lambda *a: f(*[Value(v) for v in a]), xs, i)
        assert leaf.grad == pytest.approx(numerical, rel=rtol, abs=atol), f"input {i}"


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "radd": lambda a, b: 2.5 + a * b,
    "rsub": lambda a, b: 2.5 - a * b,
    "rmul": lambda a, b: -1.5 * a + b,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(a=finite, b=finite)
@settings(max_examples=30, deadline=None)
def test_binary_ops_match_finite_differences(name, a, b):
    assert_gradients_match(BINARY[name], [a, b])


@given(a=finite, b=away_from_zero)
@settings(max_examples=30, deadline=None)
def test_division_matches_finite_differences(a, b):
    assert_gradients_match(lambda x, y: x / y, [a, b])
    assert_gradients_match(lambda x, y: 3.0 / y + x, [a, b])


@given(a=positive, b=st.floats(-3, 3))
@settings(max_examples=30, deadline=None)
def test_power_with_value_exponent_matches_finite_differences(a, b):
    assert_gradients_match(lambda x, y: x**y, [a, b])
    assert_gradients_match(lambda x, y: 2.0**y * x, [a, b])


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, -2.5, 0])
@given(a=positive)
@settings(max_examples=20, deadline=None)
def test_power_with_number_exponent_matches_finite_differences(exponent, a):
    assert_gradients_match(lambda x: x**exponent, [a])


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "neg"])
@given(a=finite)
@settings(max_examples=30, deadline=None)
def test_unary_ops_match_finite_differences(name, a):
    f = (lambda x: -x) if name == "neg" else (lambda x: getattr(x, name)())
    assert_gradients_match(f, [a])


@given(a=positive)
@settings(max_examples=30, deadline=None)
def test_log_matches_finite_differences(a):
    assert_gradients_match(lambda x: x.log(), [a])


@given(a=away_from_zero)
@settings(max_examples=30, deadline=None)
def test_relu_matches_finite_differences(a):
    assert_gradients_match(lambda x: x.relu() * 2.0, [a])


@given(xs=st.lists(finite, min_size=1, max_size=8))
@settings(max_examples=30, deadline=None)
def test_nary_sum_matches_finite_differences(xs):
    assert_gradients_match(lambda *v: autograd.sum(w * w for w in v), xs)


def test_sum_is_one_node_with_unit_local_gradients():
    xs = [Value(float(i)) for i in range(5)]
    total = autograd.sum(xs)
    assert total.op == "sum"
    assert total.parents == tuple(xs)
    assert total.local_grads == (1.0,) * 5
    assert total.data == 10.0


def test_step_is_heaviside_with_zero_derivative():
    assert Value(0.3).step().data == 1.0
    assert Value(0.0).step().data == 0.0
    assert Value(-2.0).step().data == 0.0
    x = Value(0.3)
    x.step().backward()
    assert x.grad == 0.0


def test_local_gradients_are_readable_after_forward():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    n = x * w
    assert n.local_grads == (-3.0, 2.0)
    assert (x + w).local_grads == (1.0, 1.0)
    assert (x - w).local_grads == (1.0, -1.0)
    assert Value(-1.0).relu().local_grads == (0.0,)
    t = n.tanh()
    assert t.local_grads[0] == pytest.approx(1 - math.tanh(-6.0) ** 2)


def test_sub_div_neg_are_ops_of_their_own():
    a, b = Value(3.0), Value(4.0)
    assert (a - b).op == "-"
    assert (a / b).op == "/"
    assert (-a).op == "neg"
    assert (a**2).op == "**2"


def test_number_operands_are_kept_on_the_op():
    x = Value(2.0)
    y = 3 * x
    assert y.parents == (x,)
    assert y.constant == 3.0
    assert y.local_grads == (3.0,)
    z = 1 - x
    assert z.data == -1.0 and z.local_grads == (-1.0,)


def test_micrograd_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_micrograd_more_ops():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, abs=1e-6)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-6)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-6)


def test_micrograd_names_work():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    assert c._op == "*"
    assert c._prev == {a, b}
    assert Value(1.0)._op == "" and Value(1.0)._prev == set()


def test_reused_node_accumulates():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_backward_twice_doubles_leaf_grads():
    a, b = Value(2.0), Value(-3.0)
    out = (a * b + a).tanh() * b
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == pytest.approx((2 * first[0], 2 * first[1]))


def test_backward_from_an_inner_node_then_the_output_replaces_interior_grads():
    a = Value(2.0)
    h = a * a
    out = h * 3.0
    h.backward()
    assert (h.grad, a.grad) == (1.0, 4.0)
    out.backward()
    assert h.grad == 3.0  # the latest pass, not 1 + 3
    assert a.grad == 4.0 + 12.0  # leaves accumulate


def build_mixed_graph():
    a, b, c = Value(0.7, "a"), Value(-1.3, "b"), Value(2.1, "c")
    products = [a * b, b * c, Value.apply(autograd.scalar_ops.DOT, a, b, c, a, Value(0.5))]
    hidden = autograd.sum([*products, 0.5]).tanh()
    out = (hidden * a - b / c + (c**2).log() + (-a).exp() + hidden.sigmoid() * b.relu()) ** 2
    return out, (a, b, c, hidden, *products)


def test_backward_agrees_with_the_general_walk_and_anomaly_mode():
    out, nodes = build_mixed_graph()
    expected = grad(out, list(nodes))
    out.backward()
    assert [n.grad for n in nodes] == pytest.approx(expected, rel=1e-12)
    out, nodes = build_mixed_graph()
    with detect_anomaly():
        out.backward()
    assert [n.grad for n in nodes] == pytest.approx(expected, rel=1e-12)


def test_a_constant_never_holds_a_gradient():
    x = Value(3.0)
    total = autograd.sum([x, 2.0])
    constant = total.parents[1]
    assert isinstance(constant, autograd.Constant)
    (total * x).backward()
    assert (x.grad, constant.grad) == (2 * 3.0 + 2.0, 0.0)
    constant.grad = 5.0
    assert constant.grad == 0.0


def test_zero_grad_clears_the_graph():
    a, b = Value(2.0), Value(-3.0)
    out = a * b
    out.backward()
    autograd.zero_grad(out)
    assert (a.grad, b.grad, out.grad) == (0.0, 0.0, 0.0)


@pytest.mark.slow
def test_million_op_chain_with_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(0.5)
    node = x
    for i in range(1_000_000):
        node = node * 1.0000001 if i % 2 else node + 0.1
    node.backward()
    assert x.grad == pytest.approx(1.0000001**500_000, rel=1e-9)


def test_a_node_with_one_parent_is_one_object_for_the_garbage_collector():
    """Python's cyclic GC walks every tracked object at each full collection, so a graph's cost
    there is its count of tracked objects: one per node, the parent held without a tuple."""
    x = Value(0.5)
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        node = x
        for i in range(2000):
            node = node * 1.0001 if i % 2 else (node + 0.1).relu()
        grown = len(gc.get_objects()) - before
    finally:
        gc.enable()
    assert 3000 <= grown <= 3000 + 50
    assert node.parents[0].parents[0].parents == (node.parents[0].parents[0].parents[0],)


def test_topological_order_is_deterministic_and_parents_first():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    out = (a * b + a).relu()
    order = autograd.topological_order(out)
    assert [n.label for n in order[:2]] == ["a", "b"]
    assert order[-1] is out
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_topological_order_reads_parents_through_a_given_function():
    depends_on = {"loss": ("out",), "out": ("h", "w"), "h": ("x", "w"), "x": (), "w": ()}
    assert autograd.topological_order("loss", depends_on.__getitem__) == ["x", "w", "h", "out", "loss"]
    one_parent_itself = {"loss": "out", "out": ("h", "w"), "h": ("x", "w"), "x": (), "w": ()}
    assert autograd.topological_order("loss", one_parent_itself.__getitem__) == ["x", "w", "h", "out", "loss"]

    class Parents(tuple):
        pass

    a_tuple_subclass = {**depends_on, "out": Parents(("h", "w"))}
    assert autograd.topological_order("loss", a_tuple_subclass.__getitem__) == ["x", "w", "h", "out", "loss"]


def test_runs_of_lone_parents_come_out_in_the_order_of_the_plain_walk():
    """Runs of one-parent nodes, given in the compact form, are followed in a loop of their own: ending above a
    node with two parents (c3 c2 c1 above m), above a leaf (w above w0), above a node walked already (d2 d1 above
    c2), or alone (e above m); the order is the one the walk gives the same graph written with tuples."""
    compact = {
        "loss": ("c3", "d2", "e"), "c3": "c2", "c2": "c1", "c1": "m", "m": ("x", "w"), "x": (), "w": "w0",
        "w0": (), "d2": "d1", "d1": "c2", "e": "m",
    }
    tuples = {node: parents if isinstance(parents, tuple) else (parents,) for node, parents in compact.items()}
    expected = ["x", "w0", "w", "m", "c1", "c2", "c3", "d1", "d2", "e", "loss"]
    assert autograd.topological_order("loss", tuples.__getitem__) == expected
    assert autograd.topological_order("loss", compact.__getitem__) == expected
    assert autograd.topological_order("c3", compact.__getitem__) == ["x", "w0", "w", "m", "c1", "c2", "c3"]
    assert autograd.topological_order("w", compact.__getitem__) == ["w0", "w"]


def test_grad_leaves_dot_grad_untouched():
    x = Value(2.0)
    y = x**3
    (dx,) = grad(y, [x])
    assert dx == 12.0
    assert x.grad == 0.0


def test_second_derivative_with_create_graph():
    x = Value(2.0)
    (dx,) = grad(x**3, [x], create_graph=True)
    assert isinstance(dx, Value) and dx.data == 12.0
    (d2x,) = grad(dx, [x])
    assert d2x == pytest.approx(12.0)


@given(a=st.floats(0.2, 3))
@settings(max_examples=20, deadline=None)
def test_second_derivatives_of_every_unary_op(a):
    cases = {
        "exp": (lambda x: x.exp(), math.exp(a)),
        "log": (lambda x: x.log(), -1 / a**2),
        "tanh": (lambda x: x.tanh(), -2 * math.tanh(a) * (1 - math.tanh(a) ** 2)),
        "recip": (lambda x: 1 / x, 2 / a**3),
        "sigmoid": (lambda x: x.sigmoid(), None),
    }
    s = 1 / (1 + math.exp(-a))
    cases["sigmoid"] = (cases["sigmoid"][0], s * (1 - s) * (1 - 2 * s))
    for name, (f, expected) in cases.items():
        x = Value(a)
        (first,) = grad(f(x), [x], create_graph=True)
        (second,) = grad(first, [x])
        assert second == pytest.approx(expected, rel=1e-9, abs=1e-12), name


def test_grad_of_unused_input_is_zero():
    x, y = Value(1.0), Value(2.0)
    assert grad(x * 2, [x, y]) == [2.0, 0.0]


def test_gradcheck_passes_on_a_correct_function():
    assert gradcheck(lambda a, b: (a * b + a.exp()).tanh() / b, [0.3, 1.2])


class WrongSquare(Op):
    """x² with a deliberately wrong derivative (3x instead of 2x)."""

    name = "bad_square"

    def forward(self, a):
        return a * a

    def local_grads(self, out, a):
        return (3 * a,)


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_a_value_exponent_needs_a_positive_base(base):
    with pytest.raises(ValueError, match=f"op '\\*\\*' with a Value exponent needs a positive base, got {base}"):
        Value(base) ** Value(2.0)


def test_gradcheck_fails_where_a_gradient_is_nan():
    with pytest.raises(AssertionError, match=r"input 0 at 1\.0: analytic gradient nan but central difference nan"):
        gradcheck(lambda a: a * float("nan"), [1.0])
    with pytest.raises(AssertionError, match=r"input 0 at 0\.0: analytic gradient nan but central difference 500"):
        gradcheck(lambda a: a.relu() ** 0.5, [0.0])


def test_gradcheck_catches_a_wrong_derivative():
    expected = r"input 0 \('x'\) at 1\.5: analytic gradient 4\.5 but central difference 2\.99999"
    with pytest.raises(AssertionError, match=expected):
        gradcheck(lambda x: Value.apply(WrongSquare(), x), [Value(1.5, "x")])


def test_sigmoid_and_tanh_are_stable_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(-1000).sigmoid().data == 0.0
        assert Value(1000).sigmoid().data == 1.0
        assert Value(1000).tanh().data == 1.0
        assert Value(-1000).tanh().data == -1.0


def test_anomaly_mode_names_the_op_in_forward():
    x = Value(0.0, "x")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op '\*\*0\.5' .*forward .*inputs: x=0\.0"):
        x**0.5  # the value is 0, but its local derivative 1/(2·√0) is infinite
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op '\*' .*forward"):
        Value(math.nan) * Value(2.0)


def test_anomaly_mode_catches_non_finite_backward():
    x = Value(1e-300)
    out = x.log() * 1e10  # finite forward; d out/dx = 1e10 · 1e300 overflows
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"op 'log' .*backward"):
        out.backward()


def test_anomaly_mode_is_off_outside_the_block():
    with detect_anomaly():
        pass
    assert math.isnan((Value(math.nan) * Value(2.0)).data)


@pytest.mark.parametrize("bad", ["abc", None, [1, 2]])
def test_value_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_adding_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="Value.*str"):
        Value(2) + "x"
    with pytest.raises(TypeError):
        "x" * Value(2) + Value(1)


@pytest.mark.parametrize("x", [-1.0, 0.0])
def test_log_of_non_positive_names_the_value(x):
    with pytest.raises(ValueError, match=rf"op 'log' needs a positive number, got {x}"):
        Value(x).log()


def test_division_by_zero_value_names_the_op():
    with pytest.raises(ZeroDivisionError, match="op '/'"):
        Value(3.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError, match="op '/'"):
        1 / Value(0.0)


def test_exp_overflow_names_the_op():
    with pytest.raises(OverflowError, match="op 'exp'.*1000"):
        Value(1000.0).exp()


def test_error_during_backward_names_the_op():
    class Fragile(Op):
        name = "fragile"

        def forward(self, a):
            return a

        def local_grads(self, out, a):
            return (1.0 / (a - a),)

    x = Value(1.0)
    with pytest.raises(ZeroDivisionError, match="\\(in the backward pass of op 'fragile'\\)") as raised:
        Value.apply(Fragile(), x).backward()
    assert raised.value.__notes__ == ["(in the backward pass of op 'fragile')"]


def test_the_op_is_named_in_the_notes_where_exceptions_have_no_add_note():
    class OldStyleError:  # as every exception is on Python 3.10
        pass

    error = OldStyleError()
    graph.add_context(error, (Value(2.0) * 3).op, "backward")
    graph.add_context(error, Value(2.0).exp().op, "backward")
    assert error.__notes__ == ["(in the backward pass of op '*')", "(in the backward pass of op 'exp')"]


def test_no_grad_records_no_parents():
    x = Value(2.0)
    with autograd.no_grad():
        y = x * 3 + 1
    assert y.parents == () and y.op == "" and y.data == 7.0


def test_scope_tags_new_nodes():
    x = Value(1.0)
    with autograd.scope("layers.0"), autograd.scope("neurons.2"):
        y = x * 2
    assert y.scope == "layers.0.neurons.2"
    assert (x * 2).scope == ""


def test_micrograds_constructor_makes_a_leaf_and_a_label_must_be_text():
    assert Value(2.0, (), "").parents == () and Value(2.0, (), "").label == ""
    assert Value(2.0, (), "", "x").label == "x" and Value(2.0, "x").label == "x" == Value(2.0, label="x").label
    with pytest.raises(TypeError, match=r"Value\(\) takes no children: a graph grows through ops"):
        Value(2.0, (Value(1.0),), "+")
    with pytest.raises(TypeError, match=r"Value\(\) label must be a str, got int 3"):
        Value(2, label=3)
    with pytest.raises(TypeError, match=r"Value\(\) takes a number and a label"):
        Value(2.0, 3)


def test_numpy_numbers_are_values_too():
    assert Value(np.bool_(True)).data == 1.0 and Value(np.float32(0.5)).data == 0.5
    assert Value(np.int64(3)).data == 3.0 and Value(np.array(2.5)).data == 2.5
    with pytest.raises(TypeError, match="Value\\(\\) takes a real number, got ndarray"):
        Value(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="takes a real number, got complex"):
        Value(1j)


def test_dividing_by_a_tiny_number_has_a_finite_local_derivative():
    x, b = Value(0.0, "x"), Value(5.4e-277, "b")
    (x / b).backward()
    assert x.grad == 1 / 5.4e-277 and b.grad == 0.0  # d(x/b)/db = -x/b² = 0 at x = 0


def test_an_n_ary_sum_of_inf_and_minus_inf_is_nan_as_for_plus():
    total = autograd.sum([Value(math.inf), Value(-math.inf)])
    assert math.isnan(total.data) and math.isnan((Value(math.inf) + Value(-math.inf)).data)


@pytest.mark.parametrize("gradient", ["2", None, [1.0], 1j])
def test_backward_refuses_a_gradient_that_is_not_a_real_number(gradient):
    x = Value(1.0)
    with pytest.raises(TypeError, match="backward\\(\\) takes a real number as the gradient, got"):
        (x * 3).backward(gradient)
    assert x.grad == 0.0
    for number in (np.float32(2.0), np.array(2.0), 2):
        y = Value(1.0)
        (y * 3).backward(number)
        assert y.grad == 6.0


def test_a_nan_or_inf_exponent_goes_through_as_in_python():
    for base in (-2.0, 2.0):
        assert math.isnan((Value(base) ** math.nan).data)
        assert (Value(base) ** math.inf).data == base**math.inf == math.inf
    with pytest.raises(ValueError, match="raises the negative number -2.0 to the non-integer power 0.5"):
        Value(-2.0) ** 0.5
    with pytest.raises(OverflowError, match="op '\\*\\*' overflows a float: 10.0 \\*\\* 400"):
        Value(10.0) ** 400


def test_the_functional_helpers_name_what_they_were_given():
    with pytest.raises(TypeError, match="autograd.grad\\(\\) needs a Value output, got float"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match="autograd.grad\\(\\) inputs must be Values, got float at position 1"):
        x = Value(1.0)
        grad(x * 2, [x, 1.0])
    with pytest.raises(TypeError, match="gradcheck: f must return a Value, got float"):
        gradcheck(lambda a: 1.0, [1.0])
    with pytest.raises(TypeError, match="autograd.sum\\(\\) takes Values or numbers, got str at position 1"):
        autograd.sum([Value(1.0), "a"])
    empty = autograd.sum([])
    assert empty.data == 0.0 and not empty.requires_grad
    total = autograd.sum([Value(1.0), 2, 3.5])
    assert total.data == 6.5


def test_gradcheck_takes_its_own_step_and_tolerances():
    # x³ at 1: the central difference is 3 + eps², so a tolerance below eps² fails and one above passes
    cube = lambda a: a * a * a  # noqa: E731
    assert gradcheck(cube, [1.0], eps=1e-2, atol=2e-4, rtol=0.0)
    expected = r"analytic gradient 3\.0 but central difference 3\.0000999.*\(eps=0\.01, atol=5e-05, rtol=0\.0\)"
    with pytest.raises(AssertionError, match=expected):
        gradcheck(cube, [1.0], eps=1e-2, atol=5e-5, rtol=0.0)


def test_grad_of_a_value_computed_under_no_grad_is_refused_not_zero():
    x = Value(3.0)
    with autograd.no_grad():
        y = x * x
    message = "autograd.grad\\(\\) of a Value computed under no_grad\\(\\), whose ops were not recorded"
    with pytest.raises(RuntimeError, match=message):
        grad(y, [x])
    z = x * x * x
    with autograd.no_grad():
        (slope,) = grad(z, [x], create_graph=True)  # a number now, not a graph: its own gradient is not 0
    with pytest.raises(RuntimeError, match=message):
        grad(slope, [x])
    (slope,) = grad(z, [x], create_graph=True)
    assert slope.data == 27.0 and grad(slope, [x]) == [18.0]


def test_a_derivative_that_is_a_constant_has_derivative_zero():
    """Not refused: dL/dw of a w that L does not use, and dx/dx, are true constants (0 and 1)."""
    x, w = Value(2.0), Value(5.0)
    dx, dw = grad(x * x, [x, w], create_graph=True)
    assert grad(dx, [x, w]) == [2.0, 0.0] and grad(dw, [x, w]) == [0.0, 0.0]
    (one,) = grad(x, [x], create_graph=True)
    assert one.data == 1.0 and grad(one, [x]) == [0.0]


def test_a_value_made_from_a_value_is_refused_rather_than_cut_from_its_graph():
    x = Value(2.0)
    with pytest.raises(TypeError, match="Value\\(\\) of a Value would cut it from its graph: use the Value itself, "
                                        "or Value\\(v.data\\) for a new leaf holding its number \\(6\\)"):
        Value(x * 3)
    fresh = Value((x * 3).data)
    assert fresh.data == 6.0 and fresh.parents == ()


@pytest.mark.parametrize("make, operands", [
    (lambda: Value(1e308) + 1e308, "1e+308 and the constant 1e+308"),
    (lambda: 1e308 * Value(10.0), "10.0 and the constant 1e+308"),
    (lambda: Value(1e308) * Value(10.0), "1e+308, 10.0"),
])
def test_an_overflow_names_every_operand_the_constant_too(make, operands):
    with pytest.raises(OverflowError, match=f"overflows a float: it gives inf from {re.escape(operands)}$"):
        make()


def test_an_int_too_large_for_a_float_is_named_as_such():
    with pytest.raises(OverflowError, match="Value\\(\\) takes a number a float can hold \\(up to about 1.8e308\\), "
                                            "got an int of 401 digits"):
        Value(10**400)


@pytest.mark.parametrize("root, kind", [([Value(1.0)], "list"), (3, "int")])
def test_zero_grad_takes_one_node_and_says_so(root, kind):
    with pytest.raises(TypeError, match=f"zero_grad\\(\\) takes one node of a graph \\(a Value or a Tensor\\), got "
                                        f"{kind}; for a model's parameters call model.zero_grad\\(\\)"):
        autograd.zero_grad(root)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda v: 0.5**v, -(0.5**-1023.0) * math.log(2)),  # finite: only the base's partial would overflow
        (lambda v: v**-1023, -math.inf),  # at v = -0.5: -1023 · (-0.5)^-1024, too large for a float
    ],
)
def test_a_power_whose_derivative_overflows_gives_an_infinite_gradient_not_an_error(make, expected):
    v = Value(-1023.0) if math.isfinite(expected) else Value(-0.5)
    make(v).backward()
    assert v.grad == pytest.approx(expected, rel=1e-12)


def test_power_derivatives_near_zero_stay_right_where_a_power_alone_would_overflow():
    a, b = Value(1e-320), Value(0.0)
    assert autograd.grad(a**b, [a, b])[0] == 0.0  # b · a^(b−1) with b = 0, not 0 · inf
    x = Value(1e-320)
    assert autograd.grad(x**1e-300, [x])[0] == pytest.approx(1e20, rel=1e-4)  # 1e-300 · x^(1e-300 − 1)
    y = Value(1e-300)
    assert autograd.grad(x**y, [x, y])[0] == pytest.approx(1e20, rel=1e-4)
    a, b = Value(2.0), Value(0.0)
    da, _ = autograd.grad(a**b, [a, b], create_graph=True)
    assert autograd.grad(da, [b]) == [pytest.approx(0.5)]  # d/db of b·a^(b−1) at b = 0 is 1/a


def test_recomputed_tells_a_stale_value():
    w, x = Value(2.0, label="w"), Value(3.0, label="x")
    y = (w * x).tanh()
    assert y.recomputed() == y.data and w.recomputed() == 2.0
    w.data = 0.1
    assert y.parents[0].recomputed() == pytest.approx(0.3) and y.parents[0].data == 6.0


def test_a_power_keeps_its_exponent_as_the_constant_on_both_engines():
    from chainrule.autograd import Tensor

    y = Value(2.0) ** 3
    t = Tensor([2.0], requires_grad=True) ** 3
    assert (y.constant, y.constant_first) == (3.0, False) == (float(t.constant), t.constant_first)
    assert y.op == "**3"  # micrograd's _op


def test_a_second_derivative_through_an_overflowing_power_raises_rather_than_giving_nan():
    x = Value(1e-310)
    with pytest.raises(OverflowError, match=r"op '\*\*' overflows a float: 1e-310 \*\* -1\.0"):
        autograd.grad(x**1e-300, [x], create_graph=True)


def _second_by_differences(first, x0: float, h: float = 1e-5) -> float:
    """d/dx of a first derivative, by central differences in float64."""
    return (first(x0 + h) - first(x0 - h)) / (2 * h)


def test_create_graph_skips_the_derivative_of_a_constant_that_no_float_can_hold():
    def slope(x0, make_constant):
        x = Value(x0)
        (dy,) = grad(make_constant(x) ** 0.5 * x + x * x, [x], create_graph=True)
        return dy

    def detached(x):
        with autograd.no_grad():
            return x * 0.0  # 0, computed without a graph

    for make_constant in (lambda x: Constant(0.0), detached):  # sqrt at 0: its derivative is infinite, but unused
        x = Value(2.0)
        (dy,) = grad(make_constant(x) ** 0.5 * x + x * x, [x], create_graph=True)
        (d2y,) = grad(dy, [x])
        assert dy.data == 4.0
        assert d2y == pytest.approx(_second_by_differences(lambda v: slope(v, make_constant).data, 2.0), rel=1e-7)


def test_create_graph_skips_an_unused_derivative_too_large_for_a_float():
    x = Value(1e300)  # x ** c for a constant c kept as a Value: out · log(x), for c, would overflow
    (dy,) = grad(x ** Constant(1.02), [x], create_graph=True)
    assert dy.data == pytest.approx(1.02 * 1e300 ** 0.02, rel=1e-12)
    x = Value(1023.0)  # 2 ** x: x · 2 ** (x − 1), for the base 2, would overflow
    (dy,) = grad(2 ** x, [x], create_graph=True)
    (d2y,) = grad(dy, [x])
    assert dy.data == pytest.approx(2.0**1023 * math.log(2), rel=1e-12)
    assert d2y == pytest.approx(2.0**1023 * math.log(2) ** 2, rel=1e-12)
    x = Value(1e-10)  # a / b with b a constant: −out / b, for b, would overflow
    (dy,) = grad(x / Constant(1e-300), [x], create_graph=True)
    assert dy.data == pytest.approx(1e300, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: grad(x * 2, Tensor(3.0, requires_grad=True)), "inputs must be a Value or a list of Values, got "
                                                                  "Tensor; for a Tensor, call out.backward()"),
        (lambda x: autograd.sum(Tensor(1.0, requires_grad=True)), "got Tensor Tensor(1., requires_grad=True); for a "
                                                                  "Tensor, t.sum() is the sum in its graph"),
        (lambda x: grad(x * x, [x], create_graph="no"), "create_graph must be True or False, got 'no'"),
    ],
)
def test_functions_of_values_name_a_0d_tensor_and_a_flag_that_is_no_bool(call, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        call(Value(2.0))


def test_gradcheck_reads_inputs_given_as_a_generator_once():
    with pytest.raises(AssertionError):  # relu at its kink: 0 one way, 0.5 by central differences
        gradcheck(lambda x, y: x.relu() + y, (v for v in [0.0, 1.0]))
    assert gradcheck(lambda x, y: x * y, (v for v in [1.0, 2.0]))


@pytest.mark.parametrize(
    ("inputs", "settings", "kind", "message"),
    [
        (["1.0"], {}, TypeError, "gradcheck: input 0 must be a Value or a real number, got str '1.0'"),
        ([np.complex64(1 + 5j)], {}, TypeError, "gradcheck: input 0 must be a Value or a real number, got complex64"),
        ([1.0], {"eps": 0}, ValueError, "gradcheck: eps must be > 0 (the step of the central differences), got 0"),
        ([1.0], {"atol": "x"}, ValueError, "gradcheck: atol must be a finite number >= 0, got 'x'"),
        (Value(1.5), {}, TypeError, "gradcheck: inputs must be a sequence of Values or real numbers, one per argument "
                                    "of f, got one Value Value(data=1.5, grad=0): pass [x] for one input"),
        (1.5, {}, TypeError, "of f, got one float 1.5: pass [x] for one input"),
        ("ab", {}, TypeError, "of f, got str 'ab'"),
        (None, {}, TypeError, "of f, got NoneType None"),
    ],
)
def test_gradcheck_refuses_what_it_cannot_difference(inputs, settings, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        gradcheck(lambda a: a * a, inputs, **settings)


def test_scope_takes_a_name():
    with pytest.raises(TypeError, match=r"scope\(\) takes a name \(a str such as 'layers\.0'\), got int 5"):
        with autograd.scope(5):
            pass


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: Value(2.0) * 10**400, "op '*'"),
        (lambda: 10**400 - Value(2.0), "op '-'"),
        (lambda: Value(2.0) ** 10**400, "op '**'"),
        (lambda: Value(2.0) + np.longdouble("1e400"), "op '+'"),
        (lambda: (Value(2.0) * 2).backward(10**400), "backward()'s gradient"),
    ],
)
def test_an_int_too_large_for_a_float_is_named_in_an_op(make, what):
    with pytest.raises(OverflowError, match=f"{re.escape(what)} takes a number a float can hold \\(up to about "
                                            f"1\\.8e308\\), got (an int of 401 digits|longdouble 1e\\+400)"):
        make()


def test_sum_and_grad_name_what_is_no_list():
    v = Value(1.0) * 2
    with pytest.raises(TypeError, match="autograd.sum\\(\\) takes a list of Values or numbers, got int 1"):
        autograd.sum(1)
    with pytest.raises(TypeError, match="autograd.grad\\(\\) inputs must be a Value or a list of Values, got float"):
        autograd.grad(v, 2.5)


def test_a_masked_entry_is_refused_and_an_unmasked_one_read():
    """numpy.ma.masked holds no number: float() of it is NaN with only a UserWarning."""
    with pytest.raises(TypeError, match=r"Value\(\) takes a real number, got a masked entry \(numpy.ma.masked\)"):
        Value(np.ma.masked)
    assert Value(np.ma.masked_array(2.5, mask=False)).data == 2.5
    for name, op in (("*", lambda v: v * np.ma.masked), ("-", lambda v: v - np.ma.masked),
                     ("**", lambda v: v ** np.ma.masked)):
        with pytest.raises(TypeError, match=re.escape(f"op '{name}' takes a real number, got a masked entry "
                                                      f"(numpy.ma.masked)")):
            op(Value(2.0))


class _Hyp(Op):
    """a·b + c², with a correct local_grads and a backward that gets c wrong (3c instead of 2c)."""

    name = "hyp"

    def forward(self, a, b, c):
        return a * b + c * c

    def local_grads(self, out, a, b, c):
        return (b, a, 2 * c)

    def backward(self, out, grad, parents):
        a, b, c = parents
        a.grad += b.data * grad
        b.grad += a.data * grad
        c.grad += 3 * c.data * grad


@pytest.mark.parametrize("anomaly", [False, True])
def test_gradcheck_checks_an_ops_own_backward_which_training_uses(anomaly):
    """Under detect_anomaly, backward() goes through local_grads; gradcheck still runs the op's own backward."""
    expected = r"gradcheck: input 2 at -0\.5: backward\(\) gives -1\.5 but central difference -0\.99999"
    with pytest.raises(AssertionError, match=expected), \
            autograd.detect_anomaly() if anomaly else contextlib.nullcontext():
        gradcheck(lambda a, b, c: Value.apply(_Hyp(), a, b, c), [0.3, 1.2, -0.5])


def test_detect_anomaly_passes_a_derivative_only_a_constant_would_take():
    """x / c for a constant c of 1e-160: d/dx is 1e160, finite; d/dc would be -inf, but a constant takes none."""
    with autograd.detect_anomaly():
        x = Value(1.0)
        y = x / Constant(1e-160)
        y.backward()
        assert (y.data, x.grad) == (1e160, 1e160)
        with pytest.raises(FloatingPointError, match=r"op '/' produced a non-finite value in its forward \(local "
                                                     r"derivative\) pass"):
            x / Value(1e-160)  # a divisor that takes a gradient: -inf on its edge


@pytest.mark.parametrize("block", ["no_grad", "detect_anomaly", "scope"])
def test_blocks_of_two_threads_that_overlap_leave_the_switches_as_they_were(block):
    """Thread A enters, thread B enters, A leaves, B leaves: graphs are recorded again, anomaly mode is off, and
    nodes have no scope (each thread went back to its own previous state, not to what the other had set)."""
    import threading

    enter = {"no_grad": lambda: autograd.no_grad(), "detect_anomaly": lambda: autograd.detect_anomaly(),
             "scope": lambda: autograd.scope("layers.0")}[block]
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with enter():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second():
        a_in.wait(5)
        with enter():
            b_in.set()
            a_out.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    state = autograd.graph.state
    assert (state.recording, state.anomaly, state.scope) == (True, False, "")
    y = Value(2.0) * 3.0
    assert y.requires_grad and y.scope == ""


def test_no_grad_in_one_thread_leaves_the_graphs_another_thread_builds_meanwhile():
    import threading

    inside, done = threading.Event(), threading.Event()

    def predicting():
        with autograd.no_grad():
            inside.set()
            done.wait(5)

    thread = threading.Thread(target=predicting)
    thread.start()
    try:
        inside.wait(5)
        x = Value(2.0)
        y = x * x  # recorded in this thread, though the other is inside no_grad
        y.backward()
        assert y.requires_grad and x.grad == 4.0
        t = Tensor([2.0], requires_grad=True)
        (t * t).sum().backward()
        assert t.grad[0] == 4.0
        with autograd.no_grad():
            assert not (x * x).requires_grad  # this thread's own block still holds
    finally:
        done.set()
        thread.join(10)
    assert autograd.graph.state.recording


class _Tagged(Value):
    """A Value with an attribute of its own, in its instance dict."""


def test_a_value_subclass_keeps_its_own_attributes_when_copied_or_pickled():
    import copy
    import pickle

    v = _Tagged(1.5, label="v")
    v.unit = "cm"
    for again in (copy.copy(v), copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
        assert type(again) is _Tagged and (again.data, again.label, again.unit) == (1.5, "v", "cm")


def test_a_value_given_two_labels_is_refused():
    for make in (lambda: Value(2.0, "x", label="y"), lambda: Value(2.0, (), "", "x", label="y")):
        with pytest.raises(TypeError) as raised:
            make()
        assert str(raised.value) == "Value() got two labels, 'x' and label='y': give one"
    assert Value(2.0, "", label="y").label == Value(2.0, (), "", "", label="y").label == "y"  # an empty one is none


def test_a_thread_leaving_a_scope_inside_another_threads_leaves_that_one_in_place():
    """Thread A is inside scope('layers.0'); B enters and leaves scope('other'); A's next node is still in its scope."""
    import threading

    a_in, b_done = threading.Event(), threading.Event()
    scopes = {}

    def first():
        with autograd.scope("layers.0"):
            a_in.set()
            b_done.wait(5)
            scopes["a"] = (Value(1.0) * 2.0).scope

    def second():
        a_in.wait(5)
        with autograd.scope("other"):
            scopes["b"] = (Value(1.0) * 2.0).scope
        b_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert scopes == {"a": "layers.0", "b": "other"} and autograd.graph.state.scope == ""


def test_micrograds_backward_step_is_the_step_backward_takes():
    class TwoWrong(Op):  # a two-input op's own backward is not used: its local_grads are
        name = "two"

        def forward(self, a, b):
            return a * b

        def local_grads(self, out, a, b):
            return (b, a)

        def backward(self, out, grad, parents):
            for parent in parents:
                parent.grad += 10 * grad

    for op, arity in ((TwoWrong(), 2), (_Hyp(), 3)):
        by_step = [Value(v) for v in (2.0, 3.0, -0.5)[:arity]]
        out = Value.apply(op, *by_step)
        out.grad = 1.0
        out._backward()
        by_backward = [Value(v) for v in (2.0, 3.0, -0.5)[:arity]]
        Value.apply(op, *by_backward).backward()
        assert [v.grad for v in by_step] == [v.grad for v in by_backward]
    assert [v.grad for v in by_step] == [3.0, 2.0, -1.5]  # _Hyp's own backward, wrong c included


def test_a_weighted_sum_and_an_n_ary_sum_round_as_a_chain_of_additions():
    """Python's sum() of floats compensates rounding from 3.12: the ops add in order, as micrograd's + chain."""
    weights, inputs, bias = [1.0, 1.0], [-1e16, 1e16], 1.0
    chain = Value(bias)
    for w, x in zip(weights, inputs):
        chain = chain + Value(w) * Value(x)
    assert DOT.forward(*weights, *inputs, bias) == chain.data == 0.0  # compensated summation gives 1.0
    assert autograd.sum([Value(1e16), Value(1.0), Value(-1e16)]).data == (1e16 + 1.0) - 1e16 == 0.0
    # the loop Python 3.12+ runs (Python's sum() on 3.10 and 3.11, which adds in order itself)
    assert add_in_order([1.0, -1e16], 1e16) == 0.0 and add_in_order(iter([2.5, 0.5]), 1.0) == 4.0
    assert add_in_order([], -0.0) == -0.0 and math.copysign(1.0, add_in_order([], -0.0)) == -1.0


def test_the_derivative_of_a_power_below_1_at_0_is_not_differentiated_as_a_constant():
    x = Value(0.0)
    assert autograd.grad(x**0.5, [x]) == [math.inf]
    with pytest.raises(ValueError, match=r"op '\*\*0\.5': its derivative at 0 is infinite, and an infinite derivative "
                                         r"cannot be differentiated again \(create_graph=True\)"):
        autograd.grad(x**0.5, [x], create_graph=True)


def test_gradcheck_leaves_the_gradients_of_values_it_does_not_own_as_they_were():
    w = Value(3.0)
    w.grad = 0.25  # say, a model's gradient waiting for its optimizer step
    assert gradcheck(lambda x: (x * w).tanh(), [0.2])
    assert w.grad == 0.25


@pytest.mark.parametrize(
    ("number", "truth"), [(0.0, False), (-0.0, False), (2.5, True), (-1e-300, True), (math.nan, True)]
)
def test_a_value_is_true_as_its_number_is(number, truth):
    # As for a float or a one-number Tensor: `if v:` was True whatever v held.
    assert bool(Value(number)) is truth
    assert bool(Value(1.0) * number) is truth


@pytest.mark.parametrize("anomaly", [False, True], ids=["hot path", "anomaly mode"])
def test_backward_twice_through_nodes_whose_one_parent_holds_zero(anomaly):
    # z's one parent y holds 0.0 (false); y and z are still interior nodes, reset before each pass rather than
    # accumulating like leaves.
    x = Value(0.0)
    y = x * 3.0
    z = y + 2.0
    w = z * z
    for passes in (1, 2):
        with detect_anomaly() if anomaly else contextlib.nullcontext():
            w.backward()
        assert (w.grad, z.grad, y.grad) == (1.0, 4.0, 4.0)  # interior: this pass's gradient
        assert x.grad == 12.0 * passes  # the leaf adds up: dw/dx = 2z * 3 = 12


# --- a graph whose leaves changed since its previous backward pass ---

STALE = r"backward\(\) again through a graph whose inputs changed: "


def test_backward_again_after_an_optimizer_step_is_refused_before_any_gradient_is_written():
    from chainrule import nn

    w = autograd.Parameter(1.0, label="w")
    loss = (w * w).tanh()
    loss.backward()
    assert w.grad == pytest.approx(2 * (1 - math.tanh(1.0) ** 2), rel=1e-15)
    optimizer = nn.SGD([w], lr=1.0)
    optimizer.step()
    optimizer.zero_grad()
    now = re.escape(repr(w.data))
    with pytest.raises(RuntimeError, match=STALE + rf"'w' was 1\.0 at the previous backward pass through this graph "
                                               rf"and is {now} now \(a step"):
        loss.backward()
    assert w.grad == 0.0
    again = (w * w).tanh()  # the forward pass run again: its gradient is right at the new number
    again.backward()
    assert w.grad == pytest.approx(2 * w.data * (1 - math.tanh(w.data**2) ** 2), rel=1e-15)


def test_a_loss_computed_once_before_a_training_loop_is_caught_at_the_second_step():
    x, w = Value(3.0), autograd.Parameter(0.5)
    loss = (w * x - 1.0) ** 2
    steps = 0
    with pytest.raises(RuntimeError, match=STALE + r"a parameter was 0\.5 at the previous backward pass"):
        for _ in range(3):
            w.grad = 0.0
            loss.backward()
            w.data -= 0.1 * w.grad  # micrograd's update, by hand
            steps += 1
    assert steps == 1


def test_an_input_changed_by_hand_is_named_too():
    x = Value(2.0)
    y = x * x
    y.backward()
    x.data = 5.0
    changed = r"an input was 2\.0 at the previous backward pass through this graph and is 5\.0 now"
    with pytest.raises(RuntimeError, match=STALE + changed):
        y.backward()
    grad_again = r"autograd\.grad\(\) again through a graph whose inputs changed: "
    with pytest.raises(RuntimeError, match=grad_again + changed):
        grad(y, x)


def test_a_loss_built_each_step_on_a_prediction_computed_once_is_caught_at_the_second_step():
    """The forward pass run once, outside the loop: each step's new loss shares the stale prediction's ops, whose
    results come from the old weight while their local derivatives would read the new one."""
    w = autograd.Parameter(0.5, label="w")
    prediction = (w * w).tanh()
    steps = 0
    with pytest.raises(RuntimeError, match=STALE + r"'w' was 0\.5 at the previous backward pass through this graph "
                                               r"and is 1\.2097"):
        for _ in range(2):
            loss = (prediction - 1.0) ** 2
            w.grad = 0.0
            loss.backward()
            w.data -= 0.5 * w.grad
            steps += 1
    assert steps == 1 and w.grad == 0.0  # refused before any gradient was written
    assert loss.changed_inputs().startswith("'w' was 0.5")
    with pytest.raises(RuntimeError, match=r"autograd\.grad\(\) again through a graph whose inputs changed: 'w'"):
        grad((prediction + 1.0) * 2.0, w)
    second = (prediction * 3.0, prediction * 4.0)  # two results of one pass, no step between: nothing stale
    w.data = 0.5
    for result in second:
        result.backward()
    assert w.grad == pytest.approx(7 * 2 * 0.5 * (1 - math.tanh(0.25) ** 2), rel=1e-15)


def test_a_graph_is_stale_only_where_it_depends_on_a_leaf_that_changed():
    """x was computed once and a pass went through it with w; w changed, but nothing x leads to reads w."""
    w = autograd.Parameter(0.5, label="w")
    x = Value(3.0, label="x") / 10.0  # inputs scaled once, outside the loop: fine, they do not depend on w
    (w * x).backward()
    w.data -= 0.1
    z = x * 2.0
    z.backward()
    assert x.grad == 2.0 and z.changed_inputs() is None
    viz.draw_graph(z)
    scaled = [Value(1.0) * 0.5, Value(2.0) * 0.5]  # a micrograd loop over data scaled once through ops
    v = autograd.Parameter(0.1, label="v")
    for _ in range(3):
        loss = (scaled[0] * v + scaled[1] * v - 1.0) ** 2
        v.grad = 0.0
        loss.backward()
        v.data -= 0.1 * v.grad
    assert v.grad == pytest.approx(2 * (1.5 * (v.data + 0.1 * v.grad) - 1.0) * 1.5, rel=1e-12)


def test_many_earlier_passes_through_one_graph_are_checked_in_linear_time():
    """Per-sample gradients first (a pass from each output), then one through their sum."""
    import time

    w = autograd.Parameter(0.3)
    outputs = [(w * float(i)).tanh() for i in range(4000)]
    for out in outputs:
        out.backward()
    total = autograd.sum(outputs)
    started = time.perf_counter()
    total.backward()
    assert time.perf_counter() - started < 0.5  # quadratic, it took 0.3 s for 4000 and 0.9 s for 8000 outputs


def test_a_value_pickled_before_the_pass_record_loads_and_trains(tmp_path):
    import pickle

    from chainrule import nn

    model = nn.MLP(2, [3, 1], seed=1)
    for p in model.parameters():
        object.__delattr__(p, "_pass")  # what a Value pickled by an earlier version holds
    restored = pickle.loads(pickle.dumps(model))
    ((restored([1.0, 2.0]) - 1.0) ** 2).backward()
    assert restored.parameters()[0].grad == pytest.approx(1.799432105481639, rel=1e-12)


def test_backward_again_through_an_unchanged_graph_adds_up_as_before():
    x = Value(2.0)
    y = x * x + x
    y.backward()
    y.backward()
    assert x.grad == 10.0
    assert grad(y, x) == [5.0]
    x.data = float(x.data)  # the same number again
    y.backward()
    assert x.grad == 15.0


def test_a_refused_backward_leaves_every_gradient_as_it_was():
    x, w = Value(2.0), Value(3.0)
    m = x * w
    loss = m + 1
    loss.backward()
    x.data = 9.0
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()
    assert (m.grad, loss.grad, x.grad, w.grad) == (1.0, 1.0, 3.0, 2.0)


def test_a_leaf_that_a_backward_pass_started_from_is_never_stale():
    w = Value(1.0, label="w")
    for _ in range(3):  # a graph of no op: nothing in it can be out of date
        w.grad = 0.0
        w.backward()
        w.data -= 0.1 * w.grad
    assert w.data == pytest.approx(0.7)
    assert w.changed_inputs() is None
    viz.draw_graph(w * w)


def test_a_leaf_that_stays_nan_is_unchanged():
    v = Value(float("nan"), label="v")
    y = v * 2
    y.backward()
    v.data = v.data * 1.0  # another NaN object
    y.backward()
    assert v.grad == 4.0


class _ForgetsLast(Op):
    """a·b·c whose local_grads leaves out d/dc."""

    name = "mul3"

    def forward(self, a, b, c):
        return a * b * c

    def local_grads(self, out, a, b, c):
        return (b * c, a * c)


def test_an_op_of_your_own_that_gives_too_few_local_derivatives_is_named():
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    for take in (lambda y: y.backward(), lambda y: grad(y, [a, b, c])):
        with pytest.raises(ValueError, match="op 'mul3' gave 2 gradients for its 3 inputs"):
            take(Value.apply(_ForgetsLast(), a, b, c))
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)
    with detect_anomaly(), pytest.raises(ValueError, match="op 'mul3' gave 2 gradients for its 3 inputs"):
        Value.apply(_ForgetsLast(), a, b, c).backward()


def test_value_apply_names_an_input_that_is_no_value():
    x = Value(2.0)
    for wrong, shown in ((2.0, "float 2.0"), (np.float64(2.0), r"float64 np.float64\(2.0\)"), ("2", "str '2'")):
        expected = rf"op '\*' takes Values, got {shown} at position 1 \(a number is Value\(number\)\)"
        with pytest.raises(TypeError, match=expected):
            Value.apply(autograd.scalar_ops.MUL, x, wrong)
    with pytest.raises(TypeError, match="op 'mul3' takes one or more Values, got none"):
        Value.apply(_ForgetsLast())
    assert Value.apply(autograd.scalar_ops.MUL, x, Value(3.0)).data == 6.0
