"""The graph protocol and the one graph walk shared by `Value` and `Tensor`.

A node of the computational graph is any object with:

- ``data`` and ``grad``: its value and d(root)/d(node) after a backward pass;
- ``parents``: an ordered tuple of the nodes it was computed from (empty for a leaf);
- ``op``: the name of the operation that made it ("" for a leaf);
- ``label``: a user-given name ("" when none);
- ``scope``: the path of the ``nn`` module that created or owns it, such as
  ``layers.1.neurons.3`` ("" outside modules);
- ``local_grads``: one entry per parent, the local derivative d(node)/d(parent),
  readable after the forward pass (a number for `Value`; for `Tensor` a number,
  an array, or a short text when the Jacobian is not elementwise);
- ``is_parameter``: True for what a model learns (weights, biases), False for inputs;
- ``_vjp(grad, create_graph)``: the gradients for the parents, given this node's;
- ``_accumulate(grad)``: stores a gradient computed by `backward()`;
- ``_reset_grad()``: forgets the stored gradient;
- ``_needs_grad``: whether gradients should flow into this node at all.

`topological_order` below is the only graph walk: backward passes, `autograd.grad`,
`zero_grad` and `viz` all use it. `backpropagate` runs the chain rule along it for
any kind of node; `Value.backward` runs the same chain rule over floats straight
into ``grad``, its hot path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Node = Any  # nodes are hashed by identity: a node class must keep object.__hash__


class _State:
    """Process-wide switches read by every op."""

    __slots__ = ("recording", "anomaly", "scope")

    def __init__(self) -> None:
        self.recording = True
        self.anomaly = False
        self.scope = ""


state = _State()


def topological_order(root: Node) -> list[Node]:
    """Every node `root` depends on, each after all of its parents.

    Iterative depth-first search (no recursion, so a chain of a million ops is
    fine), visiting parents in their stored order so the result is deterministic.
    """
    order: list[Node] = []
    visited: set[Node] = set()
    stack: list[Node] = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, visited.add
    done = _PARENTS_DONE
    while stack:
        node = pop()
        if node is done:
            emit(pop())
            continue
        if node in visited:
            continue
        mark(node)
        parents = node.parents
        if not parents:
            emit(node)
            continue
        push(node)
        push(done)
        for parent in reversed(parents):
            if parent not in visited:
                push(parent)
    return order


_PARENTS_DONE = object()


def backpropagate(root: Node, seed: Any, *, create_graph: bool = False) -> dict[Node, Any]:
    """Run the chain rule from `root` (whose gradient is `seed`) to every ancestor.

    Returns ``{node: d root / d node}`` for every node reached. Nothing is written
    to the nodes: `backward()` and `autograd.grad` decide what to keep.
    """
    grads: dict[Node, Any] = {root: seed}
    lookup = grads.get
    anomaly = state.anomaly
    for node in reversed(topological_order(root)):
        grad = lookup(node)
        parents = node.parents
        if grad is None or not parents:
            continue
        try:
            parent_grads = node._vjp(grad, create_graph)
        except (ArithmeticError, ValueError, TypeError) as error:
            raise type(error)(f"in the backward pass of op {node.op!r}: {error}") from error
        if anomaly:
            _check_finite(node, parent_grads, "backward")
        for parent, parent_grad in zip(parents, parent_grads):
            if parent._needs_grad:
                previous = lookup(parent)
                grads[parent] = parent_grad if previous is None else previous + parent_grad
    return grads


def _check_finite(node: Node, values: Any, phase: str) -> None:
    import numpy as np

    for value in values:
        raw = getattr(value, "data", value)
        if raw is not None and not isinstance(raw, str) and not np.all(np.isfinite(raw)):
            inputs = ", ".join(_describe(p) for p in node.parents)
            raise FloatingPointError(
                f"op {node.op!r} produced a non-finite value in its {phase} pass; inputs: {inputs}"
            )


def check_forward(node: Node) -> None:
    """Raise FloatingPointError if `node` or its local derivatives are NaN or inf (anomaly mode)."""
    _check_finite(node, (node.data,), "forward")
    local = node.local_grads
    if local:
        _check_finite(node, tuple(g for g in local if not isinstance(g, str)), "forward (local derivative)")


def _describe(node: Node) -> str:
    name = f"{node.label}=" if node.label else ""
    return f"{name}{node.data!r}"


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError at the first op whose forward or backward gives NaN or inf."""
    previous = state.anomaly
    state.anomaly = True
    try:
        yield
    finally:
        state.anomaly = previous


@contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results are leaves, as for inference or weight updates."""
    previous = state.recording
    state.recording = False
    try:
        yield
    finally:
        state.recording = previous


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Tag the nodes created inside the block with a module path (nested scopes join with '.')."""
    previous = state.scope
    state.scope = f"{previous}.{name}" if previous and name else (name or previous)
    try:
        yield
    finally:
        state.scope = previous


def zero_grad(root: Node) -> None:
    """Reset the gradient of `root` and of every node it depends on."""
    for node in topological_order(root):
        node._reset_grad()
