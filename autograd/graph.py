"""The graph protocol and the one graph walk shared by `Value` and `Tensor`.

`Node` below is the protocol: what every node of a computational graph offers, by
public names only, so that `nn` and `viz` (and your own code) can read any graph.
`topological_order` is the only graph walk: backward passes, `autograd.grad`,
`zero_grad` and `viz` all use it. `backpropagate` runs the chain rule along it for any
kind of node; `Value.backward` runs the same chain rule over floats straight into
``grad``, its hot path.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import attrgetter
from typing import Any, Protocol

import numpy as np


class Node(Protocol):
    """A node of a computational graph; nodes are hashed by identity (keep ``object.__hash__``).

    ``grad`` is d(root)/d(node) after a backward pass. ``parents`` are the nodes it was
    computed from, in order (empty for a leaf), and ``local_grads`` the local derivative
    d(node)/d(parent) along each of those edges (a number for `Value`; for `Tensor` a
    number, an array, or a short text when the Jacobian is not elementwise; none at all
    for a `Function` of your own that does not say). ``op`` names
    the operation ("" for a leaf); ``constant`` is the number or array the op combined its
    one parent with (``x * 3`` keeps 3), and ``constant_first`` says it was the left operand.
    ``scope`` is the path of the `nn` module that made the node, such as
    ``layers.1.neurons.3`` ("" outside modules). ``requires_grad`` says whether gradients
    flow into the node; ``is_parameter`` whether a model learns it. A node may also offer
    ``recomputed()``, its op run again on its parents' numbers as they are now (None when that
    cannot be known), and ``changed_inputs()``, words naming an input of its graph known to have changed
    since the graph used it (None when none is): `viz` then refuses to draw a graph whose inputs changed
    after it was built.
    """

    data: Any
    grad: Any
    label: str
    scope: str

    @property
    def parents(self) -> tuple[Any, ...]: ...

    @property
    def op(self) -> str: ...

    @property
    def local_grads(self) -> tuple[Any, ...]: ...

    @property
    def constant(self) -> Any: ...

    @property
    def constant_first(self) -> bool | None: ...

    @property
    def requires_grad(self) -> bool: ...

    @property
    def is_parameter(self) -> bool: ...

    def vjp(self, grad: Any, create_graph: bool = False) -> Sequence[Any]:
        """The gradient for each parent (None where none is needed), given this node's `grad`."""
        ...

    def accumulate_grad(self, grad: Any) -> None:
        """Store a gradient computed by a backward pass (leaves add up, interior nodes keep the latest)."""
        ...

    def zero_grad(self) -> None:
        """Forget the stored gradient."""
        ...


_NUMERIC = (numbers.Number, np.ndarray, np.generic, list, tuple)
"""What ``==`` with a node refuses: what could be meant as numbers to compare."""


class IdentityNode:
    """Base of `Value` and `Tensor`: a node is hashed by identity, which every graph walk needs (nodes are keys of
    its dicts and sets).

    ``==`` and ``!=`` ask whether two objects are the same node, so ``p in model.parameters()`` works and a node
    of your own class compares as any object does; against numbers and arrays (and lists or tuples, which NumPy
    would compare entry by entry) they are refused (TypeError), as ``<``, ``<=``, ``>`` and ``>=`` always are:
    ``Value(1.0) == 1.0`` would be False without a word. The numbers compare through ``.data``.
    """

    __slots__ = ()
    __hash__ = object.__hash__

    def _refused(self, op: str, other: object) -> TypeError:
        kind, against = type(self).__name__, type(other).__name__
        if op in ("==", "!="):
            why = f"{op} asks whether two objects are the same node, so with {against} it would answer without " \
                  f"comparing a number"
        else:
            why = "graph nodes have no order"
        return TypeError(f"'{op}' of a {kind} with {against} is refused: {why}; compare the numbers, "
                         f"{kind[0].lower()}.data {op} ...")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _NUMERIC):
            raise self._refused("==", other)
        return self is other

    def __ne__(self, other: object) -> bool:
        if isinstance(other, _NUMERIC):
            raise self._refused("!=", other)
        return self is not other

    def __lt__(self, other: object) -> bool:
        raise self._refused("<", other)

    def __le__(self, other: object) -> bool:
        raise self._refused("<=", other)

    def __gt__(self, other: object) -> bool:
        raise self._refused(">", other)

    def __ge__(self, other: object) -> bool:
        raise self._refused(">=", other)


class _State:
    """Process-wide switches read by every op (kept where they are read fastest: a thread-local would add a
    third to the cost of a scalar op).

    ``recording`` is True while no thread is inside a `no_grad` block; while one is, an op asks
    `records_in_this_thread`, so the block of one thread never stops another from recording. ``anomaly``
    follows how many `detect_anomaly` blocks are open in any thread, so blocks of two threads that overlap
    leave it as it was once both are done, in whatever order they end. ``scope`` is the path of the module
    running (`enter_scope`): a thread goes back to its own previous one, or, leaving its last, to that of
    another thread still inside one."""

    __slots__ = ("recording", "anomaly", "scope", "anomaly_blocks")

    def __init__(self) -> None:
        self.recording = True
        self.anomaly = False
        self.scope = ""
        self.anomaly_blocks = 0


state = _State()
_blocks = threading.Lock()  # guards the counts of open blocks, which threads change
_scopes: dict[int, str] = {}  # the path of each thread inside a module or scope(), by thread id
_no_grad_blocks: dict[int, int] = {}  # how many no_grad blocks each thread has open, by thread id


def records_in_this_thread() -> bool:
    """Whether an op run now in this thread records a graph: no `no_grad` block is open in it."""
    return state.recording or threading.get_ident() not in _no_grad_blocks


def enter_scope(path: str) -> str:
    """Tag the nodes this thread creates from now on with `path`; returns the path to give `leave_scope` after."""
    thread = threading.get_ident()
    previous = _scopes.get(thread, "")
    _scopes[thread] = state.scope = path
    return previous


def leave_scope(previous: str) -> None:
    """Go back to the path `enter_scope` returned: this thread's own previous one, not whatever another thread set
    since; when that is none, to the path of a thread still inside a module, if any."""
    thread = threading.get_ident()
    if previous:
        _scopes[thread] = state.scope = previous
    else:
        _scopes.pop(thread, None)
        inside = list(_scopes.values())  # one call: another thread may enter or leave meanwhile
        state.scope = inside[-1] if inside else ""


_PARENTS_DONE = object()
_public_parents = attrgetter("parents")


def topological_order(root: Any, parents_of: Callable[[Any], Any] = _public_parents) -> list[Any]:
    """Every node `root` depends on, each after all of its parents.

    Iterative depth-first search (no recursion, so a chain of a million ops is
    fine), visiting parents in their stored order so the result is deterministic.
    `parents_of(node)` gives a node's parents: a tuple, or the one parent itself
    (not a tuple) for a node that has one. The default reads ``node.parents``;
    `Value.backward` reads a Value's `_parents`, kept in that compact form, which
    spares a tuple per node (a third of the walk's time on a chain). A run of nodes
    given that way, each the lone parent of the one before, is followed in a loop of
    its own and emitted at once: the same order, in 55-65% of the time on a chain.
    """
    if parents_of is _public_parents and not hasattr(root, "parents"):
        raise TypeError(f"topological_order() takes a node of a graph (a Value or Tensor), got {_what(root)}")
    order: list[Any] = []
    visited: set[Any] = set()
    stack: list[Any] = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, visited.add
    done = _PARENTS_DONE
    while stack:
        node = pop()
        if node is done:
            finished = pop()
            if type(finished) is list:  # a run of lone parents, child first (below)
                order.extend(reversed(finished))
            else:
                emit(finished)
            continue
        if node in visited:
            continue
        mark(node)
        parents = parents_of(node)
        if not isinstance(parents, tuple):  # the one parent itself
            if parents in visited:  # walked already, so emitted
                emit(node)
                continue
            lone, parents = parents, parents_of(parents)
            if isinstance(parents, tuple):  # a parent with several parents, or none: walked on below
                push(node)
                push(done)
            else:  # a run: node, its parent, its grandparent..., each the lone parent of the one before
                run = [node]
                while not isinstance(parents, tuple) and parents not in visited:
                    mark(lone)
                    run.append(lone)
                    lone, parents = parents, parents_of(parents)
                if not isinstance(parents, tuple):  # the run ends above a node walked already
                    mark(lone)
                    run.append(lone)
                    order.extend(reversed(run))
                    continue
                push(run)  # emitted after `lone`, which has several parents (or none) and is walked on below
                push(done)
            node = lone
            mark(node)
        if not parents:
            emit(node)
            continue
        push(node)
        push(done)
        for parent in reversed(parents):
            if parent not in visited:
                push(parent)
    return order


def own_op(op: Any) -> bool:
    """Whether `op` is one of chainrule's ops, whose forward can be run again to check a graph (`recomputed`);
    an op of your own may be random or have no forward."""
    return type(op).__module__.startswith("chainrule.")


def backpropagate(root: Node, seed: Any, *, create_graph: bool = False) -> dict[Any, Any]:
    """Run the chain rule from `root` (whose gradient is `seed`) to every ancestor.

    Returns ``{node: d root / d node}`` for every node reached. Nothing is written
    to the nodes: `backward()` and `autograd.grad` decide what to keep. `seed` has the
    root's shape (a number for a `Value`); anything else is a ValueError, as broadcasting
    it would give gradients of another shape, or sums of them.
    """
    if not hasattr(root, "parents") or not hasattr(root, "data"):
        raise TypeError(f"backpropagate() takes a node of a graph (a Value or Tensor) as the root, got {_what(root)}")
    if seed is None or np.asarray(_numbers(seed)).dtype.kind not in "biuf":
        raise TypeError(f"backpropagate(): the seed must be a real number, or an array of them, got {_what(seed)}")
    seed_shape, root_shape = _shape(seed), _shape(root.data)
    if seed_shape != root_shape:
        raise ValueError(
            f"backpropagate(): the seed, d(something)/d(root), must have the root's shape {root_shape}, got shape "
            f"{seed_shape}"
        )
    grads: dict[Any, Any] = {root: seed}
    lookup = grads.get
    anomaly = state.anomaly
    for node in reversed(topological_order(root)):
        grad = lookup(node)
        parents = node.parents
        if grad is None or not parents:
            continue
        try:
            parent_grads = node.vjp(grad, create_graph)
        except (ArithmeticError, ValueError, TypeError) as error:
            add_context(error, node.op, "backward")
            raise
        one_gradient_each(node.op, parent_grads, parents)
        if anomaly:  # a gradient for a parent that takes none (a constant) is dropped, whatever it is
            _check_finite(node, [g for g, p in zip(parent_grads, parents) if p.requires_grad], "backward")
        for position, (parent, parent_grad) in enumerate(zip(parents, parent_grads)):
            if parent.requires_grad:
                check_gradient(node.op, position, parent, parent_grad)
                previous = lookup(parent)
                grads[parent] = parent_grad if previous is None else previous + parent_grad
    return grads


def one_gradient_each(op: str, grads: Any, parents: Sequence[Any]) -> None:
    """TypeError or ValueError naming `op` unless `grads`, what its backward step gave, is a tuple or list
    with one gradient for each of its `parents` (zip would drop a missing one: that input would get none)."""
    if not isinstance(grads, (tuple, list)):
        raise TypeError(
            f"op {op!r}: its vjp or local_grads must give a tuple with one gradient for each of its "
            f"{len(parents)} inputs, got {type(grads).__name__}"
        )
    if len(grads) != len(parents):
        raise ValueError(
            f"op {op!r} gave {len(grads)} gradients for its {len(parents)} inputs: its vjp or local_grads must "
            f"give one for each input, in order"
        )


def check_gradient(op: str, position: int, parent: Node, grad: Any) -> None:
    """ValueError naming `op` unless `grad`, what it sent the input at `position`, has that input's shape: a
    gradient of another shape would be stored as it is, or broadcast into sums of the wrong numbers."""
    if grad is None:
        raise ValueError(
            f"op {op!r} gave no gradient (None) for its input at position {position}, which requires one"
        )
    grad_shape, input_shape = _shape(grad), _shape(parent.data)
    if grad_shape != input_shape:
        raise ValueError(
            f"op {op!r} gave a gradient of shape {grad_shape} for its input at position {position}, of shape "
            f"{input_shape}: it must have the input's shape (a broadcast input's gradient is summed over the "
            f"axes it was broadcast along)"
        )


def _what(x: Any) -> str:
    """A value as an error message shows it: its type and, kept short, its repr."""
    shown = repr(x)
    return f"{type(x).__name__} {shown if len(shown) <= 60 else shown[:57] + '...'}"


def _numbers(x: Any) -> Any:
    """A number or array itself, or the data of a `Value` or `Tensor` (an ndarray's ``data`` is its buffer)."""
    return x if isinstance(x, (np.ndarray, np.generic)) else getattr(x, "data", x)


def _shape(x: Any) -> tuple[int, ...]:
    """The shape of a number (``()``), an array, or a `Value` or `Tensor` seed (that of its data)."""
    return np.shape(_numbers(x))


def add_context(error: BaseException, op: str, phase: str) -> None:
    """Add a note naming `op` to an error raised inside its `phase` pass, keeping its type and arguments."""
    add_note(error, f"(in the {phase} pass of op {op!r})")


def add_note(error: BaseException, note: str) -> None:
    """``error.add_note(note)``: Python 3.11+ shows the note with the traceback; on 3.10 it is in
    ``error.__notes__`` all the same."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # Python 3.10, whose exceptions have no add_note: the same list 3.11+ keeps
        error.__notes__ = [*getattr(error, "__notes__", ()), note]  # type: ignore[attr-defined]


def _check_finite(node: Node, values: Any, phase: str) -> None:
    for value in values:
        raw = _numbers(value)
        if raw is not None and not isinstance(raw, str) and not np.all(np.isfinite(raw)):
            inputs = ", ".join(_describe(p) for p in node.parents)
            raise FloatingPointError(
                f"op {node.op!r} produced a non-finite value in its {phase} pass; inputs: {inputs}"
            )


def check_forward(node: Node) -> None:
    """Raise FloatingPointError if `node` or its local derivatives are NaN or inf (anomaly mode)."""
    _check_finite(node, (node.data,), "forward")
    with np.errstate(all="ignore"):  # a non-finite local derivative is reported below, not warned about
        local = node.local_grads
    if local:  # along edges into parents that take gradients: the one into a constant is never used
        wanted = [g for g, parent in zip(local, node.parents) if parent.requires_grad and not isinstance(g, str)]
        _check_finite(node, wanted, "forward (local derivative)")


def named(node: Node) -> str:
    """A node as an error message names it: its label, else what it is, and the module it is in."""
    name = f"{node.label!r}" if node.label else ("a parameter" if node.is_parameter else "an input")
    return name + (f" of {node.scope}" if node.scope else "")


def _describe(node: Node) -> str:
    name = f"{node.label}=" if node.label else ""
    return f"{name}{node.data!r}"


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError at the first op whose forward or backward gives NaN or inf.

    Only ops recorded in a graph are checked, those that backward() will go through: not ops under
    `no_grad`, nor Tensor ops none of whose inputs requires grad (``Tensor([1.0]) * np.inf``).
    """
    with _blocks:
        state.anomaly_blocks += 1
        state.anomaly = True
    try:
        yield
    finally:
        with _blocks:
            state.anomaly_blocks -= 1
            state.anomaly = state.anomaly_blocks > 0


@contextmanager
def no_grad() -> Iterator[None]:
    """Build no graph inside the block: results are leaves, as for inference or weight updates.

    It holds for the thread that opened it, as in PyTorch: ops that other threads run meanwhile (a training step
    while another thread calls `nn.predict`) record their graphs as ever.
    """
    thread = threading.get_ident()  # the block's own thread, even if a generator ends it in another
    with _blocks:
        _no_grad_blocks[thread] = _no_grad_blocks.get(thread, 0) + 1
        state.recording = False
    try:
        yield
    finally:
        with _blocks:
            left = _no_grad_blocks.pop(thread) - 1
            if left:
                _no_grad_blocks[thread] = left
            state.recording = not _no_grad_blocks


@contextmanager
def scope(name: str) -> Iterator[None]:
    """Tag the nodes created inside the block with a module path (nested scopes join with '.')."""
    if not isinstance(name, str):
        raise TypeError(f"scope() takes a name (a str such as 'layers.0'), got {type(name).__name__} {name!r}")
    outer = _scopes.get(threading.get_ident(), "")
    previous = enter_scope(f"{outer}.{name}" if outer and name else (name or outer))
    try:
        yield
    finally:
        leave_scope(previous)


def zero_grad(root: Node) -> None:
    """Reset the gradient of `root` and of every node it depends on."""
    if not hasattr(root, "parents") or not callable(getattr(root, "zero_grad", None)):
        raise TypeError(
            f"zero_grad() takes one node of a graph (a Value or a Tensor), got {type(root).__name__}; for a model's "
            f"parameters call model.zero_grad() or optimizer.zero_grad()"
        )
    for node in topological_order(root):
        node.zero_grad()
