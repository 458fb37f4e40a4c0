"""`Value`: one scalar in a computational graph, a drop-in for micrograd's."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from . import scalar_ops as ops
from .graph import backpropagate, check_forward, state, topological_order

Number = int | float


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back.

    ``data`` is the number, ``grad`` is d(output)/d(this) after ``output.backward()``,
    ``parents`` the Values it was computed from and ``local_grads`` the local
    derivative along each of those edges (worked out from the op's formula when
    read, so the forward pass stores nothing extra).
    """

    __slots__ = ("data", "grad", "label", "parents", "scope", "_fn")

    def __init__(self, data: Number, label: str = "") -> None:
        if isinstance(data, Value):
            data = data.data
        elif not isinstance(data, numbers.Real):
            raise TypeError(f"Value() takes a real number, got {type(data).__name__} {data!r}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.parents: tuple[Value, ...] = ()
        self.scope = state.scope
        self._fn: ops.Op | None = None

    @staticmethod
    def apply(op: ops.Op, *inputs: Value) -> Value:
        """The Value `op` computes from `inputs`, with its local derivatives recorded."""
        out = Value.__new__(Value)
        arity = len(inputs)
        if arity == 2:
            out.data = op.forward(inputs[0].data, inputs[1].data)
        elif arity == 1:
            out.data = op.forward(inputs[0].data)
        else:
            out.data = op.forward(*[x.data for x in inputs])
        out.grad = 0.0
        out.label = ""
        record = state
        out.scope = record.scope
        if record.recording:
            out.parents = inputs
            out._fn = op
            if record.anomaly:
                check_forward(out)
        else:
            out.parents = ()
            out._fn = None
        return out

    @staticmethod
    def apply_pairwise(op: ops.Op, lefts: Iterable[Value], rights: Iterable[Value]) -> list[Value]:
        """``[Value.apply(op, a, b) for a, b in zip(lefts, rights)]`` in one tight loop (a neuron's products)."""
        record = state
        if not record.recording or record.anomaly:
            return [Value.apply(op, a, b) for a, b in zip(lefts, rights)]
        new, forward, scope = Value.__new__, op.forward, record.scope
        outs = []
        for a, b in zip(lefts, rights):
            out = new(Value)
            out.data = forward(a.data, b.data)
            out.grad = 0.0
            out.label = ""
            out.scope = scope
            out.parents = (a, b)
            out._fn = op
            outs.append(out)
        return outs

    # --- the graph protocol ---
    @property
    def op(self) -> str:
        """The name of the op that made this Value ("" for a leaf)."""
        return self._fn.name if self._fn is not None else ""

    _needs_grad = True
    is_parameter = False

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, at the current values."""
        if self._fn is None:
            return ()
        return self._fn.local_grads(self.data, *[p.data for p in self.parents])

    def _vjp(self, grad: Any, create_graph: bool) -> list[Any]:
        local = self._fn.local_grads(self, *self.parents) if create_graph else self.local_grads
        return [g * grad for g in local]

    def _accumulate(self, grad: float) -> None:
        if self.parents:
            self.grad = grad
        else:
            self.grad += grad

    def _reset_grad(self) -> None:
        self.grad = 0.0

    @property
    def constant(self) -> float | None:
        """The Python number this Value's op combined it with (``x * 3`` keeps 3 here), if any."""
        return getattr(self._fn, "constant", None)

    # --- micrograd's names ---
    @property
    def _op(self) -> str:
        return self.op

    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in ``grad`` on every Value this one depends on (chain rule, reverse topological order).

        Leaf gradients accumulate across calls, as in PyTorch; interior nodes hold the latest pass.
        """
        if state.anomaly:  # the general walk checks every op's backward result
            for node, grad in backpropagate(self, float(gradient)).items():
                node._accumulate(grad)
            return
        order = topological_order(self)
        for node in order:
            if node.parents:
                node.grad = 0.0
        self.grad += float(gradient)
        _chain_rule_in_place(order)

    # --- arithmetic: a Python number on either side stays on the op, not in the graph ---
    def __add__(self, other: Value | Number) -> Value:
        return _binary(ops.ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return _binary(ops.ADD, other, self)

    def __sub__(self, other: Value | Number) -> Value:
        return _binary(ops.SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _binary(ops.SUB, other, self)

    def __mul__(self, other: Value | Number) -> Value:
        return _binary(ops.MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _binary(ops.MUL, other, self)

    def __truediv__(self, other: Value | Number) -> Value:
        return _binary(ops.DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _binary(ops.DIV, other, self)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value.apply(ops.POW, self, other)
        exponent = _number(other)
        return NotImplemented if exponent is None else Value.apply(ops.PowConst(exponent), self)

    def __rpow__(self, other: Number) -> Value:
        return _binary(ops.POW, other, self)

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
        return self.data

    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"


class Parameter(Value):
    """A Value a model learns (a weight or a bias), as opposed to an input."""

    __slots__ = ()
    is_parameter = True


class Constant(Value):
    """A Python number that took part in an op: a leaf that is not a variable, so gets no gradient."""

    __slots__ = ()
    _needs_grad = False

    @property
    def grad(self) -> float:
        """Always 0.0: gradients that reach a constant are dropped."""
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass


def _chain_rule_in_place(order: list[Value]) -> None:
    """Add each node's share of the gradient into its parents' ``grad``, last node first.

    `backward()`'s hot path: the same local derivatives as `Value._vjp`, but written
    straight into the parents, with the common one- and two-parent cases unrolled.
    """
    node = None
    try:
        for node in reversed(order):
            parents = node.parents
            if not parents:
                continue
            grad = node.grad
            if len(parents) == 2:
                a, b = parents
                da, db = node._fn.local_grads(node.data, a.data, b.data)
                a.grad += da * grad
                b.grad += db * grad
            elif len(parents) == 1:
                a = parents[0]
                (da,) = node._fn.local_grads(node.data, a.data)
                a.grad += da * grad
            else:
                local = node._fn.local_grads(node.data, *[p.data for p in parents])
                for parent, d in zip(parents, local):
                    parent.grad += d * grad
    except (ArithmeticError, ValueError, TypeError) as error:
        raise type(error)(f"in the backward pass of op {node.op!r}: {error}") from error


def _number(x: Any) -> float | None:
    kind = type(x)
    if kind is float or kind is int:
        return float(x)
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return float(x)
    return None


def _binary(op: ops.Op, left: Any, right: Any) -> Value:
    """`left op right` where at least one side is a Value and the other may be a number."""
    if isinstance(left, Value):
        if isinstance(right, Value):
            return Value.apply(op, left, right)
        constant = _number(right)
        return NotImplemented if constant is None else Value.apply(ops.with_constant(op, constant, False), left)
    constant = _number(left)
    return NotImplemented if constant is None else Value.apply(ops.with_constant(op, constant, True), right)


def _as_value(x: Any) -> Value | None:
    """`x` itself if it is a Value, a Constant if it is a number, else None."""
    if isinstance(x, Value):
        return x
    constant = _number(x)
    return None if constant is None else Constant(constant)
