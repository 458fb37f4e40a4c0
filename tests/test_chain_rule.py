"""One chain rule: Value.backward's hot path, backpropagate, autograd.grad and anomaly mode agree on random graphs."""

import math
from operator import attrgetter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import autograd
from chainrule.autograd import Value, backpropagate, detect_anomaly, grad
from chainrule.autograd.scalar_ops import DOT, SUM, Op

# Each op keeps numbers in a range where every derivative is finite and well conditioned.
UNARY = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "exp": lambda a: a.tanh().exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "cube root of a positive": lambda a: (a * a + 1.0) ** (1 / 3),
    "times a number": lambda a: 0.7 * a,
    "number minus": lambda a: 1.5 - a,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 1.0),
    "** with a Value exponent": lambda a, b: (a * a + 1.0) ** b.tanh(),
}
SMOOTH = set(UNARY) - {"relu"}


@st.composite
def programs(draw, smooth_only=False):
    """A random graph: leaf numbers, then instructions that each add a node made from earlier ones."""
    leaves = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4))
    unary = sorted(SMOOTH if smooth_only else UNARY)
    steps = []
    for _ in range(draw(st.integers(1, 12))):
        size = len(leaves) + len(steps)
        kind = draw(st.sampled_from(["unary", "binary", "sum", "dot"]))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(unary)), [draw(st.integers(0, size - 1))]))
        elif kind == "binary":
            operands = [draw(st.integers(0, size - 1)) for _ in range(2)]
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), operands))
        else:
            count = 3 if kind == "sum" else 2 * draw(st.integers(1, 3)) + 1
            steps.append((kind, kind, [draw(st.integers(0, size - 1)) for _ in range(count)]))
    return leaves, steps


def build(leaves, steps):
    """The graph of `programs`' output on fresh leaves: (output, leaves, every node)."""
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    nodes = list(inputs)
    for kind, name, operands in steps:
        args = [nodes[i] for i in operands]
        if kind == "unary":
            nodes.append(UNARY[name](*args))
        elif kind == "binary":
            nodes.append(BINARY[name](*args))
        else:
            nodes.append(Value.apply(SUM if kind == "sum" else DOT, *args))
    return autograd.sum(nodes[len(inputs):]) * 0.5, inputs, nodes


@settings(max_examples=150, deadline=None, derandomize=True)
@given(programs())
def test_every_way_of_running_the_chain_rule_gives_the_same_gradients(program):
    out, leaves, _ = build(*program)
    expected = grad(out, leaves)
    walked = backpropagate(out, 1.0)
    assert [walked.get(leaf, 0.0) for leaf in leaves] == pytest.approx(expected, rel=1e-12, abs=1e-12)

    out.backward()  # the hot path, straight into .grad
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-12, abs=1e-12)

    out, leaves, _ = build(*program)
    with detect_anomaly():  # the general walk, each op's backward checked
        out.backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-12, abs=1e-12)

    out, leaves, nodes = build(*program)
    order = autograd.topological_order(out)
    assert autograd.topological_order(out, attrgetter("_parents")) == order  # backward()'s compact reading
    for node in reversed(order):  # micrograd's way: one _backward per node
        if node is out:
            node.grad = 1.0
        node._backward()
    assert [leaf.grad for leaf in leaves] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(programs(smooth_only=True))
def test_the_gradients_match_central_differences(program):
    leaves, steps = program
    out, inputs, _ = build(leaves, steps)
    analytic = grad(out, inputs)
    eps = 1e-6
    for i, x in enumerate(leaves):
        plus = build([*leaves[:i], x + eps, *leaves[i + 1 :]], steps)[0].data
        minus = build([*leaves[:i], x - eps, *leaves[i + 1 :]], steps)[0].data
        assert analytic[i] == pytest.approx((plus - minus) / (2 * eps), rel=1e-4, abs=1e-6)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.integers(1, 20), st.data())
def test_the_neuron_ops_own_backward_equals_its_local_grads_times_the_gradient(n, data):
    numbers = data.draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=2 * n + 1, max_size=2 * n + 1))
    upstream = data.draw(st.floats(-3, 3, allow_nan=False))
    fast, general = ([Value(x) for x in numbers] for _ in range(2))
    out = DOT.forward(*numbers)
    assert out == pytest.approx(sum(w * x for w, x in zip(numbers[:n], numbers[n:-1])) + numbers[-1], abs=1e-9)
    DOT.backward(out, upstream, tuple(fast))
    Op.backward(DOT, out, upstream, tuple(general))  # the general step, from local_grads
    assert [v.grad for v in fast] == pytest.approx([v.grad for v in general], rel=1e-15, abs=0.0)
    local = DOT.local_grads(out, *numbers)
    assert [v.grad for v in fast] == pytest.approx([d * upstream for d in local], rel=1e-15, abs=0.0)


def test_a_neuron_is_one_node_whose_edges_carry_the_other_factor():
    w = [Value(0.5, "w0"), Value(-2.0, "w1")]
    x = [Value(3.0, "x0"), Value(4.0, "x1")]
    b = Value(0.25, "b")
    z = Value.apply(DOT, *w, *x, b)
    assert z.op == "w·x+b" and z.data == 0.5 * 3.0 - 2.0 * 4.0 + 0.25
    assert z.local_grads == (3.0, 4.0, 0.5, -2.0, 1.0)
    (z * z).backward()
    assert [v.grad for v in (*w, *x, b)] == [2 * z.data * d for d in z.local_grads]
    second = grad(grad(z * z, [w[0]], create_graph=True)[0], [x[0]])[0]
    assert second == pytest.approx(2 * (3.0 * 0.5 + z.data))  # d/dx0 (2 z x0) = 2 (w0 x0 + z)
    assert not math.isnan(second)


WITH_A_NUMBER = {
    "x + c": lambda x, c: x + c,
    "c + x": lambda x, c: c + x,
    "x - c": lambda x, c: x - c,
    "c - x": lambda x, c: c - x,
    "x * c": lambda x, c: x * c,
    "c * x": lambda x, c: c * x,
    "x / c": lambda x, c: x / c,
    "c / x": lambda x, c: c / x,
    "c ** x": lambda x, c: abs(c) ** x,
}


@pytest.mark.parametrize(
    "form, number",
    [(form, number) for form in sorted(WITH_A_NUMBER) for number in (3.0, -0.5, 1e-3, 0.0) if number or "/" not in form
     and "**" not in form],  # dividing by zero is refused in the forward pass (tests/test_value.py)
)
def test_backward_through_an_op_with_a_number_gives_its_formulas_derivative(form, number):
    """backward() multiplies by a number kept on the op where the derivative is one number (x * 3); it must be the
    number the op's formula gives, at every node, and match central differences."""
    f = WITH_A_NUMBER[form]
    x = Value(1.7)
    y = f(f(x, number), number)  # two nodes of one shared op
    y.backward()
    formula = grad(y, [x])[0]  # the general walk, which reads local_grads at each node
    assert x.grad == formula
    eps = 1e-7
    numeric = (f(f(Value(1.7 + eps), number), number).data - f(f(Value(1.7 - eps), number), number).data) / (2 * eps)
    assert x.grad == pytest.approx(numeric, rel=1e-5, abs=1e-9)
