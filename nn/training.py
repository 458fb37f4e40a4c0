"""`fit` and `predict`: the Keras-style training loop the course uses, for either backend."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from tqdm import tqdm

from chainrule.autograd import no_grad

from .init import Seed, rng_from
from .losses import LOSSES, get_loss
from .module import backend_of
from .optim import Optimizer, make_optimizer

METRICS = ("accuracy",)
_MARGIN_LOSSES = ("hinge", "binary_cross_entropy_with_logits")


class History:
    """Per-epoch figures from `fit`: ``history.loss``, ``history.accuracy``, ``history.val_loss``, ...

    ``history.history`` is the plain dict, as in Keras.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}

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


def _check_data(model: Any, X: Any, y: Any, name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"{name} has {len(X)} samples but y has {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{name} is empty")
    nin = getattr(model, "nin", None)
    if nin is not None and X.shape[1] != nin:
        raise ValueError(f"{name} rows have {X.shape[1]} features but the model expects nin={nin}")
    return X, y


def _forward(model: Any, X: np.ndarray, backend: str) -> Any:
    """The model's outputs for a batch: a Tensor on the NumPy backend, a list of per-sample outputs otherwise."""
    if backend == "numpy":
        return model(X)
    return [model(row) for row in X.tolist()]


def _as_array(outputs: Any) -> np.ndarray:
    if hasattr(outputs, "data") and isinstance(outputs.data, np.ndarray):
        return outputs.data
    rows = [[o.data] if hasattr(o, "data") else [v.data for v in o] for o in outputs]
    return np.array(rows, dtype=np.float64)


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs for every row of X as an array of shape (N, outputs), recording no graph."""
    backend = backend_of(model)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (samples, features), got shape {X.shape}")
    with no_grad():
        parts = [_as_array(_forward(model, X[i : i + batch_size], backend)) for i in range(0, len(X), batch_size)]
    return np.concatenate(parts) if parts else np.empty((0, 0))


def accuracy(outputs: np.ndarray, y: np.ndarray, margin: bool = False) -> float:
    """Share of correct predictions: arg-max for several outputs, a threshold for one.

    One output is thresholded at 0 for margin losses (hinge, logits) and at 0.5 otherwise;
    targets of -1/+1 or 0/1 both work.
    """
    outputs = outputs.reshape(len(outputs), -1)
    if outputs.shape[1] > 1:
        labels = y.argmax(axis=1) if y.ndim == 2 else y
        return int(np.count_nonzero(outputs.argmax(axis=1) == labels)) / len(labels)  # np.mean's figure, faster
    truth = y.reshape(-1) > (0.0 if np.min(y) < 0 else 0.5)
    return float(np.mean((outputs[:, 0] > (0.0 if margin else 0.5)) == truth))


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
    metrics: Sequence[str] = ("accuracy",),
    progress: bool = True,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
) -> History:
    """Train `model` on (X, y) with mini-batches; returns the per-epoch `History`.

    ``batch_size=None`` uses the whole set each step. On the NumPy backend a batch goes
    through each layer as one Tensor op. A NaN or inf loss stops training with
    FloatingPointError naming the epoch and step, so it never diverges silently.

    As in Keras, ``history.loss`` and ``history.accuracy`` average over the epoch's
    batches while the weights move. With one output, accuracy thresholds at 0 for the
    losses named "hinge" and "binary_cross_entropy_with_logits" and at 0.5 otherwise.
    ``on_epoch_end(epoch, figures)`` is called after each epoch (counting from 1) with
    that epoch's figures, e.g. to print a line per epoch.
    """
    backend = backend_of(model)
    X, y = _check_data(model, X, y)
    loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", "")
    loss_fn = get_loss(loss)
    for metric in metrics:
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, model.parameters())
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    n = len(X)
    batch_size = n if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if validation_data is not None:
        X_val, y_val = _check_data(model, *validation_data, name="validation X")
    if backend == "numpy":
        dtype = model.parameters()[0].dtype
        X = X.astype(dtype, copy=False)
    margin = loss_name in _MARGIN_LOSSES
    rng = rng_from(seed)
    steps = math.ceil(n / batch_size)
    history = History()
    epoch_bar = tqdm(range(epochs), desc="training", unit="epoch", disable=None if progress else True, leave=False)
    for epoch in epoch_bar:
        started = time.perf_counter()
        order = rng.permutation(n) if shuffle else np.arange(n)
        total_loss = total_correct = 0.0
        batches = tqdm(
            range(steps),
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
            disable=None if progress and steps > 1 else True,
        )
        for step in batches:
            index = order[step * batch_size : (step + 1) * batch_size]
            Xb, yb = X[index], y[index]
            where = f"epoch {epoch + 1}, step {step + 1}"
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    outputs = _forward(model, Xb, backend)
                    batch_loss = loss_fn(outputs, yb)
                    value = float(batch_loss.data)
                    if not math.isfinite(value):
                        raise FloatingPointError(f"the loss became {value} at {where}; try a smaller learning rate")
                    optimizer.zero_grad()
                    batch_loss.backward()
                    optimizer.step()
            except OverflowError as error:
                message = f"training diverged at {where}: {error}; try a smaller learning rate"
                raise FloatingPointError(message) from error
            total_loss += value * len(index)
            if metrics:
                total_correct += accuracy(_as_array(outputs), yb, margin) * len(index)
            if not batches.disable:  # the running figures are formatted only for a bar that shows them
                seen = step * batch_size + len(index)
                running = {"loss": f"{total_loss / seen:.4f}"}
                if metrics:
                    running["accuracy"] = f"{total_correct / seen:.4f}"
                batches.set_postfix(running, refresh=False)
        figures = {"loss": total_loss / n}
        if metrics:
            figures["accuracy"] = total_correct / n
        if validation_data is not None:
            with no_grad():
                val_outputs = _forward(model, X_val, backend)
                figures["val_loss"] = float(loss_fn(val_outputs, y_val).data)
            if metrics:
                figures["val_accuracy"] = accuracy(_as_array(val_outputs), y_val, margin)
        figures["epoch_seconds"] = time.perf_counter() - started
        history._record(**figures)
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, figures)
        epoch_bar.set_postfix({k: f"{v:.4f}" for k, v in figures.items() if k != "epoch_seconds"}, refresh=False)
    epoch_bar.close()
    return history


__all__ = ["History", "LOSSES", "METRICS", "accuracy", "fit", "predict"]
