"""`Value`: one scalar in a computational graph, a drop-in for micrograd's."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import numpy as np

from . import scalar_ops as ops
from .graph import (
    IdentityNode,
    add_context,
    backpropagate,
    check_forward,
    named,
    own_op,
    records_in_this_thread,
    state,
    topological_order,
)

Number = int | float
_isfinite = math.isfinite
_new_object = object.__new__  # a module global is found faster than the class attribute Value.__new__
_WithConstant = ops.WithConstant
_compact_parents = attrgetter("_parents")  # what `topological_order` reads in `backward()`: no 1-tuple per node


def _arithmetic(op: ops.Op, name: str) -> Callable[[Value, Any], Value]:
    """The dunder method `name` for the binary `op`: ``self op other``, or ``other op self`` when
    `name` is a reflected one such as ``__radd__``.

    A Python number `other` is kept on a shared `WithConstant` op, not made a node. One function
    per dunder (not a shared helper called from each), and the number goes straight into `op`'s own
    forward (what `WithConstant.forward` does), because every op of a scalar graph goes through
    here: each Python call fewer is a tenth of the forward pass.
    """
    reflected = name.startswith("__r")
    shared = ops.shared_with_constant(op, reflected)
    forward = op.forward
    what = f"op {op.name!r}"  # how an error about the number names the op, written once

    def method(self: Value, other: Any) -> Value:
        kind = type(other)
        if kind is float or kind is int:
            bound = shared.get(other) or ops.with_constant(op, as_float(other, what), reflected)
        elif isinstance(other, Value):
            return Value.apply(op, other, self) if reflected else Value.apply(op, self, other)
        else:
            number = _number(other, what)
            if number is None:
                return NotImplemented
            bound = ops.with_constant(op, number, reflected)
        constant = bound.constant
        data = forward(constant, self.data) if reflected else forward(self.data, constant)
        return _record(bound, data, self)

    method.__name__, method.__qualname__ = name, f"Value.{name}"
    return method


class Value(IdentityNode):
    """A scalar that remembers how it was computed, so gradients can flow back.

    ``data`` is the number, ``grad`` is d(output)/d(this) after ``output.backward()``,
    ``parents`` the Values it was computed from and ``local_grads`` the local
    derivative along each of those edges (worked out from the op's formula when
    read, so the forward pass stores nothing extra).

    ``Value(2.0)``, ``Value(2.0, "x")`` and ``Value(2.0, label="x")`` make a leaf; so does
    micrograd's ``Value(2.0, (), "")`` (a graph grows only through ops). An op whose inputs
    are finite but whose result is not (overflow, division by zero) raises an error naming
    the op; NaN and inf inputs go through every op as NaN and inf, except where the op's own
    rule refuses them as it refuses finite numbers (dividing by zero, the log of −inf, a
    fractional power of −inf).
    """

    __slots__ = ("data", "grad", "label", "scope", "_fn", "_parents", "_pass")
    # `_parents` is the parent itself for a one-parent op and a tuple otherwise: a tuple is one more
    # object for Python's cyclic GC to walk on every full collection, and most nodes have one parent.
    # `_pass` is, on an op's result, the latest backward pass through it (`_start_pass`), else None.
    _pass: _Pass | None

    requires_grad = True
    """Gradients flow into every Value but a constant (numbers, and results computed under no_grad)."""
    is_parameter = False
    """True for what a model learns (`Parameter`), False for inputs and results."""

    def __init__(self, data: Number, *positional: Any, label: str = "") -> None:
        if positional:
            label = _label_from(positional, label)
        if not isinstance(label, str):
            raise TypeError(f"Value() label must be a str, got {type(label).__name__} {label!r}")
        if isinstance(data, Value):
            raise TypeError(
                f"Value() of a Value would cut it from its graph: use the Value itself, or Value(v.data) for a new "
                f"leaf holding its number ({data.data:g})"
            )
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self.scope = state.scope
        self._fn: ops.Op | None = None
        self._parents: Value | tuple[Value, ...] = ()
        self._pass = None

    @staticmethod
    def apply(op: ops.Op, *inputs: Value) -> Value:
        """The Value `op` computes from `inputs`, with its local derivatives recorded.

        Under `no_grad` the result is a `Constant`: a leaf that takes no gradient.
        """
        arity = len(inputs)
        if not arity:
            _refuse_inputs(op, inputs)
        try:
            if arity == 1:
                return _record(op, op.forward(inputs[0].data), inputs[0])
            if arity == 2:
                return _record(op, op.forward(inputs[0].data, inputs[1].data), inputs)
            return _record(op, op.forward(*[x.data for x in inputs]), inputs)
        except (AttributeError, TypeError):  # a number or array given for a Value (an ndarray's data is a buffer)
            _refuse_inputs(op, inputs)
            raise

    @staticmethod
    def record(op: ops.Op, data: float, inputs: tuple[Value, ...]) -> Value:
        """The Value holding `data`, which is ``op.forward`` of the inputs' data, recorded as `op` of `inputs`.

        `apply` in two halves, for callers that already hold the inputs' numbers (a layer reads its
        inputs once for all its neurons).
        """
        return _record(op, data, inputs[0] if len(inputs) == 1 else inputs)

    # --- the graph protocol (autograd.graph.Node) ---
    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in the op's order (empty for a leaf)."""
        parents = self._parents
        return parents if isinstance(parents, tuple) else (parents,)

    @property
    def op(self) -> str:
        """The name of the op that made this Value ("" for a leaf)."""
        return self._fn.name if self._fn is not None else ""

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, from the op's formula at this node's stored result and its
        parents' numbers: meaningful while the graph is current (see `recomputed`)."""
        if self._fn is None:
            return ()
        return self._fn.local_grads(self.data, *[p.data for p in self.parents])

    def recomputed(self) -> float | None:
        """This Value's op applied to its parents' numbers now (``data`` itself for a leaf), or None for an op
        of your own (`Op` subclass), whose forward may be random or not written at all.

        It differs from ``data`` once an input changed after this Value was computed (an optimizer
        step, ``w.data = ...``): the graph is then stale, and a picture or a backward pass of it would
        mix old and new numbers. `viz` refuses to draw such a graph.
        """
        fn = self._fn
        if fn is None:
            return self.data
        inner = fn.op if isinstance(fn, _WithConstant) else fn  # x * 3 runs `*` with 3 kept on a WithConstant
        if not own_op(inner):
            return None
        return fn.forward(*[p.data for p in self.parents])

    def __setstate__(self, state: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> None:
        """Unpickle (``copy.deepcopy`` too), a Value pickled before it had a `_pass` included: the slots given, and
        the attributes of a subclass's instance dict."""
        self._pass = None
        instance, slots = state if isinstance(state, tuple) else (state, None)
        if instance:
            self.__dict__.update(instance)
        for name, value in (slots or {}).items():
            setattr(self, name, value)

    def changed_inputs(self) -> str | None:
        """Which leaf of this Value's graph holds another number than at the previous backward pass through the
        graph (a weight a step updated since), in words; None if none does, or no backward pass went through it.

        `backward()` refuses to run through such a graph again, from this Value or from a new one built on it, and
        `viz` to draw it: its results come from the old numbers, and its local derivatives would read the new ones.
        """
        return _leaf_change(topological_order(self, _compact_parents))

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
        if not create_graph:
            return [g * grad for g in self.local_grads]
        parents = self.parents
        if not any(p.requires_grad for p in parents):  # a power of a constant, say: nothing to differentiate
            return [0.0] * len(parents)
        return [g * grad for g in self._fn.local_grads(self, *parents)]

    def accumulate_grad(self, grad: float) -> None:
        """Store a gradient from a backward pass: leaves add it up, interior nodes keep the latest pass."""
        if self._fn is not None:
            self.grad = grad
        else:
            self.grad += grad

    def zero_grad(self) -> None:
        """Forget the stored gradient."""
        self.grad = 0.0

    def backward(self, gradient: float = 1.0) -> None:
        """Fill in ``grad`` on every Value this one depends on (chain rule, reverse topological order).

        Leaf gradients accumulate across calls, as in PyTorch; interior nodes hold the latest pass.
        RuntimeError if a leaf holds another number than at a previous backward pass through this Value's graph
        (a weight updated since, by an optimizer or by ``w.data -= ...``): the local derivatives would
        mix its new number with results computed from the old one.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Value that does not require grad: it is a constant, or was computed under "
                "no_grad(); build the graph outside no_grad()"
            )
        try:
            seed = _as_float(gradient, "backward()'s gradient")
        except TypeError:
            raise TypeError(
                f"backward() takes a real number as the gradient, got {type(gradient).__name__} {gradient!r}"
            ) from None
        self._run_backward(seed, through_ops=not state.anomaly)  # the general walk checks every op's result

    def _run_backward(self, seed: float, through_ops: bool) -> None:
        """`backward()` once its gradient is checked: through each op's own chain-rule step (`through_ops`, the
        hot path, where an op may have a `backward` of its own), or through `backpropagate` and the ops'
        `local_grads` (which detect_anomaly checks at every op)."""
        order = topological_order(self, _compact_parents)
        _refuse_if_leaves_changed(order)  # before any gradient is written
        _start_pass(order, zero_interior=True)
        if not through_ops:
            for node, grad in backpropagate(self, seed).items():
                node.accumulate_grad(grad)
            return
        self.grad += seed
        _chain_rule_in_place(order)

    # --- micrograd's names ---
    @property
    def _op(self) -> str:
        return self.op

    @property
    def _prev(self) -> set[Value]:
        return set(self.parents)

    def _backward(self) -> None:
        """micrograd's one step of the chain rule: add this node's share of ``grad`` into its parents, exactly as
        `backward()` does at this node."""
        _chain_rule_in_place([self])

    # --- arithmetic: a Python number on either side stays on the op, not in the graph ---
    __add__ = _arithmetic(ops.ADD, "__add__")
    __radd__ = _arithmetic(ops.ADD, "__radd__")
    __sub__ = _arithmetic(ops.SUB, "__sub__")
    __rsub__ = _arithmetic(ops.SUB, "__rsub__")
    __mul__ = _arithmetic(ops.MUL, "__mul__")
    __rmul__ = _arithmetic(ops.MUL, "__rmul__")
    __truediv__ = _arithmetic(ops.DIV, "__truediv__")
    __rtruediv__ = _arithmetic(ops.DIV, "__rtruediv__")

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):
            return Value.apply(ops.POW, self, other)
        exponent = _number(other, "op '**'")
        return NotImplemented if exponent is None else Value.apply(ops.PowConst(exponent), self)

    __rpow__ = _arithmetic(ops.POW, "__rpow__")

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

    def __bool__(self) -> bool:
        """The truth of the number, as for a float, a NumPy scalar or a one-number Tensor (``if v:`` was always
        True, whatever ``v`` held)."""
        return bool(self.data)

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
    """A leaf that takes no gradient: a number given to `autograd.sum`, or (as `Unrecorded`) a result computed
    under no_grad. (``x * 3`` keeps 3 on its op, not as a node.)"""

    __slots__ = ()
    requires_grad = False

    @property
    def grad(self) -> float:
        """Always 0.0: gradients that reach a constant are dropped."""
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass


class Unrecorded(Constant):
    """A result computed under no_grad: a Constant whose op was not recorded, so no gradient reaches what it
    was computed from (`autograd.grad` refuses to differentiate it, as `backward()` refuses any constant)."""

    __slots__ = ()


def _refuse_inputs(op: ops.Op, inputs: tuple[Any, ...]) -> None:
    """TypeError naming what `Value.apply` was given in place of a Value (which has no ``data``), if anything."""
    if not inputs:
        raise TypeError(f"Value.apply(): op {getattr(op, 'name', op)!r} takes one or more Values, got none")
    for position, given in enumerate(inputs):
        if not isinstance(given, Value):
            raise TypeError(
                f"Value.apply(): op {getattr(op, 'name', op)!r} takes Values, got {type(given).__name__} {given!r} "
                f"at position {position} (a number is Value(number))"
            )


def _record(op: ops.Op, data: float, parents: Value | tuple[Value, ...]) -> Value:
    """`Value.record`: the one place an op's result node is made (an `Unrecorded` constant under no_grad).

    `parents` is the one parent itself, or a tuple of two or more.
    """
    if not _isfinite(data):
        _check_result(op, data, parents)
    record = state
    recording = record.recording or records_in_this_thread()
    if recording:
        out = _new_object(Value)
        out._parents = parents
        out._fn = op
    else:
        out = _new_object(Unrecorded)
        out._parents = ()
        out._fn = None
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.scope = record.scope
    out._pass = None
    if record.anomaly and recording:
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
            parents, grad = node._parents, node.grad
            if not isinstance(parents, tuple):
                if fn.__class__ is _WithConstant:  # `WithConstant.local_grads`, one Python call fewer
                    da = fn.fixed_grad
                    if da is not None:  # the same number at every node of the op (``x * 3``)
                        parents.grad += da * grad
                        continue
                    inner, constant = fn.op, fn.constant
                    if fn.constant_first:
                        da = inner.local_grads(node.data, constant, parents.data)[1]
                    else:
                        da = inner.local_grads(node.data, parents.data, constant)[0]
                else:
                    (da,) = fn.local_grads(node.data, parents.data)
                parents.grad += da * grad
            elif len(parents) == 2:
                a, b = parents
                da, db = fn.local_grads(node.data, a.data, b.data)
                a.grad += da * grad
                b.grad += db * grad
            else:
                fn.backward(node.data, grad, parents)
    except (ArithmeticError, ValueError, TypeError) as error:
        if node is not None:
            add_context(error, node.op, "backward")
        raise


class _Pass:
    """A backward pass: the leaves of its graph and their numbers then, kept on every op's result it went through."""

    __slots__ = ("leaves", "numbers")

    def __init__(self) -> None:
        self.leaves: list[Value] = []
        self.numbers: list[float] = []


def _start_pass(order: list[Value], zero_interior: bool) -> None:
    """Record a backward pass through the graph walked in `order` on each of its ops' results (with
    `zero_interior`, resetting their gradients, which the pass fills), for `_leaf_change` to read at the next."""
    record = _Pass()
    leaves, numbers = record.leaves.append, record.numbers.append
    for node in order:
        if node._fn is not None:  # interior (`node._parents` may be a lone parent, whose truth is its number)
            node._pass = record
            if zero_interior:
                node.grad = 0.0
        else:
            leaves(node)
            numbers(node.data)


def _refuse_if_leaves_changed(order: list[Value], caller: str = "backward()") -> None:
    """RuntimeError if a leaf of the graph walked in `order` (a weight) holds another number than at a previous
    backward pass through it, which left the graph stale: `local_grads` read the leaves' numbers now, while the
    results of the ops were computed from the old ones. A loss computed once before a training loop, say, or a
    prediction computed once that each step's loss is built on.

    (`Tensor` ops keep the arrays they read, and a Tensor counts the optimizer steps that change it in place.)"""
    change = _leaf_change(order)
    if change is not None:
        raise RuntimeError(
            f"{caller} again through a graph whose inputs changed: {change} (a step updated it, say); the ops' "
            f"results come from the old numbers and would mix with the new: run the forward pass again and call "
            f"{caller} on the new result"
        )


def _leaf_change(order: list[Value]) -> str | None:
    """Which leaf holds another number than at a previous backward pass through an op's result in `order` that
    depends on it, in words; None if none does, or no pass went through one (a leaf alone, a graph of no op, is
    never stale). NaN stays NaN."""
    records: dict[int, _Pass] = {}
    last = None
    for node in order:
        record = node._pass
        if record is not None and record is not last:
            records[id(record)] = last = record
    for record in records.values():
        pairs = zip(record.leaves, record.numbers)
        changed = {id(leaf): (leaf, old) for leaf, old in pairs if _differs(old, leaf.data)}
        if changed:  # stale where a node of that pass depends on one: a mark spread from them along `order`
            found = _stale_node(order, record, changed)
            if found is not None:
                leaf, old = found
                return f"{named(leaf)} was {old!r} at the previous backward pass through this graph and is " \
                       f"{leaf.data!r} now"
    return None


def _differs(old: float, new: float) -> bool:
    return old is not new and old != new and not (old != old and new != new)


def _stale_node(order: list[Value], record: _Pass, changed: dict[int, tuple[Value, float]]) -> tuple | None:
    """(leaf, old number) for a changed leaf that an op's result `record` went through depends on, or None."""
    beneath: dict[int, tuple[Value, float]] = dict(changed)  # node -> a changed leaf it depends on
    for node in order:
        if node._fn is None:
            continue
        parents = node._parents
        for parent in parents if isinstance(parents, tuple) else (parents,):
            leaf = beneath.get(id(parent))
            if leaf is not None:
                if node._pass is record:
                    return leaf
                beneath[id(node)] = leaf
                break
    return None


def _check_result(op: ops.Op, data: float, parents: Value | tuple[Value, ...]) -> None:
    """Raise OverflowError when finite inputs gave a result that is not (NaN and inf inputs go through)."""
    inputs = parents if isinstance(parents, tuple) else (parents,)
    constant = getattr(op, "constant", 0.0)
    if all(_isfinite(x.data) for x in inputs) and _isfinite(constant):
        operands = ", ".join(repr(x.data) for x in inputs)
        if isinstance(op, ops.WithConstant):
            operands += f" and the constant {op.constant!r}"
        raise OverflowError(f"op {op.name!r} overflows a float: it gives {data!r} from {operands}")


def _as_float(data: Any, what: str = "Value()") -> float:
    """A number from a Value, a real number, a NumPy scalar or a 0-d array; anything else is a TypeError (an int
    beyond any float an OverflowError naming `what`)."""
    if isinstance(data, Value):
        return data.data
    if isinstance(data, numbers.Real):
        return as_float(data, what)
    dtype = getattr(data, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "") in "biuf" and getattr(data, "ndim", None) == 0:
        if getattr(data, "mask", False):  # numpy.ma.masked, whose float() is a NaN with only a warning
            raise TypeError("Value() takes a real number, got a masked entry (numpy.ma.masked), which holds none")
        return as_float(data[()], what)  # a longdouble beyond any float is an OverflowError, as its scalar is
    raise TypeError(f"Value() takes a real number, got {type(data).__name__} {data!r}")


def _label_from(extra: tuple[Any, ...], label: str) -> str:
    """The label from the positional arguments after the number: chainrule's ``(label,)`` or
    micrograd's ``(children, op[, label])``, where a leaf's children must be empty."""
    first = extra[0]
    if isinstance(first, str) and len(extra) == 1:
        if label and first:
            raise TypeError(f"Value() got two labels, {first!r} and label={label!r}: give one")
        return first or label
    if isinstance(first, (tuple, list, set, frozenset)) and len(extra) <= 3:
        if first:
            raise TypeError(
                "Value() takes no children: a graph grows through ops (a + b, a * b, a.tanh(), ...), "
                "so make a leaf with Value(x) or micrograd's Value(x, (), '')"
            )
        if len(extra) == 3:
            if label and extra[2]:
                raise TypeError(f"Value() got two labels, {extra[2]!r} and label={label!r}: give one")
            return extra[2] or label
        return label
    raise TypeError(
        f"Value() takes a number and a label, Value(2.0, 'x'), or micrograd's Value(2.0, (), ''); "
        f"got extra arguments {extra!r}"
    )


def _number(x: Any, what: str = "a Value op") -> float | None:
    """`x` as a float when it is a real number (`what` takes it: an error names it), else None."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, Value):
        return as_float(x, what)
    if getattr(x, "ndim", None) == 0 and getattr(x, "mask", False):  # not left to NumPy, which reads it as 0
        raise TypeError(f"{what} takes a real number, got a masked entry (numpy.ma.masked), which holds none")
    return None


def as_float(x: Any, what: str) -> float:
    """`float(x)`, or an OverflowError naming `what` for a finite number beyond any float: Python's own message
    for an int names neither the op nor the number, and a NumPy longdouble such as 1e400 would become inf."""
    try:
        number = float(x)
    except OverflowError:
        number = math.inf
    if number in (math.inf, -math.inf) and _finite(x):
        if isinstance(x, int):
            shown = f"an int of {len(str(abs(x)))} digits"
        elif isinstance(x, np.floating):
            shown = f"{type(x).__name__} {np.format_float_scientific(x, precision=4, trim='-')}"
        else:
            shown = f"a {type(x).__name__} beyond it"
        raise OverflowError(f"{what} takes a number a float can hold (up to about 1.8e308), got {shown}") from None
    return number


def _finite(x: Any) -> bool:
    """Whether the number `x` is finite, read without converting it to a float (which may overflow)."""
    if isinstance(x, numbers.Rational):  # ints and fractions have no infinity
        return True
    try:
        return bool(np.isfinite(x))
    except TypeError:
        return False


def _as_value(x: Any) -> Value | None:
    """`x` itself if it is a Value, a Constant if it is a number, else None."""
    if isinstance(x, Value):
        return x
    constant = _number(x)
    return None if constant is None else Constant(constant)
