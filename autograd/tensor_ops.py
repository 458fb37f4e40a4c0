"""The tensor ops: each one's forward pass and its derivative side by side.

One op object is made per application, like the context of a PyTorch ``Function``:

- ``forward(*arrays)`` computes the result from ndarrays and keeps on the op what the
  backward pass needs (references to arrays that exist anyway, never the output Tensor,
  so a node never refers to itself);
- ``vjp(grad, needs)`` turns the gradient of the result into one gradient per graph
  parent, already summed back to that parent's shape and cast to its dtype ("unbroadcast"),
  or None for a parent whose entry in ``needs`` is False;
- ``local_grads()`` gives each parent's local derivative: an array (booleans for ReLU's 0/1)
  or a number for elementwise ops, a short text (for drawings) when the Jacobian is not
  elementwise.

An elementwise op states its derivative once, as ``local``, and its `vjp` is derived from
it (upstream gradient × local derivative, unbroadcast), so a drawing shows exactly the
numbers the backward pass uses. Only the ops whose Jacobian is not elementwise write their
gradients out: `Unary.grad` for reductions, shapes and softmax, `Binary.operand_grads` for
matrix products, and `vjp` itself for the fused ops.

Also:

- ``fresh_grads`` (a class attribute, False unless set) says that `vjp` makes a new array for
  each parent, so `Tensor.backward` may keep it as a leaf's ``grad`` without a copy (`Linear`,
  `CrossEntropy`).

A binary op may have one operand that is a constant (a number or an array that is not a
node): ``which`` says whether both operands are graph parents (BOTH) or only the LEFT or
the RIGHT one, and `vjp` and `local_grads` then answer for that parent only.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .graph import own_op

Array = np.ndarray
BOTH, LEFT, RIGHT = 0, 1, 2


def unbroadcast(grad: Any, like: Any) -> Any:
    """`grad` summed over the axes NumPy broadcast `like` along, in `like`'s dtype."""
    shape = like.shape
    if grad.shape != shape:
        lead = grad.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
        grad = grad.sum(axis=axes, keepdims=True).reshape(shape)
    return in_dtype(grad, like.dtype)


def in_dtype(grad: Array, dtype: np.dtype) -> Array:
    """`grad` in its input's `dtype`; OverflowError where a finite entry becomes inf in a smaller one (a float64
    gradient flowing into a float32 Tensor), judged entry by entry as the forward pass judges results."""
    if grad.dtype == dtype:
        return grad
    with np.errstate(over="ignore"):  # reported below
        narrowed = grad.astype(dtype)
    if narrowed.dtype.itemsize < grad.dtype.itemsize and not np.isfinite(narrowed).all():
        overflowed = np.isinf(narrowed) & np.isfinite(grad)
        if overflowed.any():
            raise OverflowError(
                f"a gradient of up to {float(np.abs(grad[overflowed]).max()):g} overflows the {dtype} of the input it "
                f"is for"
            )
    return narrowed


def _column_major(x: Array) -> bool:
    """Whether `x` is laid out in memory column by column (a transposed C array), not row by row."""
    flags = x.flags
    return flags.f_contiguous and not flags.c_contiguous


def check_keepdims(keepdims: Any, op: str) -> bool:
    """`keepdims` as a bool; TypeError naming the op for anything but True or False."""
    if not isinstance(keepdims, (bool, np.bool_)):
        raise TypeError(f"op {op!r}: keepdims must be True or False, got {keepdims!r}")
    return bool(keepdims)


def normalize_axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """`axis` (None, an int or a sequence of ints) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not all(_is_int(ax) for ax in axes):
        raise TypeError(f"op {op!r}: axis must be None, an int or a tuple of ints, got {axis!r}")
    normalized = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise ValueError(f"op {op!r}: axis {ax} is out of range for a tensor with {ndim} dimensions")
        normalized.append(int(ax) % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"op {op!r}: repeated axis in {axis!r}")
    return tuple(sorted(normalized))


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def broadcast_error(op: str, a: Array, b: Array) -> ValueError:
    return ValueError(f"op {op!r}: shapes {a.shape} and {b.shape} cannot be broadcast together")


class Function:
    """A differentiable tensor operation; subclass it to define your own."""

    __slots__ = ()
    fresh_grads = False
    """True when `vjp` returns for each parent an array made for that parent alone: not `grad`
    itself and nothing that another node or the op keeps. A leaf then keeps that array as its
    ``grad`` instead of a copy. Leave it False unless that holds for every call."""

    @property
    def name(self) -> str:
        """How drawings and error messages name the op (subclasses set it as a class attribute)."""
        return "?"

    def forward(self, *arrays: Any, **options: Any) -> Array:
        """The result from the operands' arrays (subclasses name their operands)."""
        raise NotImplementedError

    def vjp(self, grad: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
        raise NotImplementedError

    def local_grads(self) -> tuple[Any, ...]:
        """The local derivative along each edge, for drawings and `detect_anomaly` to show and check; an op of
        your own may leave it out (``()``: its edges are drawn without one), as its `vjp` is what backward runs."""
        return ()

    def recompute(self, parents: list[Array]) -> Array | None:
        """The forward pass run again on the parents' arrays as they are now (a constant operand as kept),
        by a copy of this op, so that what the graph keeps for its backward pass stays as it is; None when
        that cannot be known (an op of your own inside this one)."""
        return copy.copy(self).forward(*parents)

    @property
    def constant(self) -> Any:
        """The number or array this op combined its input with, if any."""
        return None


# --- elementwise ops: the gradient is derived from the local derivative ---


def times(grad: Array, local: Any) -> Array:
    """The chain rule for an elementwise op: upstream gradient × local derivative (no product for ±1)."""
    if isinstance(local, float):
        if local == 1.0:
            return grad
        if local == -1.0:
            return -grad
    return grad * local


class Binary(Function):
    """``a op b`` with broadcasting; `which` says which operands are graph parents (BOTH, LEFT or RIGHT)."""

    __slots__ = ("a", "b", "out", "which")

    def __init__(self, which: int = BOTH) -> None:
        self.which = which

    def forward(self, a: Array, b: Array) -> Array:
        self.a = a
        self.b = b
        try:
            self.out = out = self.compute(a, b)
        except ValueError:
            raise broadcast_error(self.name, a, b) from None
        return out

    def compute(self, a: Array, b: Array) -> Array:
        raise NotImplementedError

    def operand_grads(self, grad: Array, need_a: bool, need_b: bool) -> tuple[Array | None, Array | None]:
        """The gradients for a and b (None where not needed), each in its operand's shape and dtype."""
        raise NotImplementedError

    def vjp(self, grad: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
        which = self.which
        if which == BOTH:
            return self.operand_grads(grad, needs[0], needs[1])
        if which == LEFT:
            return (self.operand_grads(grad, needs[0], False)[0],)
        return (self.operand_grads(grad, False, needs[0])[1],)

    def recompute(self, parents: list[Array]) -> Array | None:
        which = self.which
        operands = parents if which == BOTH else [parents[0], self.b] if which == LEFT else [self.a, parents[0]]
        return copy.copy(self).forward(*operands)

    def operands(self) -> tuple[int, ...]:
        """Which operands are graph parents: (0, 1), (0,) or (1,)."""
        which = self.which
        return (0, 1) if which == BOTH else (0,) if which == LEFT else (1,)

    @property
    def constant(self) -> Any:
        which = self.which
        return None if which == BOTH else self.b if which == LEFT else self.a

    @property
    def constant_first(self) -> bool | None:
        """True for ``3 - x`` (the constant is the left operand), False for ``x - 3``, None with no constant."""
        return None if self.which == BOTH else self.which == RIGHT


class Elementwise(Binary):
    """A binary op entry by entry. Subclasses give `compute` and `local`, d out / d operand entry by entry
    (an array, or a number when it is the same everywhere); the gradient is upstream × local, summed back
    over the axes NumPy broadcast the operand along."""

    __slots__ = ()

    def local(self, operand: int) -> Any:
        """d out / d a (operand 0) or d out / d b (operand 1)."""
        raise NotImplementedError

    def operand_grads(self, grad, need_a, need_b):
        return (
            unbroadcast(times(grad, self.local(0)), self.a) if need_a else None,
            unbroadcast(times(grad, self.local(1)), self.b) if need_b else None,
        )

    def local_grads(self) -> tuple[Any, ...]:
        return tuple(self.local(operand) for operand in self.operands())


class Add(Elementwise):
    __slots__ = ()
    name = "+"

    def compute(self, a, b):
        return a + b

    def local(self, operand):
        return 1.0


class Sub(Elementwise):
    __slots__ = ()
    name = "-"

    def compute(self, a, b):
        return a - b

    def local(self, operand):
        return 1.0 if operand == 0 else -1.0


class Mul(Elementwise):
    __slots__ = ()
    name = "*"

    def compute(self, a, b):
        return a * b

    def local(self, operand):
        return self.b if operand == 0 else self.a


class Div(Elementwise):
    """``a / b``; dividing by zero is an error, as for `Value`."""

    __slots__ = ()
    name = "/"

    def compute(self, a, b):
        if np.any(b == 0):
            raise ZeroDivisionError(f"op '/' divides by zero (the divisor has {np.count_nonzero(b == 0)} zeros)")
        return a / b

    def local(self, operand):
        return 1.0 / self.b if operand == 0 else -self.out / self.b


class Pow(Elementwise):
    """``a ** b``. A negative base needs an integer exponent (else NaN), so that is an error; so is the
    gradient for the exponent, out · log(a), where the base is not positive."""

    __slots__ = ()
    name = "**"

    def forward(self, a, b):
        if np.any(a <= 0):
            try:
                bad = (a < 0) & np.isfinite(b) & (b != np.floor(b))  # a NaN or inf power goes through, as for Value
                zero = (a == 0) & (b < 0)
            except ValueError:
                raise broadcast_error(self.name, a, b) from None
            if bad.any():
                base = float(np.broadcast_to(a, bad.shape)[bad][0])
                power = float(np.broadcast_to(b, bad.shape)[bad][0])
                raise ValueError(f"op '**' raises the negative number {base!r} to the non-integer power {power!r}")
            if zero.any():  # as Value says it, rather than the general "divides by zero"
                power = float(np.broadcast_to(b, zero.shape)[zero][0])
                raise ZeroDivisionError(f"op '**' raises zero to the negative power {power!r}")
        return super().forward(a, b)

    def compute(self, a, b):
        return a**b

    def local(self, operand):
        a, b = self.a, self.b
        if operand == 0:
            return self._base_local(a, b)
        if a.size and np.any(a <= 0):
            raise ValueError(
                f"op '**': the gradient for the exponent needs a positive base, got {float(np.min(a))!r}"
            )
        return self.out * np.log(a)

    def _base_local(self, a, b):
        """b·a^(b−1), as `Value` gives it: 0 where b = 0 (a**0 is constant, for an infinite or NaN a too), and
        b·out/a where a^(b−1) alone overflows though the product need not (a**0.001 near 0)."""
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            power = a ** (b - 1)
            local = b * power
            if not np.isfinite(power).all():
                overflowed = np.isinf(power) & np.isfinite(a) & (a != 0)
                if overflowed.any():
                    local = np.where(overflowed, b * self.out / a, local)
        return np.where(b == 0, 0, local) if np.any(b == 0) else local

    def local_grads(self):
        try:
            return super().local_grads()
        except ValueError:  # drawn as a text; the backward pass raises
            return tuple("out · log(a), base not positive" if i else self.local(0) for i in self.operands())


class MatMul(Binary):
    """``a @ b``: 1-D operands are promoted to a row (left) or a column (right), batch dims broadcast."""

    __slots__ = ()
    name = "@"

    def forward(self, a, b):
        self.a = a
        self.b = b
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"op '@': shapes {a.shape} and {b.shape}: a 0-d operand has nothing to multiply along")
        inner_a = a.shape[-1]
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if inner_a != inner_b:
            raise ValueError(f"op '@': shapes {a.shape} and {b.shape} are not aligned ({inner_a} != {inner_b})")
        try:
            return a @ b
        except ValueError:
            raise ValueError(
                f"op '@': the batch dimensions of shapes {a.shape} and {b.shape} cannot be broadcast together"
            ) from None

    def operand_grads(self, grad, need_a, need_b):
        a, b = self.a, self.b
        if a.ndim == 1 and b.ndim == 1:
            return (unbroadcast(grad * b, a) if need_a else None, unbroadcast(grad * a, b) if need_b else None)
        if not (grad.flags.c_contiguous or grad.flags.f_contiguous):
            grad = np.ascontiguousarray(grad)  # e.g. the zero-stride view from sum(): BLAS needs real strides
        if a.ndim == 2 and b.ndim == 2:
            # Each gradient is made in its operand's memory layout: for ``x @ w.T`` the gradient of the
            # transposed view is itself transposed, so the weight gets a C-ordered gradient and the
            # optimizer's elementwise update never mixes layouts (which is several times slower).
            grad_a = grad_b = None
            if need_a:
                grad_a = unbroadcast((b @ grad.T).T if _column_major(a) else grad @ b.T, a)
            if need_b:
                grad_b = unbroadcast((grad.T @ a).T if _column_major(b) else a.T @ grad, b)
            return grad_a, grad_b
        a2 = a[np.newaxis] if a.ndim == 1 else a
        b2 = b[:, np.newaxis] if b.ndim == 1 else b
        if a.ndim == 1:
            grad = grad.reshape(grad.shape[:-1] + (1, grad.shape[-1]))
        elif b.ndim == 1:
            grad = grad.reshape(grad.shape + (1,))
        grad_a = unbroadcast(grad @ np.swapaxes(b2, -1, -2), a2).reshape(a.shape) if need_a else None
        grad_b = unbroadcast(np.swapaxes(a2, -1, -2) @ grad, b2).reshape(b.shape) if need_b else None
        return grad_a, grad_b

    def local_grads(self) -> tuple[Any, ...]:
        return tuple(("g @ bᵀ", "aᵀ @ g")[operand] for operand in self.operands())


# --- unary ops ---


class Unary(Function):
    """``f(a)``; subclasses give `compute`, `grad` (the gradient for a) and `local` (for drawings)."""

    __slots__ = ("a", "out")

    def forward(self, a: Array) -> Array:
        self.a = a
        self.out = out = self.compute(a)
        return out

    def compute(self, a: Array) -> Array:
        raise NotImplementedError

    def grad(self, grad: Array) -> Array:
        raise NotImplementedError

    def local(self) -> Any:
        raise NotImplementedError

    def vjp(self, grad: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
        return (self.grad(grad),)

    def local_grads(self) -> tuple[Any, ...]:
        return (self.local(),)


class ElementwiseUnary(Unary):
    """``f(a)`` entry by entry: `local` is f'(a) entry by entry and the gradient is upstream × local."""

    __slots__ = ()

    def grad(self, grad):
        return times(grad, self.local())


class Neg(ElementwiseUnary):
    __slots__ = ()
    name = "neg"

    def compute(self, a):
        return -a

    def local(self):
        return -1.0


class Exp(ElementwiseUnary):
    """``exp(a)``; a finite input that overflows is an error, as for `Value` (see `Tensor.apply`)."""

    __slots__ = ()
    name = "exp"

    def compute(self, a):
        return np.exp(a)

    def local(self):
        return self.out


class Log(ElementwiseUnary):
    """``log(a)``: a non-positive entry is an error rather than a silent -inf or NaN."""

    __slots__ = ()
    name = "log"

    def compute(self, a):
        if np.any(a <= 0):  # NaN entries go through
            raise ValueError(f"op 'log' needs positive entries, but the smallest is {float(np.nanmin(a))!r}")
        return np.log(a)

    def local(self):
        return 1.0 / self.a


class ReLU(ElementwiseUnary):
    __slots__ = ()
    name = "relu"

    def compute(self, a):
        return np.maximum(a, 0)

    def local(self):
        return self.a > 0  # 1 where a > 0, else 0, as booleans: the product with them needs no conversion


class Tanh(ElementwiseUnary):
    __slots__ = ()
    name = "tanh"

    def compute(self, a):
        return np.tanh(a)

    def local(self):
        out = self.out
        return 1 - out * out


class Sigmoid(ElementwiseUnary):
    """``1 / (1 + exp(-a))`` written with exp(-|a|) only, so no input overflows."""

    __slots__ = ()
    name = "sigmoid"

    def compute(self, a):
        with np.errstate(under="ignore", over="ignore"):
            e = np.exp(-np.abs(a))
            r = 1 / (1 + e)
            return np.where(a >= 0, r, e * r)

    def local(self):
        out = self.out
        return out * (1 - out)


# --- reductions and shape ops: the Jacobian is not elementwise, so `grad` is written out and `local` is a text ---


class Sum(Unary):
    __slots__ = ("axis", "axes", "keepdims")
    name = "sum"

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = check_keepdims(keepdims, self.name)

    def compute(self, a):
        self.axes = axes = normalize_axes(self.axis, a.ndim, self.name)
        return a.sum(axis=axes, keepdims=self.keepdims)

    def grad(self, grad):
        if not self.keepdims:
            grad = np.expand_dims(grad, self.axes)
        return np.broadcast_to(grad, self.a.shape)

    def local(self):
        return "broadcast g"


class Mean(Sum):
    __slots__ = ("count",)
    name = "mean"

    def compute(self, a):
        with np.errstate(over="ignore"):  # a sum too large for the dtype is summed again below, scaled first
            out = super().compute(a)
        count = 1
        for ax in self.axes:
            count *= a.shape[ax]
        if not count and np.size(out):
            raise ValueError(f"op 'mean': the mean of no entries is undefined (shape {a.shape}, axes {self.axes})")
        self.count = count
        if not count:
            return out
        if not np.isfinite(out).all():  # a sum that overflowed, or inf and NaN inputs (the same either way)
            scaled = (a / count).sum(axis=self.axes, keepdims=self.keepdims)
            low, high = a.min(axis=self.axes, keepdims=self.keepdims), a.max(axis=self.axes, keepdims=self.keepdims)
            scaled = np.minimum(np.maximum(scaled, low), high)  # where the mean lies, which rounding may leave
            return np.where(np.isfinite(out), out / count, scaled)
        return out / count

    def grad(self, grad):
        return super().grad(grad / self.count if self.count else grad)

    def local(self):
        return f"broadcast g / {self.count}"


class Max(Unary):
    """The largest entry along `axis`; its gradient goes to the arg-max (the first one on ties)."""

    __slots__ = ("axis", "axes", "keepdims")
    name = "max"

    def __init__(self, axis: Any = None, keepdims: bool = False) -> None:
        self.axis = axis
        self.keepdims = check_keepdims(keepdims, self.name)

    def compute(self, a):
        self.axes = axes = normalize_axes(self.axis, a.ndim, self.name)
        if a.size == 0 and any(a.shape[ax] == 0 for ax in axes):
            raise ValueError(f"op 'max': the largest of no entries is undefined (shape {a.shape}, axes {axes})")
        return a.max(axis=axes, keepdims=self.keepdims)

    def grad(self, grad):
        a, axes = self.a, self.axes
        if a.size == 0:  # the max of no rows (axes of other lengths): nothing to send a gradient to
            return np.zeros_like(a)
        kept = a.ndim - len(axes)
        moved = np.moveaxis(a, axes, range(kept, a.ndim))
        rows = moved.reshape(moved.shape[:kept] + (-1,))
        first_max = rows.argmax(axis=-1)[..., np.newaxis]
        full = np.zeros(rows.shape, a.dtype)
        np.put_along_axis(full, first_max, np.reshape(grad, moved.shape[:kept] + (1,)), axis=-1)
        return np.moveaxis(full.reshape(moved.shape), range(kept, a.ndim), axes)

    def local(self):
        return "g to the arg-max"


class Reshape(Unary):
    __slots__ = ("shape",)
    name = "reshape"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def compute(self, a):
        try:
            return a.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"op 'reshape': cannot reshape shape {a.shape} ({a.size} entries) into {self.shape}"
            ) from None

    def grad(self, grad):
        return grad.reshape(self.a.shape)

    def local(self):
        return "reshape g"


class Transpose(Unary):
    __slots__ = ("axes", "inverse")
    name = "transpose"

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes

    def compute(self, a):
        axes, ndim = self.axes, a.ndim
        if axes is not None and not all(_is_int(ax) for ax in axes):
            raise TypeError(f"op 'transpose': axes must be ints, got {tuple(axes)}")
        if axes is not None and (
            len(axes) != ndim or not all(-ndim <= ax < ndim for ax in axes) or len({ax % ndim for ax in axes}) != ndim
        ):
            raise ValueError(
                f"op 'transpose': axes {tuple(axes)} do not permute the {ndim} axes of shape {a.shape}: give each "
                f"of 0..{ndim - 1} once (or -{ndim}..-1), or none to reverse them"
            )
        out = a.transpose(axes)
        self.inverse = None if axes is None else tuple(np.argsort([ax % a.ndim for ax in axes]).tolist())
        return out

    def grad(self, grad):
        return grad.transpose(self.inverse)

    def local(self):
        return "transpose g"


class GetItem(Unary):
    """``a[index]``; the gradient scatters back, adding up where an index repeats."""

    __slots__ = ("index", "basic")
    name = "getitem"

    def __init__(self, index: Any) -> None:
        self.index = index = _kept(index)
        items = index if type(index) is tuple else (index,)
        self.basic = all(
            item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)) for item in items
        )

    def compute(self, a):
        return a[self.index]

    def grad(self, grad):
        a = self.a
        full = np.zeros(a.shape, a.dtype)
        if self.basic:
            full[self.index] = grad  # ints and slices never select an entry twice
        else:
            np.add.at(full, self.index, grad)
        return full

    def local(self):
        return "scatter g"


def _kept(index: Any) -> Any:
    """`index` with copies of its arrays and lists, which the backward pass reads again: changing the caller's
    after the forward pass must not move the gradient."""
    if type(index) is tuple:
        return tuple(_kept(item) for item in index)
    if isinstance(index, np.ndarray):
        return index.copy()
    return copy.deepcopy(index) if isinstance(index, list) else index


class Softmax(Unary):
    """``exp(a) / sum(exp(a))`` along `axis`, computed from ``a - max(a)`` so nothing overflows."""

    __slots__ = ("axis", "axes")
    name = "softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def compute(self, a):
        axis = self.axes = _softmax_axes(self.axis, a, self.name)
        if a.size == 0:  # nothing to normalize
            return a.copy()
        with np.errstate(under="ignore", over="ignore"):  # a - max(a) = -inf far below the largest: its exp is 0
            e = np.asarray(a - a.max(axis=axis, keepdims=True))  # an array even for a 0-d input
            np.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        return e

    def grad(self, grad):
        s = self.out
        return s * (grad - (grad * s).sum(axis=self.axes, keepdims=True))

    def local(self):
        return "s * (g - sum(g * s))"


def _softmax_axes(axis: Any, a: Array, op: str) -> Any:
    """The axes a softmax normalizes over, checked against `a` (a 0-d input keeps NumPy's own reading)."""
    return normalize_axes(axis, a.ndim, op) if a.ndim else axis


class LogSoftmax(Unary):
    """``a - log(sum(exp(a)))`` along `axis`, computed from ``a - max(a)`` so nothing overflows."""

    __slots__ = ("axis", "axes")
    name = "log_softmax"

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def compute(self, a):
        axis = self.axes = _softmax_axes(self.axis, a, self.name)
        if a.size == 0:  # nothing to normalize
            return a.copy()
        out = a - a.max(axis=axis, keepdims=True)
        with np.errstate(under="ignore"):
            out -= np.log(np.exp(out).sum(axis=axis, keepdims=True))
        return out

    def grad(self, grad):
        with np.errstate(under="ignore"):
            s = np.exp(self.out)
        return grad - s * grad.sum(axis=self.axes, keepdims=True)

    def local(self):
        return "g - softmax * sum(g)"


def check_labels(labels: Array, n: int, classes: int) -> None:
    """ValueError unless `labels` are `n` integer classes in [0, classes), one per row of logits."""
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"op 'cross_entropy': labels must be {n} integers (one per row of logits), got shape {labels.shape} "
            f"of dtype {labels.dtype}"
        )
    if n:
        low, high = np.minimum.reduce(labels), np.maximum.reduce(labels)
        if low < 0 or high >= classes:
            raise ValueError(f"cross_entropy: class targets must lie in [0, {classes - 1}], got {low}..{high}")


class CrossEntropy(Function):
    """Mean cross-entropy of logits (N, classes) against targets, log-softmax and NLL fused in one op.

    The targets are a constant of the op: integer ``labels`` (N,), or target ``rows`` (N, classes)
    such as one-hot rows. The loss is ``mean(logsumexp(z) - z[label])`` (``-mean(sum(rows *
    log_softmax(z)))`` for rows), computed from ``z - max(z)`` so nothing overflows. The forward
    pass keeps the softmax, and the gradient is ``(softmax - onehot) / N`` (``(softmax * sum(rows)
    - rows) / N`` for rows): no (N, classes) log-probability node, no scatter of the picked entries.
    """

    __slots__ = ("labels", "rows", "probs", "picked")
    name = "cross_entropy"
    fresh_grads = True

    def __init__(self, labels: Array | None = None, rows: Array | None = None) -> None:
        if (labels is None) == (rows is None):
            raise ValueError("op 'cross_entropy' takes either integer labels or target rows")
        self.labels = None if labels is None else labels.copy()  # the backward pass reads them again
        self.rows = None if rows is None else rows.copy()

    def forward(self, z: Array) -> Array:
        if z.ndim != 2:
            raise ValueError(f"op 'cross_entropy': logits must have shape (N, classes), got {z.shape}")
        n, classes = z.shape
        if not n:
            raise ValueError("op 'cross_entropy': an empty batch (no rows of logits) has no mean loss")
        labels, rows = self.labels, self.rows
        if labels is not None:
            check_labels(labels, n, classes)
        elif rows is not None and rows.shape != z.shape:
            raise ValueError(f"op 'cross_entropy': target rows have shape {rows.shape}, logits {z.shape}")
        # Worked on zᵀ, of shape (classes, N): each reduction then runs along N contiguous numbers
        # at a time rather than over N rows of only `classes` numbers, several times faster for 10.
        shifted = np.array(z.T, order="C")  # a copy, shifted in place
        shifted -= np.maximum.reduce(shifted, axis=0)
        probs = np.exp(shifted)  # Tensor.apply lets exp underflow to 0 quietly
        totals = np.add.reduce(probs, axis=0)
        if rows is None:
            # Where each sample's label sits in the flattened (classes, N) arrays, one index per sample: read
            # here, and written in the backward pass 4x faster than by (label, sample) pairs.
            self.picked = picked = np.asarray(labels, dtype=np.intp) * n + np.arange(n)
            per_sample = np.log(totals)
            per_sample -= shifted.take(picked)  # log(sum(exp(z))) - z[label], both shifted alike
            nll = np.add.reduce(per_sample)
        else:
            targets = rows.T
            weighted = np.multiply(targets, shifted, out=np.zeros_like(shifted), where=targets != 0)  # 0·(−inf) is 0
            nll = rows.sum(axis=1) @ np.log(totals) - np.add.reduce(weighted, axis=None)
        probs /= totals
        self.probs = probs  # the softmax, (classes, N)
        return np.asarray(nll / n, dtype=z.dtype)

    def vjp(self, grad: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
        probs = self.probs
        n = probs.shape[1]
        scale = float(grad) / n  # a Python number keeps the arrays' dtype
        rows = self.rows
        if rows is None:
            out = probs * scale
            out.reshape(-1)[self.picked] -= scale  # one entry per sample, so no index repeats
        else:
            out = probs * rows.sum(axis=1)
            out -= rows.T
            out *= scale
        return (out.T,)  # (N, classes), laid out column by column

    def local_grads(self) -> tuple[Any, ...]:
        return ("(softmax - onehot) / N",) if self.rows is None else ("(softmax · Σrows - rows) / N",)

    @property
    def constant(self) -> Any:
        """The targets: the integer labels or the target rows."""
        return self.labels if self.labels is not None else self.rows


class Linear(Function):
    """``x @ w.T + b``, the affine map of a fully connected layer, as one op, and optionally its activation.

    `x` is a batch (..., nin), `w` a weight (nout, nin) as in PyTorch, `b` an optional bias
    (nout,). One node instead of three (transpose, matmul, add), so a layer costs one op's
    bookkeeping; the bias is added in place to the fresh product. Backward is two matrix
    products and one sum: ``g @ w`` for x, ``gᵀ @ x`` for w (made directly in w's own memory
    layout, row or column by column, so the optimizer's elementwise update never mixes
    layouts) and the sum of g over the batch for b.

    With an `activation` (an elementwise op such as `ReLU()`), the node is the whole layer,
    act(x @ w.T + b): the activation's own forward and local derivative are applied to the
    affine map, one node instead of two (the NumPy backend's hot path).
    """

    __slots__ = ("x", "w", "b", "activation")
    fresh_grads = True

    def __init__(self, activation: ElementwiseUnary | None = None) -> None:
        self.activation = activation

    @property
    def name(self) -> str:
        return "linear" if self.activation is None else f"{self.activation.name}∘linear"

    def forward(self, x: Array, w: Array, b: Array | None = None) -> Array:
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[1] or (b is not None and b.shape != w.shape[:1]):
            bias = "" if b is None else f" and bias {b.shape}"
            raise ValueError(f"op 'linear': inputs {x.shape} do not fit weight {w.shape}{bias}")
        self.x = x
        self.w = w
        self.b = b
        out = x @ w.T
        if b is not None:
            if b.dtype == out.dtype:
                out += b  # in place: the product is a new array that nothing else refers to yet
            else:
                out = out + b
        return out if self.activation is None else self.activation.forward(out)

    def recompute(self, parents: list[Array]) -> Array | None:
        activation = self.activation
        if activation is not None and not own_op(activation):
            return None  # an activation of your own, whose forward may be random
        again = copy.copy(self)
        again.activation = copy.copy(activation)  # which keeps arrays of its own for the backward pass
        return again.forward(*parents)

    def vjp(self, grad: Array, needs: tuple[bool, ...]) -> tuple[Array | None, ...]:
        x, w, b = self.x, self.w, self.b
        if self.activation is not None:
            grad = self.activation.grad(grad)  # to the gradient at x @ w.T + b
        if grad.ndim != 2:  # (..., nout) batches and single samples: the same products on rows
            grad = np.ascontiguousarray(grad)  # e.g. the zero-stride view from sum(): BLAS needs real strides
            rows, x_rows = grad.reshape(-1, w.shape[0]), x.reshape(-1, w.shape[1])
        else:
            rows, x_rows = grad, x
            if not (grad.flags.c_contiguous or grad.flags.f_contiguous):
                rows = grad = np.ascontiguousarray(grad)
        grad_x = in_dtype(grad @ w, x.dtype) if needs[0] else None
        grad_w = None
        if needs[1]:  # made in w's own memory layout (see MatMul.operand_grads)
            grad_w = in_dtype((x_rows.T @ rows).T if _column_major(w) else rows.T @ x_rows, w.dtype)
        if b is None:
            return grad_x, grad_w
        return grad_x, grad_w, (in_dtype(np.add.reduce(rows, axis=0), b.dtype) if needs[2] else None)

    def local_grads(self) -> tuple[Any, ...]:
        g = "g" if self.activation is None else f"({self.activation.name}'(z) ⊙ g)"
        local = (f"{g} @ w", f"{g}ᵀ @ x")
        return local if self.b is None else local + (f"sum{g if g != 'g' else '(g)'} over the batch",)
