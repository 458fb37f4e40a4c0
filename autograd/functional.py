"""Graph-level functions of `Value`s: n-ary sum, gradients without side effects, gradcheck."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import scalar_ops as ops
from .graph import backpropagate, topological_order
from .tensor import Tensor
from .value import (
    Constant,
    Number,
    Unrecorded,
    Value,
    _as_value,
    _compact_parents,
    _refuse_if_leaves_changed,
    _start_pass,
)

_FOR_TENSORS = {
    "sum": "; for a Tensor, t.sum() is the sum in its graph",
    "grad": "; for a Tensor, call out.backward() and read each input's .grad (grad() is for Values, whose "
    "derivatives can be differentiated again)",
    "gradcheck": "; gradcheck checks functions of Values (for a Tensor, compare its .grad with central differences "
    "of its .data)",
}
"""What to do instead, for a Tensor given to one of these functions of Values."""


def _hint(function: str, given: Any) -> str:
    return _FOR_TENSORS[function] if isinstance(given, Tensor) else ""


def sum(values: Iterable[Value | Number]) -> Value:  # noqa: A001 - shadows builtins.sum on purpose; kept out of __all__
    """One n-ary `sum` node over `values` (local derivative 1 for each), not a chain of `+`."""
    if isinstance(values, (Value, Tensor)) or not isinstance(values, Iterable):
        raise TypeError(
            f"autograd.sum() takes a list of Values or numbers, got {type(values).__name__} {values!r}"
            + _hint("sum", values)
        )
    nodes = []
    for position, item in enumerate(values):
        node = _as_value(item)
        if node is None:
            raise TypeError(
                f"autograd.sum() takes Values or numbers, got {type(item).__name__} at position {position}"
                + _hint("sum", item)
            )
        nodes.append(node)
    if not nodes:
        return Constant(0.0)
    return Value.apply(ops.SUM, *nodes)


def grad(
    output: Value, inputs: Value | Sequence[Value], create_graph: bool = False
) -> list[Any]:
    """d output / d input for each input, leaving every ``.grad`` untouched.

    With ``create_graph=True`` the results are Values in a graph of their own, so
    they can be differentiated again (second derivatives). An input the output
    does not depend on gets 0. As `Value.backward`, RuntimeError if a leaf of the
    graph changed its number since the previous gradient taken from `output`.
    """
    if not isinstance(output, Value):
        raise TypeError(f"autograd.grad() needs a Value output, got {type(output).__name__}" + _hint("grad", output))
    if isinstance(output, Unrecorded):  # every gradient would read 0, which is not the derivative
        raise RuntimeError(
            "autograd.grad() of a Value computed under no_grad(), whose ops were not recorded: build the graph "
            "(and take a gradient you will differentiate again) outside no_grad()"
        )
    if not isinstance(inputs, (Value, Iterable)) or isinstance(inputs, Tensor):
        raise TypeError(
            f"autograd.grad() inputs must be a Value or a list of Values, got {type(inputs).__name__}"
            + _hint("grad", inputs)
        )
    if not isinstance(create_graph, (bool, np.bool_)):
        raise TypeError(f"autograd.grad() create_graph must be True or False, got {create_graph!r}")
    targets = [inputs] if isinstance(inputs, Value) else list(inputs)
    for position, target in enumerate(targets):
        if not isinstance(target, Value):
            kind = type(target).__name__
            raise TypeError(
                f"autograd.grad() inputs must be Values, got {kind} at position {position}" + _hint("grad", target)
            )
    order = topological_order(output, _compact_parents)
    _refuse_if_leaves_changed(order, "autograd.grad()")
    seed: Any = Constant(1.0) if create_graph else 1.0
    grads = backpropagate(output, seed, create_graph=create_graph)
    _start_pass(order, zero_interior=False)
    zero: Any = Constant(0.0) if create_graph else 0.0
    return [grads.get(target, zero) for target in targets]


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | Number],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> bool:
    """Compare the analytic gradient of a scalar function of Values with central differences.

    Returns True, or raises AssertionError naming the first input whose two numbers disagree
    (a NaN on either side never agrees).
    """
    for name, setting in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if isinstance(setting, bool) or not isinstance(setting, numbers.Real) or not 0 <= setting < math.inf:
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {setting!r}")
    if not eps > 0:
        raise ValueError(f"gradcheck: eps must be > 0 (the step of the central differences), got {eps!r}")
    wanted = "gradcheck: inputs must be a sequence of Values or real numbers, one per argument of f"
    if isinstance(inputs, (Value, numbers.Number)):
        raise TypeError(f"{wanted}, got one {type(inputs).__name__} {inputs!r}: pass [x] for one input")
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise TypeError(f"{wanted}, got {type(inputs).__name__} {inputs!r}")
    inputs = list(inputs)  # a generator is read more than once below
    for i, x in enumerate(inputs):
        if not isinstance(x, Value) and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
            raise TypeError(
                f"gradcheck: input {i} must be a Value or a real number, got {type(x).__name__} {x!r}"
                + _hint("gradcheck", x)
            )
    points = [float(x.data if isinstance(x, Value) else x) for x in inputs]
    labels = [x.label if isinstance(x, Value) else "" for x in inputs]

    def evaluate(at: list[float]) -> Value:
        out = f(*[Value(x, label) for x, label in zip(at, labels)])
        if not isinstance(out, Value):
            raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}" + _hint("gradcheck", out))
        return out

    leaves = [Value(x, label) for x, label in zip(points, labels)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}" + _hint("gradcheck", out))
    analytic = grad(out, leaves)  # through each op's local_grads
    if out.requires_grad:  # a constant has no gradient to check either way
        fresh = {id(leaf) for leaf in leaves}
        others = [(node, node.grad) for node in topological_order(out) if id(node) not in fresh]
        out._run_backward(1.0, through_ops=True)  # an op's own `backward` where it has one, what training uses
        # (backward() itself, under detect_anomaly, would go through local_grads again)
        for node, before in others:  # Values `f` closes over (a model's weights) keep their gradients
            node.grad = before
    for i, (point, label) in enumerate(zip(points, labels)):
        plus = evaluate(points[:i] + [point + eps] + points[i + 1 :]).data
        minus = evaluate(points[:i] + [point - eps] + points[i + 1 :]).data
        numerical = (plus - minus) / (2 * eps)
        for way, gradient in (("analytic gradient", analytic[i]), ("backward() gives", leaves[i].grad)):
            if not abs(gradient - numerical) <= atol + rtol * abs(numerical):  # NaN fails too
                name = f" ({label!r})" if label else ""
                raise AssertionError(
                    f"gradcheck: input {i}{name} at {point!r}: {way} {gradient!r} "
                    f"but central difference {numerical!r} (eps={eps}, atol={atol}, rtol={rtol})"
                )
    return True


