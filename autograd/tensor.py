"""`Tensor`: an ndarray in a computational graph, the vectorized sibling of `Value`."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import tensor_ops as ops
from .graph import (
    IdentityNode,
    add_context,
    backpropagate,
    check_forward,
    check_gradient,
    named,
    one_gradient_each,
    own_op,
    records_in_this_thread,
    state,
    topological_order,
)
from .value import Value, as_float

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_LARGEST = {dtype: float(np.finfo(dtype).max) for dtype in _FLOATS}
_REAL_KINDS = "biuf"


class Tensor(IdentityNode):
    """An ndarray that remembers how it was computed, so gradients can flow back.

    Python numbers and lists become float32; a float32 or float64 ndarray keeps its dtype
    (and its memory: no copy is made, unless its bytes are in the other order, as a big-endian
    file's; so, as with ``torch.from_numpy``, changing the array before ``backward()`` changes
    the gradients), an integer or bool array becomes float32, and
    ``dtype=`` overrides all of these. ``grad`` is None until ``backward()`` reaches this
    Tensor; then it is an array of the same shape. Leaves with ``requires_grad=True`` add to
    their gradient on every backward pass, as in PyTorch; interior nodes keep the latest
    pass's gradient (so that drawings can show it); leaves that do not require grad get none.
    """

    __slots__ = (
        "data", "grad", "requires_grad", "label", "parents", "scope", "is_parameter", "version", "_fn", "_seen"
    )
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected method

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = "", is_parameter: bool = False
    ) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Tensor() label must be a str, got {type(label).__name__} {label!r}")
        if requires_grad is not False or is_parameter is not False:  # the defaults (every batch of inputs) pass at once
            for flag, name in ((requires_grad, "requires_grad"), (is_parameter, "is_parameter")):
                if not isinstance(flag, (bool, np.bool_)):
                    raise TypeError(f"Tensor() {name} must be True or False, got {flag!r}")
        self.data = _as_array(data, dtype)
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad or is_parameter)
        self.label = label
        self.parents: tuple[Tensor, ...] = ()
        self.scope = state.scope
        self.is_parameter = bool(is_parameter)
        self.version = 0
        """How many optimizer steps have changed this Tensor's array in place: a graph built before one of them
        refuses backward(), as its ops saved the old numbers and would mix them with the new."""
        self._fn: ops.Function | None = None
        self._seen: tuple[int, ...] = ()

    @staticmethod
    def apply(fn: ops.Function, parents: tuple[Tensor, ...], *arrays: Any) -> Tensor:
        """The Tensor `fn` computes from `arrays`, recorded as a child of `parents` when gradients are wanted.

        `parents` are the Tensor operands only; a constant operand appears in `arrays` alone. As
        for `Value`, finite inputs that give a result that is not finite raise an error naming the
        op (OverflowError, ZeroDivisionError), while NaN and inf inputs go through (but for what
        the op's own rule refuses, such as dividing by zero or the log of −inf). An elementwise op is
        judged entry by entry; any other (``@``, a reduction) only when all its inputs are finite.
        """
        if type(parents) is not tuple:
            raise TypeError(
                f"Tensor.apply(): op {fn.name!r} takes its Tensor operands as a tuple, got {type(parents).__name__} "
                f"(one operand t is (t,))"
            )
        recording = state.recording or records_in_this_thread()
        record = False
        for parent in parents:  # one pass: each is a Tensor, and one that requires grad makes the result recorded
            if not isinstance(parent, Tensor):
                raise TypeError(
                    f"Tensor.apply(): op {fn.name!r} takes a tuple of Tensors as parents, got {type(parent).__name__} "
                    f"in it (a constant operand goes in the arrays alone)"
                )
            if recording and parent.requires_grad:
                record = True
        try:
            data = _forward_raising(fn, arrays)
        except FloatingPointError as error:
            data = _not_finite(fn, arrays, error)
        except (ValueError, TypeError, IndexError) as error:  # NumPy's own words: say which op they come from
            if f"op {fn.name!r}" not in str(error):
                add_context(error, fn.name, "forward")
            raise
        if not record and type(data) is np.ndarray and data.base is not None:
            data = _unshared(data, parents)
        out = Tensor._wrap(fn, data, parents if record else None)
        if record and state.anomaly:
            check_forward(out)
        return out

    @staticmethod
    def _wrap(fn: ops.Function, data: Any, parents: tuple[Tensor, ...] | None) -> Tensor:
        out = Tensor.__new__(Tensor)
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out.label = ""
        out.scope = state.scope
        out.is_parameter = False
        out.version = 0
        if parents is None:
            out.parents = ()
            out._fn = None
            out._seen = ()
            out.requires_grad = False
        else:
            out.parents = parents
            out._fn = fn
            out._seen = tuple([parent.version for parent in parents])  # checked by backward(): `_check_versions`
            out.requires_grad = True
        return out

    # --- the graph protocol ---
    @property
    def op(self) -> str:
        """The name of the op that made this Tensor ("" for a leaf)."""
        return self._fn.name if self._fn is not None else ""

    @property
    def local_grads(self) -> tuple[Any, ...]:
        """The local derivative along each parent edge, worked out when read (nothing is kept for it)."""
        return self._fn.local_grads() if self._fn is not None else ()

    def recomputed(self) -> np.ndarray | None:
        """This Tensor's op run again on its parents' data as it is now (``data`` itself for a leaf), or None
        for an op of your own (`Function` subclass), whose forward may be random.

        It differs from ``data`` once an input changed after this Tensor was computed (an optimizer updates
        a weight in place): the graph is then stale, and `viz` refuses to draw it, as for `Value.recomputed`.
        """
        fn = self._fn
        if fn is None:
            return self.data
        if not own_op(fn):
            return None
        with np.errstate(all="ignore"):  # new inputs out of the op's domain give NaN, which differs
            now = fn.recompute([np.asarray(parent.data) for parent in self.parents])  # `.data = 0.0` included
        return None if now is None else np.asarray(now)

    def changed_inputs(self) -> str | None:
        """Which Tensor an optimizer step changed in place after an op of this Tensor's graph read it, in words;
        None if none. `backward()` refuses to run through such a graph, and `viz` to draw it: its ops saved the
        old numbers."""
        for node in topological_order(self):
            parent = _stepped_parent(node)
            if parent is not None:
                return f"an optimizer step changed {named(parent)} in place after op {node.op!r} read it"
        return None

    @property
    def constant(self) -> Any:
        """The number or array this Tensor's op combined its parent with (``x * 3`` keeps 3 here), if any."""
        return self._fn.constant if self._fn is not None else None

    @property
    def constant_first(self) -> bool | None:
        """True for ``3 - x`` (the constant is the left operand), False for ``x - 3``, None without a constant."""
        return getattr(self._fn, "constant_first", None)

    def vjp(self, grad: np.ndarray, create_graph: bool = False) -> tuple[np.ndarray | None, ...]:
        """The gradients for the parents given this node's, each in its parent's shape and dtype.

        Raises NotImplementedError for ``create_graph=True``: higher-order gradients are
        supported for `Value` only.
        """
        if create_graph:
            raise NotImplementedError("higher-order gradients are supported for Value only")
        fn, parents = self._fn, self.parents
        if fn is None:  # a leaf
            return ()
        grad = _gradient_for(self, grad)
        _check_versions(self)
        needs = tuple([parent.requires_grad for parent in parents])
        if state.anomaly:
            with np.errstate(all="ignore"):  # backpropagate reports a NaN or inf with the op's name instead
                return fn.vjp(grad, needs)
        return fn.vjp(grad, needs)

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """Add `grad` to a leaf that requires grad; an interior node keeps this pass's gradient (no copy).

        Interior gradients are kept so that `viz` can show them; they go with the graph.
        """
        if self.parents:
            self.grad = grad
        elif not self.requires_grad:
            return
        elif self.grad is None:
            self.grad = np.array(grad, dtype=self.data.dtype)  # a copy: one gradient array may feed many nodes
        else:
            self.grad += grad

    def zero_grad(self) -> None:
        """Forget the stored gradient (None until the next backward pass reaches this Tensor)."""
        self.grad = None

    def backward(self, gradient: Any = None) -> None:
        """Fill in ``grad`` on every node this Tensor depends on that requires grad (see the class docstring).

        Without `gradient` this Tensor must hold a single number (d self / d self = 1);
        otherwise `gradient` is d(something)/d(self) and must have this Tensor's shape.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a Tensor that does not require grad: create its inputs with "
                "requires_grad=True, outside no_grad()"
            )
        if gradient is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() without a gradient needs a single-number Tensor, but this one has "
                    f"shape {self.shape}; pass gradient= of that shape"
                )
            seed = np.ones(self.shape, self.dtype)
        else:
            given = gradient.data if isinstance(gradient, Tensor) else unmasked(gradient, "backward()'s gradient")
            if isinstance(given, int) and not isinstance(given, bool):  # an int beyond int64 is no object array
                given = as_float(given, "backward()'s gradient")
            try:
                raw = np.asarray(given)
            except ValueError:  # NumPy's "inhomogeneous shape"
                raise TypeError(
                    f"backward(): gradient must be a rectangular array of numbers, got a ragged {type(given).__name__}"
                ) from None
            if raw.dtype.kind not in _REAL_KINDS:
                raise TypeError(f"backward(): gradient must hold real numbers, got an array of dtype {raw.dtype}")
            seed = np.array(narrowed(raw, self.dtype, "backward(): the gradient"))  # a copy: the nodes keep it as grad
            if seed.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {seed.shape} but the Tensor has shape {self.shape}")
        if state.anomaly or not self.parents:  # anomaly mode checks each op's result on the general walk
            for node, grad in backpropagate(self, seed).items():
                node.accumulate_grad(grad)
        else:
            _chain_rule_in_place(self, seed)

    # --- array attributes ---
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def T(self) -> Tensor:
        """All axes reversed, as ndarray.T."""
        return self.transpose()

    def item(self) -> float:
        """The single number this Tensor holds."""
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data array itself (not a copy)."""
        return self.data

    def __len__(self) -> int:
        """The length of the first axis, as for an ndarray; a 0-d Tensor has none (TypeError)."""
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor: it holds a single number, read it with .item()")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        """The entries along the first axis, each ``t[i]`` in the graph; a 0-d Tensor refuses (TypeError)."""
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor: it holds a single number, read it with .item()")
        return (self[i] for i in range(len(self.data)))

    def __contains__(self, item: Any) -> bool:
        """Refused (TypeError): ``x in t`` would compare numbers with the graph nodes ``t[i]``, which ``==`` refuses
        (see `IdentityNode`); NumPy's answer is ``(t.data == x).any()``."""
        raise TypeError(
            f"'x in t' is not defined for a Tensor (its entries are graph nodes, which do not compare with numbers): "
            f"use (t.data == x).any() to look for {item!r} among its numbers"
        )

    def __bool__(self) -> bool:
        """The truth of a single number, as for an ndarray; more than one entry is ambiguous (ValueError)."""
        return bool(self.data)

    def __float__(self) -> float:
        """The single number of a Tensor that requires no grad; refused (TypeError) for one that does, as for
        ``__array__``: ``float(t)`` would drop it from its graph (``t.item()`` reads the number explicitly)."""
        if self.requires_grad:
            raise TypeError(
                f"a Tensor that requires grad is not converted to a float, which would drop it from its graph: "
                f"read the number with t.item(), or keep Tensor ops (shape {self.shape})"
            )
        return float(self.data)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The data for NumPy, refused (TypeError) for a Tensor that requires grad.

        ``np.dot(t, w)``, ``np.concatenate([t, u])`` or ``Tensor([t, u])`` would otherwise drop
        such a Tensor from its graph and give gradients of zero without a word (PyTorch refuses
        too): ``t.data`` is the array, explicitly.
        """
        if self.requires_grad:
            raise TypeError(
                f"a Tensor that requires grad is not converted to an ndarray, which would drop it from its graph: "
                f"use Tensor ops (t @ w, t.sum(), ...) to keep the gradient, or t.data for the numbers "
                f"(shape {self.shape})"
            )
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    # --- arithmetic: a number or an array on either side is a constant of the op, not a node ---
    def __add__(self, other: Any) -> Tensor:
        return _binary(ops.Add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _binary(ops.Add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _binary(ops.Sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _binary(ops.Sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _binary(ops.Mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _binary(ops.Mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _binary(ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _binary(ops.Div, other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _binary(ops.Pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _binary(ops.Pow, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _binary(ops.MatMul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _binary(ops.MatMul, other, self)

    def __neg__(self) -> Tensor:
        return Tensor.apply(ops.Neg(), (self,), self.data)

    # --- elementwise functions ---
    def exp(self) -> Tensor:
        return Tensor.apply(ops.Exp(), (self,), self.data)

    def log(self) -> Tensor:
        """Natural log; a non-positive entry raises ValueError."""
        return Tensor.apply(ops.Log(), (self,), self.data)

    def relu(self) -> Tensor:
        return Tensor.apply(ops.ReLU(), (self,), self.data)

    def tanh(self) -> Tensor:
        return Tensor.apply(ops.Tanh(), (self,), self.data)

    def sigmoid(self) -> Tensor:
        return Tensor.apply(ops.Sigmoid(), (self,), self.data)

    # --- reductions (``np.sum(t)``, ``np.mean(t)`` and ``np.max(t)`` call these, passing ``out=None``) ---
    def sum(self, axis: Any = None, keepdims: bool = False, *, dtype: Any = None, out: Any = None) -> Tensor:
        _no_dtype_or_out("sum", dtype, out)
        return Tensor.apply(ops.Sum(axis, keepdims), (self,), self.data)

    def mean(self, axis: Any = None, keepdims: bool = False, *, dtype: Any = None, out: Any = None) -> Tensor:
        _no_dtype_or_out("mean", dtype, out)
        return Tensor.apply(ops.Mean(axis, keepdims), (self,), self.data)

    def max(self, axis: Any = None, keepdims: bool = False, *, out: Any = None) -> Tensor:
        """The largest entries; the gradient goes to the arg-max (the first one on ties)."""
        _no_dtype_or_out("max", None, out)
        return Tensor.apply(ops.Max(axis, keepdims), (self,), self.data)

    def softmax(self, axis: int = -1) -> Tensor:
        return Tensor.apply(ops.Softmax(axis), (self,), self.data)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return Tensor.apply(ops.LogSoftmax(axis), (self,), self.data)

    # --- shape ---
    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
            shape = tuple(shape[0])
        return Tensor.apply(ops.Reshape(shape), (self,), self.data)

    def transpose(self, *axes: Any) -> Tensor:
        """Axes permuted as given, or all reversed when none (or None) are given, as ndarray.transpose."""
        if len(axes) == 1 and axes[0] is None:
            axes = ()
        elif len(axes) == 1 and isinstance(axes[0], (tuple, list, np.ndarray)):  # ([]) permutes no axes: a 0-d one
            return Tensor.apply(ops.Transpose(tuple(axes[0])), (self,), self.data)
        return Tensor.apply(ops.Transpose(axes or None), (self,), self.data)

    def __getitem__(self, index: Any) -> Tensor:
        return Tensor.apply(ops.GetItem(index), (self,), self.data)

    def __repr__(self) -> str:
        extras = ""
        if self.dtype != np.float32:
            extras += f", dtype={self.dtype}"
        if self.requires_grad:
            extras += ", requires_grad=True"
        if self.label:
            extras += f", label={self.label!r}"
        return f"Tensor({np.array2string(self.data, separator=', ', prefix='Tensor(')}{extras})"


def _chain_rule_in_place(root: Tensor, seed: np.ndarray) -> None:
    """`backward()`'s hot path: what `backpropagate` and `accumulate_grad` do, in one loop.

    Each node's gradient is complete when the reverse topological order reaches it; it is kept on
    the node and sent through the op's `vjp` to the parents. A leaf adds what it is sent straight
    into its ``grad``, and keeps without a copy an array that an op with ``fresh_grads`` made for it
    alone (the first gradient of a weight, say, is then the array ``x.T @ g`` itself).
    """
    order = topological_order(root)
    for node in reversed(order):  # before any gradient is written, in the order backpropagate meets them
        if node._seen and node._seen != tuple([parent.version for parent in node.parents]):
            _check_versions(node)
    grads = {root: seed}
    lookup = grads.get
    node = root
    try:
        for node in reversed(order):
            fn = node._fn
            grad = lookup(node)
            if fn is None or grad is None:
                continue
            node.grad = grad
            parents = node.parents
            fresh = fn.fresh_grads
            parent_grads = fn.vjp(grad, tuple([p.requires_grad for p in parents]))
            if type(parent_grads) is not tuple or len(parent_grads) != len(parents):
                one_gradient_each(fn.name, parent_grads, parents)
            for position, (parent, parent_grad) in enumerate(zip(parents, parent_grads)):
                if not parent.requires_grad:
                    continue
                if getattr(parent_grad, "shape", None) != parent.data.shape:  # None, or a number or array to check
                    check_gradient(fn.name, position, parent, parent_grad)
                if parent.parents:
                    previous = lookup(parent)
                    grads[parent] = parent_grad if previous is None else previous + parent_grad
                elif parent.grad is not None:
                    parent.grad += parent_grad
                elif fresh and parent_grad.dtype == parent.data.dtype and parent_grad.shape == parent.data.shape:
                    parent.grad = parent_grad
                else:
                    parent.grad = np.array(parent_grad, dtype=parent.data.dtype)
    except (ArithmeticError, ValueError, TypeError) as error:
        add_context(error, node.op, "backward")
        raise


def _check_versions(node: Tensor) -> None:
    """RuntimeError if an optimizer step changed one of `node`'s parents in place after `node` was computed."""
    parent = _stepped_parent(node)
    if parent is not None:
        raise RuntimeError(
            f"backward() through a graph built before an optimizer step changed {named(parent)} in place: op "
            f"{node.op!r} saved its old numbers and would mix them with the new; run the forward pass again "
            f"and call backward() on the new loss"
        )


def _stepped_parent(node: Tensor) -> Tensor | None:
    """The first parent an optimizer step changed in place after `node` read it, if any."""
    for parent, seen in zip(node.parents, node._seen):
        if parent.version != seen:
            return parent
    return None


def _as_array(data: Any, dtype: Any) -> np.ndarray:
    """`data` as a float32 or float64 ndarray, by the rules in Tensor's docstring."""
    if type(data) is np.ndarray and data.dtype in _FLOATS and (dtype is None or data.dtype == dtype):
        return data  # the common case, a batch of inputs: kept as it is
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in _FLOATS:
            raise TypeError(f"Tensor dtype must be float32 or float64, got {dtype}")
    if isinstance(data, Tensor):
        if data.requires_grad:
            raise TypeError(
                "Tensor() of a Tensor that requires grad would cut it from its graph: use the Tensor itself, or "
                "Tensor(t.data.copy()) for a new leaf holding its numbers (Tensor(t.data) would share the array, "
                "which an optimizer step changes in place)"
            )
        data = data.data
    data = unmasked(data, "Tensor()'s data")
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
        if not array.dtype.isnative:  # a big-endian file's numbers, say: the same dtype in this machine's order
            array = array.astype(array.dtype.newbyteorder("="))
        kind = array.dtype.kind
        if kind not in _REAL_KINDS:
            raise TypeError(f"Tensor() takes a real-valued array, got an ndarray of dtype {array.dtype}")
        if dtype is None:
            if array.dtype in _FLOATS:
                dtype = array.dtype
            else:
                dtype = np.float64 if kind == "f" and array.dtype.itemsize > 8 else np.float32
        return narrowed(array, np.dtype(dtype), "Tensor(): the number")
    if isinstance(data, numbers.Real):
        number = np.asarray(as_float(data, "Tensor()"))
        return narrowed(number, np.dtype(np.float32 if dtype is None else dtype), "Tensor(): the number")
    if isinstance(data, (list, tuple)):
        try:
            array = np.asarray(data)
        except ValueError:
            raise TypeError(f"Tensor() takes a rectangular nested {type(data).__name__}, got a ragged one") from None
        if array.dtype == object and all(type(x) in (int, float) for x in array.flat):  # an int beyond int64
            array = np.array([as_float(x, "Tensor()") for x in array.flat]).reshape(array.shape)
        if array.dtype.kind not in _REAL_KINDS:
            raise TypeError(
                f"Tensor() takes a {type(data).__name__} of real numbers, got one that NumPy reads as {array.dtype}"
            )
        return narrowed(array, np.dtype(np.float32 if dtype is None else dtype), "Tensor(): the number")
    raise TypeError(f"Tensor() takes a number, a (nested) list or a real ndarray, got {type(data).__name__}")


@np.errstate(over="raise", divide="raise", invalid="raise", under="ignore")
def _forward_raising(fn: ops.Function, arrays: tuple[Any, ...]) -> Any:
    """`fn`'s forward with NumPy raising FloatingPointError where a result overflows, divides by zero or is
    invalid (underflow to 0 is fine). A decorated function rather than a `with` block: the same error
    state for two thirds of the cost, which every op of every forward pass pays; from NumPy 2.0 each
    call sets and restores it on its own, so threads and nested calls keep their own state."""
    return fn.forward(*arrays)


def _no_dtype_or_out(method: str, dtype: Any, out: Any) -> None:
    """TypeError for NumPy's `dtype` and `out`, which a Tensor op cannot honour: its result is a new node of its
    input's dtype."""
    if dtype is not None or out is not None:
        given = "dtype" if dtype is not None else "out"
        raise TypeError(
            f"Tensor.{method}() takes no {given}= (its result is a new Tensor of the input's dtype, in the graph): "
            f"call it without, and convert or copy the result's .data if you need to"
        )


def _unshared(data: np.ndarray, parents: tuple[Tensor, ...]) -> np.ndarray:
    """A copy of `data` where it is a view of the array of a parameter, or of a node that takes gradients (``w.T``
    under no_grad, or a view of such a view): outside the graph it would change unseen at each optimizer step, whose
    count only the parameter's `version` keeps, and a graph built on it would mix old and new numbers."""
    for parent in parents:
        if (parent.is_parameter or parent.requires_grad) and np.shares_memory(data, parent.data):
            return data.copy()
    return data


def _not_finite(fn: ops.Function, arrays: tuple[Any, ...], error: FloatingPointError) -> Any:
    """`fn`'s result when NumPy flagged it: an error if finite inputs gave an entry that is not finite, else NaN
    and inf go through. An elementwise op is judged entry by entry (``exp([nan, 800])`` still overflows at 800);
    any other op, whose entries each read many inputs, by all its inputs at once."""
    with np.errstate(all="ignore"):
        data = fn.forward(*arrays)
    finite = [np.isfinite(a) for a in arrays if isinstance(a, (np.ndarray, np.generic))]
    if all(mask.all() for mask in finite):  # an inf on the way that the result does not keep is no overflow
        refused = not np.isfinite(data).all()  # (cross-entropy's exp(z - max z) of 0 for z far below the max)
    elif isinstance(fn, (ops.Elementwise, ops.ElementwiseUnary)):
        refused = bool((functools.reduce(np.logical_and, finite) & ~np.isfinite(data)).any())
    else:
        refused = False
    if not refused:
        return data
    largest = max((float(np.abs(a[mask]).max()) for a, mask in zip(arrays, finite) if mask.any()), default=0.0)
    what = str(error).split(" encountered")[0]
    if "divide" in what:
        raise ZeroDivisionError(f"op {fn.name!r} divides by zero") from None
    if "overflow" in what:
        raise OverflowError(f"op {fn.name!r} overflows {np.asarray(data).dtype}: the largest input is {largest:g}") \
            from None
    raise ValueError(f"op {fn.name!r} gives NaN from finite inputs ({what}); the largest is {largest:g}") from None


def _gradient_for(node: Tensor, grad: Any) -> np.ndarray:
    """`grad` as the gradient of `node` an op's vjp reads: real numbers in `node`'s shape, in its dtype (a number
    for a 0-d Tensor too); TypeError or ValueError naming what does not fit."""
    array = np.asarray(grad)
    if array.dtype.kind not in "iuf":
        raise TypeError(f"Tensor.vjp: the gradient must hold real numbers, got {array.dtype}")
    if array.shape != node.data.shape:
        raise ValueError(f"Tensor.vjp: the gradient must have this Tensor's shape {node.data.shape}, got {array.shape}")
    return ops.in_dtype(array, node.data.dtype) if array.dtype.kind == "f" else array.astype(node.data.dtype)


def _constant(x: Any, dtype: np.dtype, op: type[ops.Binary]) -> Any:
    """`x` as a constant operand in `dtype` (so a float64 constant cannot turn float32 into float64), or None.

    A finite constant too large for `dtype` is an OverflowError, as a finite op result that is not would be."""
    if isinstance(x, Value):
        raise TypeError(
            f"op {op.name!r}: a Tensor and a Value do not mix (each engine has its own graph): use Tensor(v.data) "
            f"for the number, or Values throughout"
        )
    if isinstance(x, (float, int)) or (isinstance(x, numbers.Real) and not isinstance(x, np.generic)):
        number = as_float(x, f"op {op.name!r}")  # a Fraction too, as Tensor() and Value take it
        if abs(number) > _LARGEST[dtype] and math.isfinite(number):
            raise OverflowError(f"op {op.name!r}: the constant {number:g} overflows {dtype}")
        return dtype.type(x if isinstance(x, (float, int)) else number)
    if isinstance(x, (np.ndarray, np.generic, list, tuple)):
        try:
            masked = isinstance(x, np.ma.MaskedArray)  # the message is formatted only for one
            array = np.asarray(unmasked(x, f"op {op.name!r}: the constant") if masked else x)
        except ValueError:
            raise TypeError(f"op {op.name!r} takes a rectangular constant, got a ragged {type(x).__name__}") from None
        if array.dtype.kind not in _REAL_KINDS:
            raise TypeError(f"a Tensor op takes real constants, got {type(x).__name__} of dtype {array.dtype}")
        constant = narrowed(array, dtype, f"op {op.name!r}: the constant")
        if isinstance(x, np.ndarray) and np.may_share_memory(constant, x):
            constant = constant.copy()  # the op reads it again in the backward pass: changing x then must not matter
        return constant
    return None


def _check_divisor(given: Any, divisor: Any) -> None:
    """ZeroDivisionError naming the cause when a divisor that is not 0 became 0 in the Tensor's dtype (1e-50 in
    float32, say): the op's own message could only count zeros the caller never wrote."""
    numbers = np.asarray(given, dtype=np.float64)
    lost = (np.asarray(divisor) == 0) & (numbers != 0)
    if lost.any():
        raise ZeroDivisionError(
            f"op '/' divides by zero: the divisor {float(numbers[lost].flat[0]):g} is 0 in {divisor.dtype} "
            f"(smaller than its smallest number)"
        )


def unmasked(data: Any, what: str) -> Any:
    """`data` itself, or a masked array's numbers when none is masked; TypeError (naming `what`) when some are:
    NumPy would read the masked entries as numbers, and a Tensor or a loss has no mask."""
    if not isinstance(data, np.ma.MaskedArray):
        return data
    masked = int(np.ma.count_masked(data))
    if masked:
        raise TypeError(
            f"{what} cannot be a masked array with masked entries ({masked} here): they would count as numbers; "
            f"fill them (data.filled(value)) or drop them first"
        )
    return data.data


def narrowed(array: np.ndarray, dtype: np.dtype, what: str) -> np.ndarray:
    """`array` in `dtype`; OverflowError (starting with `what`) if a finite entry is too large for it,
    rather than the inf a cast to float32 would make of it. NaN and inf entries go through."""
    if array.dtype.itemsize > dtype.itemsize and array.size:
        magnitude = np.abs(array)
        too_large = (magnitude > _LARGEST[dtype]) & (magnitude < np.inf)
        if too_large.any():
            raise OverflowError(f"{what} {number_text(array[too_large][0])} overflows {dtype}")
    return array.astype(dtype, copy=False)


def number_text(number: Any) -> str:
    """`number` as ``{:g}`` shows it, but a longdouble beyond any float (1e400) as itself rather than as inf."""
    with np.errstate(over="ignore"):
        as_float = float(number)
    if math.isfinite(as_float) or not np.isfinite(number):
        return f"{as_float:g}"
    return np.format_float_scientific(number, 5, trim="-")


def _binary(kind: type[ops.Binary], left: Any, right: Any) -> Tensor:
    """`left op right` where at least one side is a Tensor; the other may be a constant."""
    if isinstance(left, Tensor):
        if isinstance(right, Tensor):
            return Tensor.apply(kind(ops.BOTH), (left, right), left.data, right.data)
        constant = _constant(right, left.data.dtype, kind)
        if constant is None:
            return NotImplemented
        if kind is ops.Div and not np.all(constant):
            _check_divisor(right, constant)
        return Tensor.apply(kind(ops.LEFT), (left,), left.data, constant)
    constant = _constant(left, right.data.dtype, kind)
    if constant is None:
        return NotImplemented
    return Tensor.apply(kind(ops.RIGHT), (right,), constant, right.data)
