"""`fit` and `predict`: the Keras-style training loop the course uses, for either backend.

One step of `fit` is the course's three steps in small: the model (a function with
parameters θ) maps a batch to outputs, the loss says how good that function is on the
batch, and gradient descent moves θ a little downhill (`_Training.step` is those lines).

How outputs become classes, for accuracy, is one rule:

- several outputs: the class is the arg-max; targets are integer labels or one-hot rows;
- one output: targets are two values, 0/1 or -1/+1, and an output above the threshold
  means the upper one. The threshold is 0 for losses on logits or margins
  (``binary_cross_entropy_with_logits``, ``hinge``) and otherwise the midpoint of the two
  target values: 0.5 for 0/1 targets, 0 for -1/+1. ``fit(threshold=...)`` overrides it
  (for a loss of your own on logits, say). Targets that are all 1 could be either kind, so they
  need a threshold (or a loss on logits).
"""

from __future__ import annotations

import math
import numbers
import reprlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from chainrule.autograd import Value, no_grad
from chainrule.autograd.graph import add_note
from chainrule.autograd.tensor import number_text, unmasked

from .init import Seed, check_flag, check_size, rng_from
from .layers import Layer
from .losses import LOSSES, get_loss, loss_name
from .mlp import MLP
from .module import backend_of
from .optim import Optimizer, make_optimizer
from .progress import ProgressBar, tqdm_disable
from .tensor_layers import Linear, Sequential, Softmax, _Activation

METRICS = ("accuracy",)
LOGIT_LOSSES = ("hinge", "binary_cross_entropy_with_logits")
"""Losses whose one output is a logit or a margin, so that 0 separates the two classes."""

Callback = Callable[[int, dict[str, float]], None]
"""``on_step_end(step, figures)`` and ``on_epoch_end(epoch, figures)``."""


class StopTraining(Exception):
    """Raise it from `fit`'s ``on_step_end`` or ``on_epoch_end`` to end training there: `fit` then returns the
    History so far, as Keras's ``model.stop_training`` and fastai's ``CancelFitException`` do.

    From ``on_step_end`` the epoch ends after that step: its figures average the batches it ran, and the
    validation and ``on_epoch_end`` follow as after a whole epoch.
    """


class History:
    """Per-epoch figures from `fit`: ``history.loss``, ``history.accuracy``, ``history.val_loss``, ...

    ``history.history`` is the plain dict, as in Keras. ``history.optimizer`` is the optimizer that took
    the steps (the one made from a name such as ``"adam"`` too): give it to the next `fit` call to go on
    with its state (Adam's moments, momentum) rather than start a new one.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.optimizer: Optimizer | None = None

    def _record(self, **figures: float) -> None:
        for key, value in figures.items():
            self.history.setdefault(key, []).append(value)

    def __getattr__(self, name: str) -> list[float]:
        history = self.__dict__.get("history", {})
        if name in history:
            return history[name]
        raise AttributeError(f"History has no {name!r}; it recorded {sorted(history)}")

    def __getitem__(self, name: str) -> list[float]:
        return self.history[name]

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History(epochs={len(self.history.get('loss', []))}, {last})"


# --- the data ---


def _numbers(values: Any, name: str) -> np.ndarray:
    """`values` as a real-valued ndarray, or TypeError naming what it holds instead."""
    try:
        array = np.asarray(unmasked(values, name))
    except ValueError:  # NumPy's "inhomogeneous shape"
        raise TypeError(f"{name} must be a rectangular array of numbers, got rows of different lengths") from None
    if array.dtype.kind not in "biuf":
        example = array.ravel()[0] if array.size else None
        example = example.item() if isinstance(example, np.generic) else example
        raise TypeError(
            f"{name} must hold numbers, got an array of {array.dtype} such as {example!r}"
            + ("; map each class name to an integer 0, 1, ... first" if name.startswith("y") else "")
        )
    return array


def _check_finite(array: np.ndarray, name: str) -> None:
    """ValueError naming the rows of `array` that hold NaN or inf (a model would learn NaN from them)."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return
    bad = np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1))
    shown = ", ".join(map(str, bad[:5].tolist())) + (", ..." if len(bad) > 5 else "")
    raise ValueError(
        f"{name} has NaN or inf in {len(bad)} of {len(array)} rows (rows {shown}); remove or fill them first"
    )


def _check_data(model: Any, X: Any, y: Any, names: tuple[str, str] = ("X", "y")) -> tuple[np.ndarray, np.ndarray]:
    """X as (samples, features) and y with as many samples, both numbers and finite."""
    x_name, y_name = names
    X, y = _numbers(X, x_name), _numbers(y, y_name)
    if X.ndim != 2:
        raise ValueError(f"{x_name} must be a 2-D array (samples, features), got shape {X.shape}")
    if y.ndim == 0 or len(X) != len(y):
        raise ValueError(f"{x_name} has {len(X)} samples but {y_name} has {len(y) if y.ndim else 'a single number'}")
    if len(X) == 0:
        raise ValueError(f"{x_name} is empty")
    nin = getattr(model, "nin", None)
    if nin is not None and X.shape[1] != nin:
        raise ValueError(f"{x_name} rows have {X.shape[1]} features but the model expects nin={nin}")
    _check_finite(X, x_name)
    _check_finite(y, y_name)
    return X, y


def _as_dtype(X: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """`X` in the model's dtype; ValueError if a value is too large for it (float32 would make it inf)."""
    with np.errstate(over="ignore"):  # reported below, with the largest value
        converted = X.astype(dtype, copy=False)
    if converted is not X and converted.dtype.kind == "f" and not np.isfinite(converted).all():
        raise ValueError(
            f"{name} holds numbers too large for the model's {converted.dtype} (up to {number_text(np.abs(X).max())}; "
            f"{converted.dtype} reaches {float(np.finfo(converted.dtype).max):.3g}): scale the data first"
        )
    return converted


SCORE_LOSSES = ("cross_entropy", *LOGIT_LOSSES)
"""The losses that take raw scores (logits) and squash them themselves."""


def _check_scores_for(loss_name: str, model: Any) -> None:
    """ValueError if `loss_name` takes raw scores but the model (an MLP or a Sequential) ends in a sigmoid
    or a softmax: the squashing would happen twice, training a different model without a word. And if
    binary_cross_entropy, which takes probabilities, gets a model known to end in no sigmoid or softmax:
    its outputs would stop training as soon as one left [0, 1], an epoch or a hundred later."""
    squash = _last_squash(model)
    if loss_name in SCORE_LOSSES and squash in ("sigmoid", "softmax"):
        own = {"cross_entropy": " and applies softmax itself",
               "binary_cross_entropy_with_logits": " and applies the sigmoid itself"}.get(loss_name, "")
        other = loss_name == "binary_cross_entropy_with_logits" and squash == "sigmoid"
        raise ValueError(
            f"{loss_name} takes raw scores (logits){own}, but the model's last layer applies {squash}: drop it from "
            f"the model{', or use binary_cross_entropy on its probabilities' if other else ''}"
        )
    if loss_name == "binary_cross_entropy" and squash not in ("", "sigmoid", "softmax"):
        advice = "make it with output_activation='sigmoid'" if isinstance(model, MLP) else "end it in a Sigmoid()"
        raise ValueError(
            f"binary_cross_entropy takes probabilities (a sigmoid's outputs), but the model's last layer applies "
            f"{'no activation' if squash == 'linear' else squash}: {advice}, or use binary_cross_entropy_with_logits "
            f"on its raw scores"
        )


def _last_squash(model: Any) -> str:
    """The activation an MLP or a Sequential ends in ("linear" for none, "sigmoid", "softmax"...); "" for another
    model, or one ending in a module of your own, which may squash its outputs in any way."""
    last = model
    while isinstance(last, (MLP, Sequential)) and last.layers:  # a Sequential inside a Sequential too
        last = last.layers[-1]
    if last is model:
        return ""
    if isinstance(last, Softmax):
        return "softmax"
    if isinstance(last, (Layer, Linear)):
        return last.activation
    return last.name if isinstance(last, _Activation) else ""


def _not_a_loss(loss: Any) -> str:
    """What is wrong with what a loss function returned, when it is not one number in a graph."""
    data = getattr(loss, "data", None)
    shape = f" of shape {np.shape(data)}" if isinstance(data, np.ndarray) else ""
    return (
        f"the loss function must return one number as a Value or a Tensor (a graph to differentiate), "
        f"got {type(loss).__name__}{shape}"
    )


def _forward(model: Any, X: np.ndarray, backend: str) -> Any:
    """The model's outputs for a batch: a Tensor on the NumPy backend, a list of per-sample outputs otherwise."""
    if backend == "numpy":
        return model(X)
    return [model(row) for row in X.tolist()]


def _as_array(outputs: Any) -> np.ndarray:
    """Outputs as an array (samples, outputs)."""
    if hasattr(outputs, "data") and isinstance(outputs.data, np.ndarray):
        data = outputs.data
        return data.reshape(len(data), -1) if data.ndim != 2 else data
    rows = [[o.data] if hasattr(o, "data") else [v.data for v in o] for o in outputs]
    return np.array(rows, dtype=np.float64)


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for every row of X as an array of shape (N, outputs), recording no graph."""
    backend = backend_of(model)
    X = _numbers(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples, features), got shape {X.shape}")
    batch_size = check_size("batch_size", batch_size)
    with no_grad():
        if not len(X):  # the width of the outputs, from one row of zeros
            return _as_array(_forward(model, np.zeros((1, X.shape[1])), backend))[:0]
        parts = [_as_array(_forward(model, X[i : i + batch_size], backend)) for i in range(0, len(X), batch_size)]
    return np.concatenate(parts)


# --- accuracy ---


class ClassRule:
    """How outputs become classes (the rule in this module's docstring), fixed once from all the targets."""

    def __init__(self, y: np.ndarray, loss_name: str = "", threshold: float | None = None) -> None:
        self.targets = y
        values = np.unique(y)
        seen = set(values.tolist())
        self.signs = seen <= {-1.0, 1.0} and -1.0 in seen
        self.binary = binary = seen <= {0.0, 1.0} or self.signs
        self.two_valued = values.size <= 2  # what a threshold can split into two classes
        self.middle = 0.0 if self.signs else 0.5
        if not binary and values.size == 2:  # two classes of your own, given a threshold: 1 and 2 part at 1.5
            self.middle = float(values[0] + values[1]) / 2
        elif not binary and values.size == 1 and threshold is not None:  # one of your own: its side of the threshold
            self.middle = float(threshold)
        if threshold is not None:
            if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
                raise TypeError(f"threshold must be a number (or None for the rule's own), got {threshold!r}")
            if not math.isfinite(threshold):
                raise ValueError(f"threshold must be a finite number, got {threshold!r}")
            self.threshold: float | None = float(threshold)
        elif loss_name in LOGIT_LOSSES and binary:
            self.threshold = 0.0
        elif binary and seen != {1.0}:  # targets all 1 could be either kind: 0.5 and 0 would split differently
            self.threshold = self.middle
        else:
            self.threshold = None
        self.flat = flat = y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)
        labels = flat and values.size > 0 and values[0] >= 0 and bool(np.all(values == np.round(values)))
        self.label_count = int(values[-1]) + 1 if labels else None
        one_hot = y.ndim == 2 and y.shape[1] > 1 and seen <= {0.0, 1.0} and bool(np.all(y.sum(axis=1) == 1))
        self.one_hot_width = y.shape[1] if one_hot else None

    def applies(self, width: int) -> bool:
        """Whether the targets are classes for a model with `width` outputs."""
        if width == 1:
            return self.threshold is not None and self.flat and self.two_valued
        fits_labels = self.label_count is not None and self.label_count <= width
        return fits_labels or self.one_hot_width == width

    def accuracy(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """Share of samples whose predicted class is the target's."""
        if outputs.shape[1] > 1:
            labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)
            return int(np.count_nonzero(outputs.argmax(axis=1) == labels)) / len(labels)
        threshold = self.middle if self.threshold is None else self.threshold
        upper = y.reshape(-1) > self.middle
        return int(np.count_nonzero((outputs[:, 0] > threshold) == upper)) / len(upper)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _checked_outputs(outputs: Any) -> np.ndarray:
    """A model's outputs as float64 rows, one per sample: TypeError for what are not numbers, ValueError for a single
    number, no samples, or NaN and inf (which no threshold or arg-max reads as a prediction)."""
    try:
        array = np.asarray(outputs, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"accuracy takes the model's outputs as numbers, got {reprlib.repr(outputs)}") from None
    if array.ndim == 0:
        raise ValueError(f"accuracy takes one output (or a row of them) per sample, got a single number {array!r}")
    if not len(array):
        raise ValueError("accuracy of no samples is undefined: the outputs are empty")
    if not np.isfinite(array).all():
        raise ValueError("accuracy: the outputs hold NaN or inf, which are no prediction (did the training diverge?)")
    return array.reshape(len(array), -1)


def accuracy(outputs: Any, y: Any, threshold: float | None = None, loss: str | Callable[..., Any] = "") -> float:
    """Share of correct predictions by the module's rule: arg-max for several outputs, a threshold for one.

    `loss` (a name or the function, as `fit` takes it) tells the rule that one output is a score: a loss on
    logits puts the threshold at 0."""
    outputs = unmasked(outputs, "accuracy's outputs")
    if isinstance(getattr(outputs, "data", None), np.ndarray):  # a Tensor: only its numbers are needed
        outputs = outputs.data
    elif isinstance(outputs, (list, tuple)) and outputs and _holds_values(outputs[0]):
        outputs = _as_array(outputs)  # a scalar model's outputs, one Value (or a list of them) per sample
    outputs = _checked_outputs(outputs)
    y = _numbers(y, "y")
    if y.ndim == 0 or len(y) != len(outputs):
        raise ValueError(f"outputs have {len(outputs)} rows but y has {len(y) if y.ndim else 'a single number'}")
    rule = ClassRule(y, loss_name(loss) if loss != "" else "", threshold)
    _check_threshold_for(threshold, outputs.shape[1], rule)
    if not rule.applies(outputs.shape[1]):
        raise ValueError(_not_classes(y, outputs.shape[1]))
    return rule.accuracy(outputs, y)


def _holds_values(output: Any) -> bool:
    """Whether one sample's output is a Value or a list of them (what a scalar model returns)."""
    return isinstance(output, Value) or (isinstance(output, (list, tuple)) and bool(output) and
                                         isinstance(output[0], Value))


def shown_values(values: np.ndarray) -> str:
    """The first six of some sorted target values, for an error message."""
    return ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if len(values) > 6 else "")


def _not_classes(y: np.ndarray, width: int) -> str:
    if width == 1 and y.ndim == 2 and y.shape[1] > 1:
        return (
            f"accuracy with one output needs one target per sample (0/1 or -1/+1), got rows of {y.shape[1]} "
            f"(one-hot rows need one output per class)"
        )
    values = np.unique(y)
    shown = shown_values(values)
    if width == 1 and values.tolist() == [1.0]:
        return (
            "accuracy with one output cannot tell from targets that are all 1 whether the classes are 0/1 or -1/+1: "
            "pass threshold= (0.5 for 0/1, 0 for -1/+1)"
        )
    if width == 1:
        return f"accuracy with one output needs targets of 0/1 or -1/+1, got {shown}"
    return f"accuracy with {width} outputs needs integer labels 0..{width - 1} or one-hot rows, got {shown}"


# --- the settings ---


def _check_metrics(metrics: Sequence[str] | None) -> tuple[str, ...] | None:
    if metrics is None:
        return None
    if isinstance(metrics, (str, bytes)) or not isinstance(metrics, Iterable):
        got = "the string" if isinstance(metrics, (str, bytes)) else type(metrics).__name__
        raise TypeError(f"metrics must be a list of names such as ['accuracy'], got {got} {metrics!r}")
    names = tuple(metrics)  # an iterator is read once
    for metric in names:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    return names


def _check_optimizer(optimizer: Any, model: Any) -> Optimizer:
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, model.parameters())
    elif not isinstance(optimizer, Optimizer):
        what = f"the class {optimizer.__name__}" if isinstance(optimizer, type) else type(optimizer).__name__
        raise TypeError(
            f"optimizer must be an Optimizer such as nn.Adam(model.parameters(), lr=0.01) or a name such as 'adam', "
            f"got {what}"
        )
    elif not {id(p) for p in optimizer.params} & {id(p) for p in model.parameters()}:
        raise ValueError(
            f"the {type(optimizer).__name__} optimizer updates none of this model's parameters, so training "
            f"would change nothing: make it from this model, {type(optimizer).__name__}(model.parameters(), ...)"
        )
    if not any(getattr(p, "requires_grad", True) for p in optimizer.params):
        raise ValueError(
            "every parameter the optimizer updates is frozen (requires_grad=False), so training would change "
            "nothing: unfreeze some first"
        )
    return optimizer


def _check_validation(model: Any, validation_data: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if validation_data is None:
        return None
    if not isinstance(validation_data, (tuple, list)):
        raise TypeError(f"validation_data must be a pair (X_val, y_val), got {type(validation_data).__name__}")
    if len(validation_data) != 2:
        raise ValueError(f"validation_data must be a pair (X_val, y_val), got {len(validation_data)} items")
    return _check_data(model, *validation_data, names=("validation X", "validation y"))


# --- one step, one epoch ---


class _Training:
    """What stays fixed while `fit` runs, and its three parts: a step, an epoch, the validation."""

    def __init__(
        self, model: Any, loss_fn: Callable[..., Any], optimizer: Optimizer, backend: str, rule: ClassRule,
        measure: bool | None, on_step_end: Callback | None,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.backend = backend
        self.rule = rule
        self.measure = measure  # None: decided from the outputs of the first batch
        self.on_step_end = on_step_end
        self.steps_done = 0
        self.stopping = False  # a callback raised StopTraining
        self.checked_width = -1  # the output width the class rule was last checked against

    @np.errstate(over="ignore", invalid="ignore")  # a diverging run ends with the error below, not warnings
    def step(self, Xb: np.ndarray, yb: np.ndarray, where: str) -> tuple[float, np.ndarray | None]:
        """The course's three steps on one batch: the function's outputs, their loss, one step downhill."""
        try:
            outputs = _forward(self.model, Xb, self.backend)  # 1. the function f(x; θ)
            batch_loss = self.loss_fn(outputs, yb)  # 2. how good it is: the loss L(θ) on the batch
            try:
                value = float(batch_loss.data)
            except (AttributeError, TypeError, ValueError):
                raise TypeError(_not_a_loss(batch_loss)) from None
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the loss became {value} at {where}; the data is finite, so the training diverged: "
                    f"{self.advice()}"
                )
            self.optimizer.zero_grad()
            batch_loss.backward()  # ∂L/∂θ for every parameter, by the chain rule
            self.optimizer.step()  # 3. θ ← θ − η ∂L/∂θ
        except (OverflowError, ZeroDivisionError) as error:
            raise FloatingPointError(f"training diverged at {where}: {error}; {self.advice()}") from error
        self.steps_done += 1
        return value, self.classes_measured(outputs)

    def call(self, callback: Callback | None, number: int, figures: dict[str, float]) -> None:
        """Run a callback of `fit`'s, if any; a StopTraining from it ends training after this step or epoch."""
        if callback is None:
            return
        try:
            callback(number, figures)
        except StopTraining:
            self.stopping = True

    def advice(self) -> str:
        """What to try after the training diverged: a smaller learning rate, or weight decay when there is one."""
        decay = getattr(self.optimizer, "weight_decay", 0.0)
        return "try a smaller learning rate" + (f" or weight decay (it is {decay:g})" if decay else "")

    def classes_measured(self, outputs: Any) -> np.ndarray | None:
        """The outputs as an array when accuracy is measured, else None."""
        if self.measure is False:
            return None
        outputs = _as_array(outputs)
        if self.measure is None or self.checked_width != outputs.shape[1]:
            applies = self.rule.applies(outputs.shape[1])
            if self.measure is None:
                self.measure = applies
            elif not applies:
                raise ValueError(f"metrics=['accuracy']: {_not_classes(self.rule.targets, outputs.shape[1])}")
            self.checked_width = outputs.shape[1]
        return outputs if self.measure else None

    def epoch(self, X: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int, bar: Any, number: int) -> dict:
        """One pass over the data in `order`; the batch-averaged loss (and accuracy), as Keras reports them."""
        total_loss = total_correct = 0.0
        seen = 0
        for step in bar:
            index = order[step * batch_size : (step + 1) * batch_size]
            Xb, yb = X.take(index, axis=0), y.take(index, axis=0)  # X[index], 15% faster for MNIST's rows
            value, outputs = self.step(Xb, yb, f"epoch {number}, step {step + 1}")
            seen += len(index)
            total_loss += value * len(index)
            figures = {"epoch": number, "loss": value}
            if outputs is not None:
                figures["accuracy"] = self.rule.accuracy(outputs, yb)
                total_correct += figures["accuracy"] * len(index)
            self.call(self.on_step_end, self.steps_done, figures)
            if not bar.disable:  # the running figures are formatted only for a bar that shows them
                running = {"loss": f"{total_loss / seen:.4f}"}
                if outputs is not None:
                    running["accuracy"] = f"{total_correct / seen:.4f}"
                bar.set_postfix(running, refresh=False)
            if self.stopping:
                break
        summary = {"loss": total_loss / seen}
        if self.measure:
            summary["accuracy"] = total_correct / seen
        return summary

    def check_parameters(self, epoch: int) -> None:
        """ValueError if a parameter of the model is NaN or inf before training (`epoch` 0; one the optimizer does
        not update feeds the loss too); FloatingPointError if the updates of `epoch` made one so (a step's loss is
        computed before its update, so the epoch's last update, say, would otherwise leave a broken model unseen)."""
        params = list(self.model.parameters()) if epoch == 0 else self.optimizer.params
        numbers = [p.data for p in params if not isinstance(p.data, np.ndarray)]
        if all(np.isfinite(p.data).all() for p in params if isinstance(p.data, np.ndarray)) and (
            not numbers or np.isfinite(np.array(numbers, dtype=np.float64)).all()
        ):
            return  # the common case, checked fast; the names only when one is broken
        shown = broken_parameters(self.model, params)
        if shown is None:
            return
        if epoch == 0:
            raise ValueError(f"the model's parameters hold NaN or inf before any training ({shown}): load or set "
                             f"finite weights")
        raise FloatingPointError(
            f"the updates of epoch {epoch} made parameters NaN or inf ({shown}); the data is finite, so the training "
            f"diverged: {self.advice()}"
        )

    def validate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Loss (and accuracy) of the current model on held-out data, recording no graph."""
        with no_grad():
            outputs = _forward(self.model, X, self.backend)
            figures = {"val_loss": float(self.loss_fn(outputs, y).data)}
        if self.measure:
            figures["val_accuracy"] = self.rule.accuracy(_as_array(outputs), y)
        return figures

    def check_validation_classes(self, y: np.ndarray, width: int) -> None:
        """ValueError if accuracy will be measured and the validation targets are not classes of the
        training targets' kind (a model with `width` outputs)."""
        if not (self.measure or (self.measure is None and self.rule.applies(width))):
            return
        if width == 1:
            kind = set(np.unique(self.rule.targets).tolist())  # classes given by a threshold= of your own
            given = set(np.unique(y).tolist())
            if self.rule.binary:  # training targets all 0 are the 0/1 kind; all 1, either kind: the validation's
                signs = self.rule.signs or (kind == {1.0} and -1.0 in given)
                kind = {-1.0, 1.0} if signs else {0.0, 1.0}
            extra = sorted(given - kind)
            if extra:
                raise ValueError(
                    f"validation y holds {', '.join(f'{v:g}' for v in extra[:6])}, not a class of the training "
                    f"targets' kind ({' and '.join(f'{v:g}' for v in sorted(kind))}): accuracy would read it as a "
                    f"class it is not"
                )
        elif not ClassRule(y).applies(width):
            raise ValueError(f"validation y: {_not_classes(y, width)}")


def fit(
    model: Any,
    X: Any,
    y: Any,
    loss: str | Callable[..., Any],
    optimizer: Optimizer | str,
    epochs: int = 1,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: Seed = None,
    validation_data: tuple[Any, Any] | None = None,
    metrics: Sequence[str] | None = None,
    progress: bool = True,
    on_epoch_end: Callback | Sequence[Callback] | None = None,
    on_step_end: Callback | Sequence[Callback] | None = None,
    threshold: float | None = None,
) -> History:
    """Train `model` on (X, y) with mini-batches; returns the per-epoch `History`.

    ``batch_size=None`` uses the whole set each step. On the NumPy backend a batch goes
    through each layer as one Tensor op. X and y are checked first (numbers, no NaN or
    inf), and so are the parameters (ValueError if one is NaN or inf, say after loading
    such weights); a NaN or inf loss stops training with FloatingPointError naming the epoch and
    step, and so do parameters that an epoch's updates made NaN or inf, so it never diverges
    silently.

    ``metrics=None`` reports accuracy when the targets are classes (see the module's rule;
    ``threshold`` overrides the one-output threshold) and ``metrics=()`` never does. As in
    Keras, ``history.loss`` and ``history.accuracy`` average over the epoch's batches while
    the weights move, so they differ a little from the final model's figures.

    `optimizer` is an `Optimizer` or a name (``"sgd"``, ``"adam"``...) for a new one with its
    defaults, made afresh on every call: to go on training in another call with the same state
    (Adam's moments, momentum), pass the same Optimizer, such as ``history.optimizer``. Likewise
    `seed`: an int shuffles the batches the same way on every call, so a second call repeats the
    first one's order; a ``numpy.random.Generator`` passed to both goes on where it stopped. Two
    calls of 2 epochs with the same Optimizer and Generator train exactly as one call of 4.

    ``on_step_end(step, figures)`` runs after every update (step counts from 1 over all
    epochs of this call; figures hold the epoch and the batch's loss and accuracy), e.g. a
    `Recorder` or a learning-rate schedule; ``on_epoch_end(epoch, figures)`` after each epoch
    (counting from 1) with its figures. Each may be a list of functions, called in order.
    Either may raise `StopTraining` to end training early: `fit` then returns the History so
    far. If training stops with another exception (Ctrl-C, divergence, an error in a callback),
    the History of the epochs recorded goes with it, as ``error.history``. The validation data
    is checked before any update: its loss is computed once, so that targets the loss refuses
    stop `fit` at once rather than after the first epoch.
    """
    backend = backend_of(model)
    X, y = _check_data(model, X, y)
    loss_fn = get_loss(loss)
    name = loss_name(loss)
    _check_scores_for(name, model)
    wanted = _check_metrics(metrics)
    check_flag("shuffle", shuffle)
    check_flag("progress", progress)
    on_epoch_end, on_step_end = _callback(on_epoch_end, "on_epoch_end"), _callback(on_step_end, "on_step_end")
    epochs = check_size("epochs", epochs)
    batch_size = len(X) if batch_size is None else check_size("batch_size", batch_size)
    validation = _check_validation(model, validation_data)
    training = _Training(
        model, loss_fn, _check_optimizer(optimizer, model), backend, ClassRule(y, name, threshold),
        None if wanted is None else "accuracy" in wanted, on_step_end,
    )
    if backend == "numpy":
        dtype = model.parameters()[0].dtype
        X = _as_dtype(X, dtype, "X")
        _as_dtype(y, dtype, "y")  # only checked: a loss reads targets in the model's dtype, and labels stay ints
        if validation is not None:
            validation = (_as_dtype(validation[0], dtype, "validation X"), validation[1])
            _as_dtype(validation[1], dtype, "validation y")
    if training.measure or validation is not None or threshold is not None:  # before any training, which they
        width = predict(model, X[:1]).shape[1]  # would waste
        _check_threshold_for(threshold, width, training.rule)
        if training.measure and not training.rule.applies(width):
            raise ValueError(f"metrics=['accuracy']: {_not_classes(y, width)}")
        if validation is not None:
            training.check_validation_classes(validation[1], width)
            try:
                training.validate(*validation)  # what the loss itself refuses in the targets (a label out of range)
            except (ValueError, TypeError) as error:
                rows = len(validation[1])
                try:  # the same refusal on as many training rows is the model's or the loss's, not the validation's
                    training.validate(X[:rows], y[:rows])
                except (ValueError, TypeError) as own:
                    raise own from None
                kind = ValueError if isinstance(error, ValueError) else TypeError
                raise kind(f"validation_data: {error}") from None
    training.check_parameters(0)
    rng = rng_from(seed)
    steps = math.ceil(len(X) / batch_size)
    history = History()
    history.optimizer = training.optimizer
    epoch_bar = ProgressBar(range(epochs), desc="training", unit="epoch", disable=tqdm_disable(progress), leave=False)
    epoch = 0
    try:
        for epoch in epoch_bar:
            started = time.perf_counter()
            # one batch holds every sample whatever the order: shuffling it would change only the rounding
            order = rng.permutation(len(X)) if shuffle and steps > 1 else np.arange(len(X))
            bar = ProgressBar(range(steps), desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                               disable=tqdm_disable(progress and steps > 1))
            summary = training.epoch(X, y, order, batch_size, bar, epoch + 1)
            training.check_parameters(epoch + 1)
            if validation is not None:
                try:
                    summary.update(training.validate(*validation))
                except (OverflowError, ZeroDivisionError) as error:  # finite data the first check took, so the weights
                    raise FloatingPointError(
                        f"training diverged: the validation after epoch {epoch + 1} failed: {error}; "
                        f"{training.advice()}"
                    ) from error
            summary["epoch_seconds"] = time.perf_counter() - started
            history._record(**summary)
            training.call(on_epoch_end, epoch + 1, summary)
            if not epoch_bar.disable:  # the numbers only: a callback may have added words to the figures
                shown = {k: _figure(v) for k, v in summary.items() if k != "epoch_seconds" and _is_number(v)}
                epoch_bar.set_postfix(shown, refresh=False)
            if training.stopping:
                break
    except BaseException as error:  # Ctrl-C too: the epochs recorded are not lost with the run
        _send_history_with(error, history, epoch + 1, epochs)
        raise
    finally:
        epoch_bar.close()
    return history


def _send_history_with(error: BaseException, history: History, epoch: int, epochs: int) -> None:
    """Give an exception that stops `fit` in `epoch` the History of the epochs recorded before, as
    ``error.history`` (unless it has a ``history`` of its own), with a note saying so when there are some."""
    if hasattr(error, "history"):
        return
    try:
        error.history = history  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception type that takes no attributes
        return
    recorded = len(history.history.get("loss", []))
    if recorded:
        add_note(error, f"(fit stopped in epoch {epoch} of {epochs}; error.history holds the figures of the "
                        f"{recorded} epoch{'' if recorded == 1 else 's'} recorded before)")


def _callback(given: Any, name: str) -> Callback | None:
    """`given` as one function: None, a function, or a list or tuple of functions called in order (Keras's
    ``callbacks=[...]``, so that a learning-rate schedule and a `Recorder` can both follow the steps)."""
    if given is None or callable(given):
        return given
    if not isinstance(given, (list, tuple)):
        raise TypeError(f"{name} must be a function, a list of them, or None; got {type(given).__name__} {given!r}")
    for position, function in enumerate(given):
        if not callable(function):
            raise TypeError(f"{name}[{position}] must be a function, got {type(function).__name__} {function!r}")
    functions = tuple(given)

    def each(number: int, figures: dict[str, float]) -> None:
        """Every function in turn; a StopTraining from one is raised once the others ran (a Recorder after it
        still films the step)."""
        stop = None
        for function in functions:
            try:
                function(number, figures)
            except StopTraining as request:
                stop = request
        if stop is not None:
            raise stop

    return each if functions else None


def _check_threshold_for(threshold: float | None, width: int, rule: ClassRule) -> None:
    """ValueError for a threshold that would be ignored without a word: given for a model of several outputs,
    whose class is the arg-max, or for targets that are not two classes (a regression's)."""
    if threshold is None:
        return
    if width > 1:
        raise ValueError(
            f"threshold={threshold!r} applies to a model with one output (its score against the threshold); this "
            f"one has {width} outputs, whose class is the largest: leave threshold out"
        )
    if not rule.two_valued:
        values = np.unique(rule.targets)
        raise ValueError(
            f"threshold={threshold!r} splits outputs into two classes, but the targets hold {len(values)} values "
            f"({shown_values(values)}), not two classes: leave threshold out (and metrics) for a regression"
        )




def broken_parameters(model: Any, params: Sequence[Any] | None = None) -> str | None:
    """The names of the `params` of `model` (all of them by default) that hold NaN or inf, as an error message
    shows them (the first three); None if none does."""
    params = list(model.parameters()) if params is None else params
    named = getattr(model, "named_parameters", None)
    names = {id(p): name for name, p in named()} if callable(named) else {}
    broken = [names.get(id(p), f"parameter {i}") for i, p in enumerate(params) if not np.isfinite(p.data).all()]
    if not broken:
        return None
    return ", ".join(broken[:3]) + (f", ... ({len(broken)} in all)" if len(broken) > 3 else "")


def _figure(value: numbers.Real) -> str:
    """A number for the epoch bar with four decimals (a Fraction too); one beyond floats, in powers of ten."""
    try:
        return f"{float(value):.4f}"
    except OverflowError:
        digits = str(abs(int(value)))
        return f"{'-' if value < 0 else ''}{digits[0]}.{digits[1:5]}e+{len(digits) - 1}"


__all__ = ["LOGIT_LOSSES", "LOSSES", "METRICS", "ClassRule", "History", "StopTraining", "accuracy", "fit", "predict"]
