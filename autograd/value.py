"""`Value`: one scalar in a computational graph, a drop-in for micrograd's."""

from __future__ import annotations

import math
import numbers
from typing import Any

from . import scalar_ops as ops
from .graph import add_context, backpropagate, check_forward, state, topological_order

Number = int | float
_isfinite = math.isfinite


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back.

    ``data`` is the number, ``grad`` is d(output)/d(this) after ``output.backward()``,
    ``parents`` the Values it was computed from and ``local_grads`` the local
    derivative along each of those edges (worked out from the op's formula when
    read, so the forward pass stores nothing extra).

    ``Value(2.0)``, ``Value(2.0, "x")`` and ``Value(2.0, label="x")`` make a leaf; so does
    micrograd's ``Value(2.0, (), "")`` (a graph grows only through ops). An op whose inputs
    are finite but whose result is not (overflow, division by zero) raises an error naming
    the op; NaN and inf inputs go through every op as NaN and inf.
    """

    __slots__ = ("data", "grad", "label", "parents", "scope", "_fn")

    requires_grad = True
    """Gradients flow into every Value but a constant (numbers, and results computed under no_grad)."""
    is_parameter = False
    """True for what a model learns (`Parameter`), False for inputs and results."""

    def __init__(self, data: Number, *positional: Any, label: str = "") -> None:
        if positional:
            label = _label_from(positional, label)
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {type(label).__name__} {label!r}")
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self.parents: tuple[Value, ...] = ()
        self.scope = state.scope
        self._fn: ops.Op | None = None

    @staticmethod
    def apply(op: ops.Op, *inputs: Value) -> Value:
        """The Value `op` computes from `inputs`, with its local derivatives recorded.

        Under `no_grad` the result is a `Constant`: a leaf that takes no gradient.
        """
        arity = len(inputs)
        if arity == 2:
            data = op.forward(inputs[0].data, inputs[1].data)
        elif arity == 1:
            data = op.forward(inputs[0].data)
        else:
            data = op.forward(*[x.data for x in inputs])
        return _record(op, data, inputs)

    @staticmethod
    def record(op: ops.Op, data: float, inputs: tuple[Value, ...]) -> Value:
        """The Value holding `data`, which is ``op.forward`` of the inputs' data, recorded as `op` of `inputs`.

        `apply` in two halves, for callers that already hold the inputs' numbers (a layer reads its
        inputs once for all its neurons).
        """
        return _record(op, data, inputs)

    # --- the graph protocol (autograd.graph.Node) ---
    @property
    def op(self) -> str:
        """The name of the op that made this Value ("" for a leaf)."""
        return self._fn.name if self._fn is not None else ""

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, at the current values."""
        if self._fn is None:
            return ()
        return self._fn.local_grads(self.data, *[p.data for p in self.parents])

    @property
    def constant(self) -> float | None:
        """The Python number this Value's op combined it with (``x * 3`` keeps 3 here), if any."""
        return getattr(self._fn, "constant", None)

    @property
    def constant_first(self) -> bool | None:
        """True for ``3 - x`` (the number is the left operand), False for ``x - 3``, None without a number."""
        return getattr(self._fn, "constant_first", None)

    def vjp(self, grad: Any, create_graph: bool = False) -> list[Any]:
        """The gradient for each parent, given this node's: local derivative times `grad`.

        With `create_graph` the local derivatives are computed from the parents as Values, so the
        result is itself a graph (for second derivatives).
        """
        if self._fn is None:
            return []
        local = self._fn.local_grads(self, *self.parents) if create_graph else self.local_grads
        return [g * grad for g in local]

    def accumulate_grad(self, grad: float) -> None:
        """Store a gradient from a backward pass: leaves add it up, interior nodes keep the latest pass."""
        if self.parents:
            self.grad = grad
        else:
            self.grad += grad

    def zero_grad(self) -> None:
        """Forget the stored gradient."""
        self.grad = 0.0

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in ``grad`` on every Value this one depends on (chain rule, reverse topological order).

        Leaf gradients accumulate across calls, as in PyTorch; interior nodes hold the latest pass.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Value that does not require grad: it is a constant, or was computed under "
                "no_grad(); build the graph outside no_grad()"
            )
        if state.anomaly:  # the general walk checks every op's backward result
            for node, grad in backpropagate(self, float(gradient)).items():
                node.accumulate_grad(grad)
            return
        order = topological_order(self)
        for node in order:
            if node.parents:
                node.grad = 0.0
        self.grad += float(gradient)
        _chain_rule_in_place(order)

    # --- micrograd's names ---
    @property
    def _op(self) -> str:
        return self.op

    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    def _backward(self) -> None:
        """micrograd's one step of the chain rule: add this node's share of ``grad`` into its parents."""
        if self._fn is not None:
            self._fn.backward(self.data, self.grad, self.parents)

    # --- arithmetic: a Python number on either side stays on the op, not in the graph ---
    def __add__(self, other: Value | Number) -> Value:
        return _combine(ops.ADD, self, other, False)

    def __radd__(self, other: Number) -> Value:
        return _combine(ops.ADD, self, other, True)

    def __sub__(self, other: Value | Number) -> Value:
        return _combine(ops.SUB, self, other, False)

    def __rsub__(self, other: Number) -> Value:
        return _combine(ops.SUB, self, other, True)

    def __mul__(self, other: Value | Number) -> Value:
        return _combine(ops.MUL, self, other, False)

    def __rmul__(self, other: Number) -> Value:
        return _combine(ops.MUL, self, other, True)

    def __truediv__(self, other: Value | Number) -> Value:
        return _combine(ops.DIV, self, other, False)

    def __rtruediv__(self, other: Number) -> Value:
        return _combine(ops.DIV, self, other, True)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value.apply(ops.POW, self, other)
        exponent = _number(other)
        return NotImplemented if exponent is None else Value.apply(ops.PowConst(exponent), self)

    def __rpow__(self, other: Number) -> Value:
        return _combine(ops.POW, self, other, True)

    def __neg__(self) -> Value:
        return Value.apply(ops.NEG, self)

    # --- functions ---
    def exp(self) -> Value:
        return Value.apply(ops.EXP, self)

    def log(self) -> Value:
        return Value.apply(ops.LOG, self)

    def relu(self) -> Value:
        return Value.apply(ops.RELU, self)

    def tanh(self) -> Value:
        return Value.apply(ops.TANH, self)

    def sigmoid(self) -> Value:
        return Value.apply(ops.SIGMOID, self)

    def step(self) -> Value:
        return Value.apply(ops.STEP, self)

    def __float__(self) -> float:
        """Refused: ``math.tanh(v)`` or ``float(v)`` would silently drop the graph (micrograd refuses too)."""
        raise TypeError(
            f"a Value is not converted to a float, which would drop its graph: read .data for the number "
            f"({self.data:g}), or use the Value's own functions, such as v.tanh() rather than math.tanh(v)"
        )

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"


class Parameter(Value):
    """A Value a model learns (a weight or a bias), as opposed to an input."""

    __slots__ = ()
    is_parameter = True


class Constant(Value):
    """A number that took part in an op, or a result computed under no_grad: a leaf that takes no gradient."""

    __slots__ = ()
    requires_grad = False

    @property
    def grad(self) -> float:
        """Always 0.0: gradients that reach a constant are dropped."""
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass


def _record(op: ops.Op, data: float, inputs: tuple[Value, ...]) -> Value:
    """`Value.record`: the one place a node is made (a `Constant` under no_grad)."""
    if not _isfinite(data):
        _check_result(op, data, inputs)
    record = state
    if record.recording:
        out = Value.__new__(Value)
        out.parents = inputs
        out._fn = op
    else:
        out = Value.__new__(Constant)
        out.parents = ()
        out._fn = None
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.scope = record.scope
    if record.anomaly and record.recording:
        check_forward(out)
    return out


def _chain_rule_in_place(order: list[Value]) -> None:
    """Add each node's share of the gradient into its parents' ``grad``, last node first.

    `backward()`'s hot path: the same local derivatives as `Value.vjp`, but written
    straight into the parents, with the common one- and two-parent cases unrolled.
    """
    node = None
    try:
        for node in reversed(order):
            fn = node._fn
            if fn is None:  # a leaf
                continue
            parents, grad = node.parents, node.grad
            if len(parents) == 2:
                a, b = parents
                da, db = fn.local_grads(node.data, a.data, b.data)
                a.grad += da * grad
                b.grad += db * grad
            elif len(parents) == 1:
                a = parents[0]
                (da,) = fn.local_grads(node.data, a.data)
                a.grad += da * grad
            else:
                fn.backward(node.data, grad, parents)
    except (ArithmeticError, ValueError, TypeError) as error:
        add_context(error, node, "backward")
        raise


def _check_result(op: ops.Op, data: float, inputs: tuple[Value, ...]) -> None:
    """Raise OverflowError when finite inputs gave a result that is not (NaN and inf inputs go through)."""
    if all(_isfinite(x.data) for x in inputs) and _isfinite(getattr(op, "constant", 0.0)):
        operands = ", ".join(repr(x.data) for x in inputs)
        raise OverflowError(f"op {op.name!r} overflows a float: it gives {data!r} from {operands}")


def _as_float(data: Any) -> float:
    """A Value's number from a real number, a NumPy scalar or a 0-d array; anything else is a TypeError."""
    if isinstance(data, Value):
        return data.data
    if isinstance(data, numbers.Real):
        return float(data)
    dtype = getattr(data, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "") in "biuf" and getattr(data, "ndim", None) == 0:
        return float(data)
    raise TypeError(f"Value() takes a real number, got {type(data).__name__} {data!r}")


def _label_from(extra: tuple[Any, ...], label: str) -> str:
    """The label from the positional arguments after the number: chainrule's ``(label,)`` or
    micrograd's ``(children, op[, label])``, where a leaf's children must be empty."""
    first = extra[0]
    if isinstance(first, str) and len(extra) == 1:
        return first
    if isinstance(first, (tuple, list, set, frozenset)) and len(extra) <= 3:
        if first:
            raise TypeError(
                "Value() takes no children: a graph grows through ops (a + b, a * b, a.tanh(), ...), "
                "so make a leaf with Value(x) or micrograd's Value(x, (), '')"
            )
        if len(extra) == 3:
            return extra[2]
        return label
    raise TypeError(
        f"Value() takes a number and a label, Value(2.0, 'x'), or micrograd's Value(2.0, (), ''); "
        f"got extra arguments {extra!r}"
    )


def _number(x: Any) -> float | None:
    kind = type(x)
    if kind is float or kind is int:
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)
    return None


def _combine(op: ops.Op, value: Value, other: Any, other_first: bool) -> Value:
    """``value op other``, or ``other op value`` when `other_first`; a number `other` stays on the op."""
    kind = type(other)
    if kind is float or kind is int:
        constant = float(other)
    elif isinstance(other, Value):
        return Value.apply(op, other, value) if other_first else Value.apply(op, value, other)
    else:
        number = _number(other)
        if number is None:
            return NotImplemented
        constant = number
    return Value.apply(ops.with_constant(op, constant, other_first), value)


def _as_value(x: Any) -> Value | None:
    """`x` itself if it is a Value, a Constant if it is a number, else None."""
    if isinstance(x, Value):
        return x
    constant = _number(x)
    return None if constant is None else Constant(constant)
