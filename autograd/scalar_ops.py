"""The scalar ops: each one's forward value and local derivatives, side by side.

`forward` takes floats. `local_grads(out, *inputs)` returns d out / d input for
each input and is written with arithmetic only, so the same formula runs on
floats (every forward pass) and on `Value`s (``autograd.grad(create_graph=True)``,
where the derivatives become a graph of their own).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from operator import mul
from typing import Any

from .graph import one_gradient_each


def add_in_order(terms: Iterable[Any], start: Any) -> Any:
    """start + t₀ + t₁ + …, rounded after each addition, as a chain of ``+`` nodes (micrograd's sum of Values)
    computes it."""
    total = start
    for term in terms:
        total += term
    return total


added_in_order = sum if sys.version_info < (3, 12) else add_in_order
"""`add_in_order`, as fast as can be: Python's own ``sum`` of floats adds in order up to 3.11; from 3.12 it
compensates the rounding, which is more accurate but no longer the chain's number."""


def _data(x: Any) -> float:
    return x.data if hasattr(x, "data") else x


def _log(x: Any) -> Any:
    return x.log() if hasattr(x, "data") else math.log(x)


def _wanted(out: Any, parent: Any) -> bool:
    """Whether a derivative for `parent` is needed: always for numbers (a first-order pass), and under
    ``create_graph=True`` (`out` a Value) only for a parent that takes a gradient. A constant's derivative
    is dropped, so one too large for a float (``2 ** x`` in the base, ``x ** Constant(c)`` in the exponent)
    must not stop the pass."""
    return not hasattr(out, "data") or getattr(parent, "requires_grad", False)


def _power_derivative(out: Any, a: Any, c: Any) -> Any:
    """c · a^(c−1), the derivative of out = a^c: as (c · out) / a where a^(c−1) alone overflows a float
    though the product need not (x^1e-300 near 0, or c = 0); ±inf where the product overflows too. On
    Values (``create_graph=True``) the power's own OverflowError stands: a graph through out / a would
    give NaN for the next derivative."""
    try:
        return c * a ** (c - 1)
    except OverflowError:
        if hasattr(a, "data"):
            raise
        return c * out / a


class Op:
    """A differentiable scalar operation; subclass it to define your own."""

    __slots__ = ()

    @property
    def name(self) -> str:
        """How drawings and error messages name the op (subclasses set it as a class attribute)."""
        return "?"

    def forward(self, *inputs: Any, **options: Any) -> Any:
        """The result from the inputs' numbers (subclasses name their inputs)."""
        raise NotImplementedError

    def local_grads(self, out: Any, *inputs: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    affine_inputs: tuple[int, ...] = ()
    """The inputs (by position) the result is affine in: the derivative along each reads neither that input nor
    the result, so with the other inputs fixed to numbers it is one number (``x * 3`` has 3 on every edge)."""

    def backward(self, out: float, grad: float, parents: tuple[Any, ...]) -> None:
        """One chain-rule step: add `grad` times d out / d parent into each parent's ``grad``.

        Worked out from `local_grads`; an op overrides it only where a benchmark shows it pays, and the
        two must agree: `Value.backward()` (and micrograd's ``_backward()``) call it for an op of three
        or more inputs, while ops of one or two inputs, `autograd.grad` and `detect_anomaly` go through
        `local_grads`. `autograd.gradcheck` checks both ways against central differences.
        """
        local_grads = self.local_grads(out, *[p.data for p in parents])
        one_gradient_each(self.name, local_grads, parents)
        for parent, local in zip(parents, local_grads):
            parent.grad += local * grad


class Add(Op):
    __slots__ = ()
    name = "+"
    affine_inputs = (0, 1)

    def forward(self, a, b):
        return a + b

    def local_grads(self, out, a, b):
        return (1.0, 1.0)


class Sub(Op):
    __slots__ = ()
    name = "-"
    affine_inputs = (0, 1)

    def forward(self, a, b):
        return a - b

    def local_grads(self, out, a, b):
        return (1.0, -1.0)


class Mul(Op):
    __slots__ = ()
    name = "*"
    affine_inputs = (0, 1)

    def forward(self, a, b):
        return a * b

    def local_grads(self, out, a, b):
        return (b, a)


class Div(Op):
    __slots__ = ()
    name = "/"
    affine_inputs = (0,)

    def forward(self, a, b):
        if b == 0:
            raise ZeroDivisionError(f"op '/' divides {a!r} by zero")
        return a / b

    def local_grads(self, out, a, b):
        return (1.0 / b if _wanted(out, a) else 0.0, -out / b if _wanted(out, b) else 0.0)  # -a/b², b² not formed


class Neg(Op):
    __slots__ = ()
    name = "neg"

    def forward(self, a):
        return -a

    def local_grads(self, out, a):
        return (-1.0,)


class PowConst(Op):
    """x ** c for a number c, kept on the op rather than as a graph node."""

    __slots__ = ("exponent",)

    constant_first = False

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    @property
    def name(self) -> str:
        return f"**{self.exponent:g}"

    @property
    def constant(self) -> float:
        """The exponent: the number this op combines its one input with, as for ``x * 3``."""
        return self.exponent

    def forward(self, a):
        c = self.exponent
        if a == 0 and c < 0:
            raise ZeroDivisionError(f"op '**' raises zero to the negative power {c!r}")
        if a < 0 and math.isfinite(c) and c != int(c):  # a NaN or inf exponent goes through, as in NumPy
            raise ValueError(f"op '**' raises the negative number {a!r} to the non-integer power {c!r}")
        try:
            return a**c
        except OverflowError:
            raise OverflowError(f"op '**' overflows a float: {a!r} ** {c!r}") from None

    def local_grads(self, out, a):
        c = self.exponent
        if c == 0:
            return (0.0,)
        if _data(a) == 0 and c < 1:
            if hasattr(a, "data"):  # create_graph: a bare inf would differentiate as a constant, to 0
                raise ValueError(
                    f"op '**{c:g}': its derivative at 0 is infinite, and an infinite derivative cannot be "
                    f"differentiated again (create_graph=True)"
                )
            return (math.inf,)
        return (_power_derivative(out, a, c),)


class Pow(Op):
    """a ** b where the exponent is a Value too: the base must be positive, as the derivative in the exponent,
    out · log(a), needs (refused in the forward pass, before a graph is built that backward could not go through)."""

    __slots__ = ()
    name = "**"

    def forward(self, a, b):
        if a <= 0:
            raise ValueError(f"op '**' with a Value exponent needs a positive base, got {a!r}")
        try:
            return a**b
        except OverflowError:
            raise OverflowError(f"op '**' overflows a float: {a!r} ** {b!r}") from None

    def local_grads(self, out, a, b):
        return (
            _power_derivative(out, a, b) if _wanted(out, a) else 0.0,
            out * _log(a) if _wanted(out, b) else 0.0,
        )


class Exp(Op):
    __slots__ = ()
    name = "exp"

    def forward(self, a):
        try:
            return math.exp(a)
        except OverflowError:
            raise OverflowError(f"op 'exp' overflows a float at {a!r} (the largest input is about 709.78)") from None

    def local_grads(self, out, a):
        return (out,)


class Log(Op):
    __slots__ = ()
    name = "log"

    def forward(self, a):
        if a <= 0:
            raise ValueError(f"op 'log' needs a positive number, got {a!r}")
        return math.log(a)

    def local_grads(self, out, a):
        return (1.0 / a,)


class ReLU(Op):
    __slots__ = ()
    name = "relu"

    def forward(self, a):
        return 0.0 if a <= 0 else a  # NaN is not <= 0, so it goes through

    def local_grads(self, out, a):
        return (1.0 if _data(a) > 0 else 0.0,)


class Tanh(Op):
    __slots__ = ()
    name = "tanh"

    def forward(self, a):
        return math.tanh(a)

    def local_grads(self, out, a):
        return (1.0 - out * out,)


class Sigmoid(Op):
    __slots__ = ()
    name = "sigmoid"

    def forward(self, a):
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    def local_grads(self, out, a):
        return (out * (1.0 - out),)


class Step(Op):
    """Heaviside step, the perceptron's activation: flat almost everywhere, so no gradient."""

    __slots__ = ()
    name = "step"

    def forward(self, a):
        return 1.0 if a > 0 else 0.0 if a <= 0 else a  # NaN stays NaN

    def local_grads(self, out, a):
        return (0.0,)


class Sum(Op):
    """The n-ary sum: one node for a neuron's whole weighted sum."""

    __slots__ = ()
    name = "sum"
    _ones: dict[int, tuple[float, ...]] = {}

    def forward(self, *inputs):
        return added_in_order(inputs, 0.0)  # not math.fsum, which refuses inf + -inf where every other op gives NaN

    def local_grads(self, out, *inputs):
        ones = self._ones.get(len(inputs))
        if ones is None:
            ones = self._ones[len(inputs)] = (1.0,) * len(inputs)
        return ones


class Dot(Op):
    """A neuron's weighted sum w₀x₀ + … + wₙ₋₁xₙ₋₁ + b as one node, on inputs (w₀…wₙ₋₁, x₀…xₙ₋₁, b).

    The local derivative along each edge is the other factor of its product: xᵢ for wᵢ,
    wᵢ for xᵢ, and 1 for b. One node instead of 2n (n products and n additions), with the
    same numbers on its edges as the products would have.
    """

    __slots__ = ()
    name = "w·x+b"

    def forward(self, *inputs):
        n = len(inputs) // 2
        return self.weighted_sum(inputs[:n], inputs[n:-1], inputs[-1])

    @staticmethod
    def weighted_sum(weights, inputs, bias):
        """The forward pass on the three groups as a neuron keeps them (`forward` on them laid end to end):
        a neuron calls it directly, which spares building one tuple of all 2n + 1 numbers per sample, half
        of a 16-input neuron's forward."""
        return added_in_order(map(mul, weights, inputs), bias)

    def local_grads(self, out, *inputs):
        n = len(inputs) // 2
        return (*inputs[n:-1], *inputs[:n], 1.0)

    def backward(self, out, grad, parents):
        # local_grads' formula read straight off the parents: half the time of the general step for a
        # 16-input neuron, and a neuron is most of a network's nodes
        n = len(parents) // 2
        for w, x in zip(parents[:n], parents[n:-1]):
            w.grad += x.data * grad
            x.grad += w.data * grad
        parents[-1].grad += grad


class WithConstant(Op):
    """A binary op with one operand fixed to a Python number, kept on the op rather than as a node."""

    __slots__ = ("op", "constant", "constant_first", "fixed_grad")

    def __init__(self, op: Op, constant: float, constant_first: bool) -> None:
        self.op = op
        self.constant = constant
        self.constant_first = constant_first
        self.fixed_grad = self._fixed_grad()
        """d out / d a when it is the same number for every a (``a + 3``, ``a * 3``, ``a / 3``, ``3 - a``), else
        None: `Value.backward()` then multiplies by it without calling `local_grads` at each node."""

    def _fixed_grad(self) -> float | None:
        variable = 1 if self.constant_first else 0
        if variable not in self.op.affine_inputs:
            return None
        try:  # NaN stands for a and out, which the op's formula for this edge does not read
            return self.local_grads(math.nan, math.nan)[0]
        except ArithmeticError:  # ``a / 0``, which the forward pass refuses anyway
            return None

    @property
    def name(self) -> str:
        return self.op.name

    def forward(self, a):
        return self.op.forward(self.constant, a) if self.constant_first else self.op.forward(a, self.constant)

    def local_grads(self, out, a):
        if self.constant_first:
            return (self.op.local_grads(out, self.constant, a)[1],)
        return (self.op.local_grads(out, a, self.constant)[0],)


_bound: tuple[dict[Op, dict[float, WithConstant]], dict[Op, dict[float, WithConstant]]] = ({}, {})
"""The shared `WithConstant`s: by whether the number comes first, then by op, then by the number."""


def shared_with_constant(op: Op, constant_first: bool) -> dict[float, WithConstant]:
    """The shared `WithConstant`s of `op` by number, which `with_constant` fills (a fast path reads it first)."""
    by_number = _bound[constant_first].get(op)
    if by_number is None:
        by_number = _bound[constant_first][op] = {}
    return by_number


def with_constant(op: Op, constant: float, constant_first: bool) -> WithConstant:
    """A shared `WithConstant` for the few constants a program uses over and over."""
    by_number = shared_with_constant(op, constant_first)
    bound = by_number.get(constant)
    if bound is None:
        bound = WithConstant(op, constant, constant_first)
        if len(by_number) < 1024 and constant != 0:  # 0.0 == -0.0, but they must stay apart
            by_number[constant] = bound
    return bound


ADD, SUB, MUL, DIV, NEG, POW = Add(), Sub(), Mul(), Div(), Neg(), Pow()
EXP, LOG, RELU, TANH, SIGMOID, STEP, SUM, DOT = Exp(), Log(), ReLU(), Tanh(), Sigmoid(), Step(), Sum(), Dot()
