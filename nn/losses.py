"""Loss functions for what models return: a Value, lists of Values, or a Tensor batch.

Targets are plain numbers, lists or arrays. Every loss is a mean over the batch (`l2`, a
penalty to add to one, is a sum). Each formula is written once with arithmetic that both
backends share, and only gathering predictions and summing differ, except cross-entropy:
the NumPy backend runs it as one fused op (`tensor_ops.CrossEntropy`).
"""

from __future__ import annotations

import numbers
import reprlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from chainrule import autograd
from chainrule.autograd import Value, tensor_ops
from chainrule.autograd.tensor import narrowed, unmasked
from chainrule.autograd.tensor_ops import normalize_axes

CLIP = 1e-7
ONE_OUTPUT = (
    "cross_entropy needs at least two logits per sample (one per class), but the model gives one; "
    "for two classes and one output use binary_cross_entropy_with_logits"
)


def _is_tensor(x: Any) -> bool:
    """A Tensor, or a node like it, whose numbers are an ndarray in ``data`` (not an array itself: a masked
    array keeps its numbers in ``data`` too)."""
    return not isinstance(x, np.ndarray) and hasattr(x, "data") and isinstance(x.data, np.ndarray)


def _refuse_array(pred: Any, name: str) -> None:
    """TypeError for predictions that are an ndarray (a masked one too): numbers, not a graph to differentiate."""
    if isinstance(pred, np.ndarray):
        raise TypeError(
            f"{name}: predictions must be Values (a model's outputs) or a Tensor, got an ndarray; a loss of plain "
            f"numbers has no gradient to follow"
        )


def _flat_values(pred: Any, name: str = "") -> list[Value]:
    """Every Value in a (nested) list of predictions; anything else is a TypeError naming it."""
    if isinstance(pred, Value):
        return [pred]
    if _is_tensor(pred):
        raise _tensors_in_a_list(name)
    if isinstance(pred, (numbers.Number, str, bytes)) or not hasattr(pred, "__iter__"):
        raise TypeError(
            f"predictions must be Values (a model's outputs) or a Tensor, got {type(pred).__name__} {pred!r}; "
            f"a loss of plain numbers has no gradient to follow"
        )
    values: list[Value] = []
    for item in pred:
        values.extend(_flat_values(item, name))
    return values


def _tensors_in_a_list(name: str) -> TypeError:
    return TypeError(
        f"{name + ': ' if name else ''}predictions must be Values or one Tensor, got a list holding Tensors: pass the "
        f"model's output for the whole batch, model(X), as one Tensor"
    )


def _iter_flat(items: Any) -> Any:
    if isinstance(items, (list, tuple)):
        for item in items:
            yield from _iter_flat(item)
    else:
        yield items


def _elementwise(pred: Any, target: Any, name: str) -> tuple[Any, Any, int]:
    """Predictions and targets matched element by element, and how many there are.

    The two must have the same shape but for axes of length 1, so (N,) targets fit (N, 1)
    predictions; a transposed or flattened target is refused rather than read in the wrong order.
    """
    _refuse_array(pred, name)
    target = _float_targets(_target_numbers(target, name), name)
    shape, values = (pred.shape, []) if _is_tensor(pred) else _nested(pred, name)
    if _squeezed(shape) != _squeezed(target.shape):
        raise ValueError(f"{name}: predictions have shape {shape} but targets have shape {target.shape}")
    if not target.size:
        raise ValueError(f"{name}: an empty batch (no predictions) has no mean loss")
    if _is_tensor(pred):
        return pred, narrowed(target.reshape(pred.shape), pred.dtype, f"{name}: the target"), pred.data.size
    return values, target.ravel().tolist(), len(values)


def _target_numbers(target: Any, name: str) -> Any:
    """`target` itself, refused (TypeError) if it is a Tensor or Value in a graph: a loss fits predictions to
    fixed numbers, and no gradient flows into them."""
    if getattr(target, "requires_grad", False):
        raise TypeError(
            f"{name}: the targets are numbers to fit, but a {type(target).__name__} that requires grad was given; "
            f"pass its numbers (target.data): no gradient flows into targets"
        )
    return unmasked(target, f"{name}: the targets")


def _float_targets(target: Any, name: str) -> np.ndarray:
    """The targets as float64, refused (TypeError) unless they are numbers: strings such as "1" are not."""
    array = np.asarray(target)
    if array.dtype.kind in "biuf":
        return array.astype(np.float64, copy=False)
    if array.dtype.kind == "O":
        bad = [item for item in array.flat if not isinstance(item, (numbers.Real, Decimal, np.bool_))][:1]
        if not bad:
            return array.astype(np.float64)
        raise TypeError(f"{name}: targets must be numbers, got {type(bad[0]).__name__} {bad[0]!r} among them")
    example = f" such as {array.reshape(-1)[:1].tolist()[0]!r}" if array.size else ""
    raise TypeError(f"{name}: targets must be numbers, got an array of {array.dtype}{example}")


def _nested(pred: Any, name: str) -> tuple[tuple[int, ...], list[Value]]:
    """The shape of Values nested in lists, as NumPy would give it, and the Values in order (one pass, so a
    generator is read once); ValueError for rows of different shapes, whose pairing with targets is unclear."""
    if isinstance(pred, Value):
        return (), [pred]
    if _is_tensor(pred):
        raise _tensors_in_a_list(name)
    items = list(pred) if hasattr(pred, "__iter__") and not isinstance(pred, (str, bytes)) else None
    if items is None:
        _flat_values(pred)  # the TypeError naming what is not a Value
    if not items:
        return (0,), []
    shapes: set[tuple[int, ...]] = set()
    values: list[Value] = []
    for item in items:
        shape, inside = _nested(item, name)
        shapes.add(shape)
        values.extend(inside)
    if len(shapes) > 1:
        described = ", ".join(_described(shape) for shape in sorted(shapes))
        raise ValueError(
            f"{name}: the predictions' rows differ in shape ({described}), but each prediction needs its own "
            f"target: pass rows of one length, shaped as the targets"
        )
    return (len(items), *shapes.pop()), values


def _described(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a Value"
    return f"a row of {shape[0]}" if len(shape) == 1 else f"rows of shape {shape}"


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(size for size in shape if size != 1)


def _check_unit_interval(values: Any, what: str, name: str, hint: str = "") -> None:
    """Refuse numbers outside [0, 1] (NaN goes through: a diverged run is reported as such)."""
    values = np.asarray(values, dtype=np.float64)
    outside = (values < 0) | (values > 1)
    if outside.any():
        raise ValueError(f"{name} takes {what} in [0, 1], got {values[outside].flat[0]:g}{hint}")


def _mean(terms: Any, count: int) -> Any:
    """The mean of `count` terms: a Tensor's by its own mean op (which scales a sum too large for its dtype first)."""
    if _is_tensor(terms):
        return terms.mean() if terms.data.size == count else terms.sum() * (1.0 / count)
    if count == 1:
        return terms[0]
    return autograd.sum(terms) * (1.0 / count)


def _each(f, pred: Any, target: Any) -> Any:
    """f(prediction, target) over every element: one vectorized call for a Tensor, a list for Values."""
    if _is_tensor(pred):
        return f(pred, target)
    return [f(p, t) for p, t in zip(pred, target)]


def mse(pred: Any, target: Any) -> Any:
    """Mean squared error, mean((pred - target)²)."""
    pred, target, n = _elementwise(pred, target, "mse")
    return _mean(_each(lambda p, t: (p - t) ** 2, pred, target), n)


def binary_cross_entropy(pred: Any, target: Any) -> Any:
    """-mean(t·log p + (1-t)·log(1-p)) for probabilities p, clipped to [1e-7, 1-1e-7] (no gradient outside)."""
    pred, target, n = _elementwise(pred, target, "binary_cross_entropy")
    _check_unit_interval(target, "targets", "binary_cross_entropy")
    _check_unit_interval(
        pred.data if _is_tensor(pred) else [p.data for p in pred], "probabilities (a sigmoid's outputs)",
        "binary_cross_entropy", "; for raw scores use binary_cross_entropy_with_logits",
    )

    def term(p: Any, t: Any) -> Any:
        inside = (p.data > CLIP) & (p.data < 1 - CLIP)
        bounded = np.clip(p.data, CLIP, 1 - CLIP)
        if isinstance(p, Value):
            clipped = p if inside else Value(float(bounded))
        else:
            clipped = p * inside.astype(p.dtype) + (bounded * ~inside).astype(p.dtype)
        if isinstance(p, Value) and t in (0.0, 1.0):  # one log only: a smaller graph to draw
            return -clipped.log() if t == 1.0 else -(1.0 - clipped).log()
        return -(t * clipped.log() + (1 - t) * (1 - clipped).log())

    return _mean(_each(term, pred, target), n)


def binary_cross_entropy_with_logits(pred: Any, target: Any) -> Any:
    """Binary cross-entropy on logits z, stable for any z: max(z, 0) - z·t + log(1 + exp(-|z|))."""
    pred, target, n = _elementwise(pred, target, "binary_cross_entropy_with_logits")
    _check_unit_interval(target, "targets", "binary_cross_entropy_with_logits")

    def term(z: Any, t: Any) -> Any:
        sign = np.where(z.data > 0, -1.0, 1.0)  # −|z| = sign·z, taking z = 0 on the z < 0 side like relu'(0) = 0
        sign = float(sign) if isinstance(z, Value) else sign.astype(z.dtype)
        return z.relu() - z * t + ((z * sign).exp() + 1.0).log()

    return _mean(_each(term, pred, target), n)


def hinge(pred: Any, target: Any) -> Any:
    """The max-margin loss of micrograd's demo: mean(relu(1 - t·s)) for targets t of -1 or +1."""
    pred, target, n = _elementwise(pred, target, "hinge")
    labels = np.unique(np.asarray(target))
    if not np.isin(labels, (-1.0, 1.0)).all():
        raise ValueError(f"hinge needs targets of -1 or +1, got {labels.tolist()}")
    return _mean(_each(lambda s, t: (1.0 - s * t).relu(), pred, target), n)


def softmax(logits: Any, axis: int = -1) -> Any:
    """exp(z) / sum(exp(z)) for one sample's logits as Values (a list of Values), a batch of them
    (rows of Values, each row normalized on its own), a Tensor along `axis` (a Tensor), or plain
    numbers (an ndarray along `axis`)."""
    if _is_tensor(logits):
        return logits.softmax(axis=axis)
    if not isinstance(logits, Value) and not any(isinstance(z, Value) for z in _iter_flat(logits)):
        numbers = np.asarray(unmasked(logits, "softmax's logits"), dtype=np.float64)
        if numbers.size == 0:  # nothing to normalize, as for a Tensor (whose axis is checked all the same)
            normalize_axes(axis, numbers.ndim, "softmax")
            return numbers
        shifted = np.exp(numbers - np.max(numbers, axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)
    if isinstance(logits, Value) or all(isinstance(z, Value) for z in logits):  # one sample's logits
        if axis not in (0, -1):
            raise ValueError(f"softmax of one sample's logits (a list of Values) takes axis 0 or -1, got {axis!r}")
        return _softmax_of_values(_flat_values(logits))
    if axis not in (1, -1):  # a batch as rows of Values, the one layout this path reads
        raise ValueError(f"softmax of a batch of Value rows normalizes each row: axis 1 or -1, got {axis!r}")
    rows = [list(row) if hasattr(row, "__iter__") else row for row in logits]
    if not all(isinstance(row, list) and row and all(isinstance(z, Value) for z in row) for row in rows):
        raise TypeError("softmax takes one sample's logits as a list of Values, or a batch as rows of Values")
    return [_softmax_of_values(row) for row in rows]


def _softmax_of_values(logits: list[Value]) -> list[Value]:
    shift = max(z.data for z in logits)
    exps = [(z - shift).exp() for z in logits]
    total = autograd.sum(exps)
    return [e / total for e in exps]


def cross_entropy(logits: Any, target: Any) -> Any:
    """Mean -log softmax(z)[t] over the batch: integer class targets (shaped (N,) or (N, 1)) or one-hot
    rows (soft ones too: each row non-negative and summing to 1); log-sum-exp stable."""
    _refuse_array(logits, "cross_entropy")
    target = np.asarray(_target_numbers(target, "cross_entropy"))
    if target.ndim == 0 or (target.ndim == 2 and target.shape[1] == 1):  # one label, or a column of them
        target = target.reshape(-1)  # (never one-hot rows, as there are 2 classes or more)
    if _is_tensor(logits):
        if logits.ndim != 2:
            raise ValueError(f"cross_entropy: logits must have shape (N, classes), got {logits.shape}")
        # One fused op (log-softmax and the mean NLL, gradient (softmax - onehot) / N) rather than
        # log_softmax, a gather, a sum and a scale: fewer nodes, no scatter in the backward pass.
        n, classes = logits.shape
        if classes < 2:
            raise ValueError(ONE_OUTPUT)
        if target.ndim == 2:
            _check_one_hot(target, n, classes)
            fused = tensor_ops.CrossEntropy(rows=target.astype(logits.dtype, copy=False))  # which the op copies
        elif target.dtype.kind in "iu" and target.shape == (n,):
            fused = tensor_ops.CrossEntropy(labels=target)  # the common case: the op checks the range itself
        else:
            fused = tensor_ops.CrossEntropy(labels=_check_labels(target, n, classes))
        return autograd.Tensor.apply(fused, (logits,), logits.data)
    _flat_values(logits, "cross_entropy")  # Values only: a loss of plain numbers has no gradient to follow
    rows = _rows(logits, target)
    n, classes = len(rows), len(rows[0])
    one_hot = target.ndim == 2
    if one_hot:
        _check_one_hot(target, n, classes)
        weights = target.astype(np.float64)
    else:
        labels = _check_labels(target, n, classes)
        weights = np.eye(classes)[labels]
    terms = []
    for row, w in zip(rows, weights):
        shift = max(z.data for z in row)
        # exp of a logit more than 746 below the largest is 0: left out, so z - shift cannot overflow
        log_total = autograd.sum([(z - shift).exp() for z in row if not z.data - shift <= -746]).log() + shift
        terms.extend((log_total - z) * float(wk) if wk != 1 else log_total - z for z, wk in zip(row, w) if wk)
    return _mean(terms, n) if len(terms) == n else autograd.sum(terms) * (1.0 / n)


def l2(parameters: Iterable[Any]) -> Any:
    """Sum of squares of every parameter (add `alpha * l2(model.parameters())` to regularise)."""
    if not isinstance(parameters, Iterable) or isinstance(parameters, Value):
        raise TypeError(f"l2 takes a list of parameters such as model.parameters(), got {type(parameters).__name__}")
    parameters = list(parameters)
    for position, p in enumerate(parameters):
        if not (isinstance(p, Value) or _is_tensor(p)):  # a penalty on plain numbers would have no gradient
            raise TypeError(
                f"l2 takes parameters (Values or Tensors) such as model.parameters(), got {type(p).__name__} "
                f"{reprlib.repr(p)} at position {position}"
            )
    tensors = [_is_tensor(p) for p in parameters]
    if any(tensors) and not all(tensors):
        other = tensors.index(not tensors[0])
        raise TypeError(
            f"l2 takes the parameters of one backend, Tensors or Values, but parameter 0 is a "
            f"{type(parameters[0]).__name__} and parameter {other} a {type(parameters[other]).__name__}"
        )
    if parameters and tensors[0]:
        total = (parameters[0] * parameters[0]).sum()
        for p in parameters[1:]:
            total = total + (p * p).sum()
        return total
    return autograd.sum([p * p for p in parameters])


def _rows(logits: Any, target: np.ndarray) -> list[Sequence[Value]]:
    """The logits as one row per sample; a flat list of Values is one sample's (for one label or one-hot row)."""
    if isinstance(logits, Value):
        raise ValueError(ONE_OUTPUT)
    if not len(logits):
        raise ValueError("cross_entropy: an empty batch (no logits) has no mean loss")
    if isinstance(logits[0], Value):
        if target.ndim == 1 and target.size > 1:  # several targets, so one Value per sample
            n = len(logits)
            raise ValueError(
                f"cross_entropy: one sample's {n} logits but targets of shape {target.shape}; pass one label or one "
                f"one-hot row such as [[0, 1, 0]]" if target.size != n else
                f"{ONE_OUTPUT} (read as {n} samples, since there are {n} targets); if the {n} Values are one "
                f"sample's logits, pass one label or one one-hot row such as [[0, 1, 0]]"
            )
        rows = [list(logits)]
    else:
        rows = [list(row) for row in logits]
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError("cross_entropy needs the same number of logits for every sample")
    if len(rows[0]) < 2:
        raise ValueError(ONE_OUTPUT)
    return rows


def _check_labels(target: np.ndarray, n: int, classes: int) -> np.ndarray:
    if target.shape != (n,):
        raise ValueError(f"cross_entropy: {n} samples but targets have shape {target.shape}")
    if target.dtype == object and n and all(isinstance(x, numbers.Rational) for x in target):  # 2**64, Fraction(1)
        if any(x.denominator != 1 for x in target):
            raise ValueError("cross_entropy: class targets must be integers (or pass one-hot rows)")
        low, high = min(target), max(target)
        if low < 0 or high >= classes:
            raise ValueError(f"cross_entropy: class targets must lie in [0, {classes - 1}], got {low}..{high}")
        target = np.array([int(x) for x in target], dtype=np.int64)
    if target.dtype.kind not in "biuf":
        raise TypeError(f"cross_entropy: class targets must be integers 0, 1, ..., got an array of {target.dtype}")
    if not np.all(np.equal(np.mod(target, 1), 0)):
        raise ValueError("cross_entropy: class targets must be integers (or pass one-hot rows)")
    low, high = (np.min(target), np.max(target)) if n else (0, 0)
    if low < 0 or high >= classes:  # on the numbers given, before int64 could wrap them
        raise ValueError(f"cross_entropy: class targets must lie in [0, {classes - 1}], got {int(low)}..{int(high)}")
    labels = target.astype(np.int64)
    tensor_ops.check_labels(labels, n, classes)  # the range, checked where the fused op checks it
    return labels


def _check_one_hot(target: np.ndarray, n: int, classes: int) -> None:
    if target.shape != (n, classes):
        raise ValueError(f"cross_entropy: one-hot targets must have shape {(n, classes)}, got {target.shape}")
    if target.dtype.kind not in "biuf":
        raise TypeError(f"cross_entropy: one-hot targets must be numbers, got an array of dtype {target.dtype}")
    totals = target.sum(axis=1, dtype=np.float64)
    bad = np.flatnonzero((target < 0).any(axis=1) | ~(np.abs(totals - 1) <= 1e-4))
    if bad.size:
        row = bad[0]
        raise ValueError(
            f"cross_entropy: each one-hot row must be non-negative and sum to 1 (a distribution over the classes), "
            f"but row {row} is {target[row].tolist()}"
        )


LOSSES = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}


def get_loss(loss: Any) -> Any:
    """A loss function from its name (or the callable itself)."""
    if callable(loss):
        return loss
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a name such as 'mse' or a callable, got {type(loss).__name__} {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {', '.join(LOSSES)} or a callable")
    return LOSSES[loss]


def loss_name(loss: Any) -> str:
    """The name of a loss given by name or as a function (its ``__name__``), by which the rule for accuracy
    knows a loss on logits; TypeError or ValueError, as `get_loss` says, for what is no loss."""
    if callable(loss):
        return getattr(loss, "__name__", "")
    get_loss(loss)
    return loss
