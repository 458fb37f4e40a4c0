"""Rosenblatt's perceptron (1957): a step neuron trained by the perceptron learning rule."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule import autograd
from chainrule.autograd import Parameter, Value

from .init import Seed, check_size, rng_from
from .layers import as_inputs
from .module import Module
from .optim import _number
from .training import _check_data, _numbers


@dataclass
class PerceptronResult:
    """What `Perceptron.fit` saw: whether an epoch made no mistakes, and the accuracy after each epoch."""

    converged: bool
    epochs: int
    accuracy: list[float] = field(default_factory=list)

    @property
    def best_accuracy(self) -> float:
        return max(self.accuracy, default=0.0)


class Perceptron(Module):
    """step(w · x + b). It learns any linearly separable rule (AND, OR, NAND) and never XOR."""

    _required = ("w", "b")

    def __init__(self, nin: int, seed: Seed = None) -> None:
        nin = check_size("nin", nin)
        start = np.zeros(nin) if seed is None else rng_from(seed).normal(0.0, 0.1, size=nin)
        self.w = [Parameter(float(v), label=f"w{i}") for i, v in enumerate(start)]
        self.b = Parameter(0.0, label="b")

    @property
    def nin(self) -> int:
        return len(self.w)

    def forward(self, x: Sequence[Any]) -> Value:
        x = as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"Perceptron expected {len(self.w)} inputs (nin), got {len(x)}")
        return autograd.sum([wi * xi for wi, xi in zip(self.w, x)] + [self.b]).step()

    def predict(self, X: Any) -> np.ndarray:
        """0/1 predictions for each row of X, an array of shape (samples, nin)."""
        X = _numbers(X, "X")
        if X.ndim != 2:
            raise ValueError(f"X must have shape (samples, {self.nin}), got {X.shape}")
        with autograd.no_grad():
            return np.array([self(row).data for row in X.astype(np.float64).tolist()])

    def fit(
        self,
        X: Any,
        y: Any,
        epochs: int = 100,
        lr: float = 0.1,
        on_step_end: Callable[[int, dict[str, float]], None] | None = None,
    ) -> PerceptronResult:
        """Apply w += lr·(y − ŷ)·x and b += lr·(y − ŷ) sample by sample until an epoch makes no mistake.

        Stops early when it converges; otherwise runs all `epochs` and says so (no exception).
        ``on_step_end(step, figures)`` runs after each sample is presented (one step of the rule,
        counted from 1; figures hold the epoch and that sample's error y − ŷ), e.g. to record a film
        with `nn.Recorder`.
        """
        X, y = _check_data(self, X, y)
        given = y.shape
        X, y = X.astype(np.float64), y.astype(np.float64).reshape(-1)
        epochs = check_size("epochs", epochs)
        lr = _number("lr", lr, low=0.0, strict=True)
        if len(y) != len(X):
            raise ValueError(f"y must hold one 0/1 target per sample, got shape {given} for {len(X)} samples")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"perceptron targets must be 0 or 1, got {np.unique(y).tolist()}")
        numbers = [wi.data for wi in self.w] + [self.b.data]
        if not all(math.isfinite(number) for number in numbers):
            raise ValueError(
                f"the perceptron's weights and bias hold NaN or inf before training ({_listed(numbers)}): set finite "
                f"ones, or make a new Perceptron"
            )
        if self._overflows(X):  # before any update, which the learning rate could be blamed for
            raise ValueError(
                f"the perceptron's weighted sum overflows a float on these inputs before training, with weights and "
                f"bias {_listed(numbers)}: scale the inputs down, or set smaller weights"
            )
        result = PerceptronResult(converged=False, epochs=0)
        step = 0
        for epoch in range(1, epochs + 1):
            mistakes = 0
            for row, target in zip(X.tolist(), y.tolist()):
                error = target - self._respond(row, epoch, lr)
                if error:
                    mistakes += 1
                    for wi, xi in zip(self.w, row):
                        wi.data += lr * error * xi
                    self.b.data += lr * error
                    self._check_finite(epoch, lr)
                step += 1
                if on_step_end is not None:
                    try:  # a Recorder runs the perceptron on every sample: it may meet weights too large first
                        on_step_end(step, {"epoch": epoch, "error": error})
                    except OverflowError as overflow:
                        if self._overflows(X):
                            raise _too_large(str(overflow), epoch, lr) from overflow
                        raise
            result.epochs += 1
            try:
                result.accuracy.append(float(np.mean(self.predict(X) == y)))
            except OverflowError as error:
                raise _too_large(str(error), epoch, lr) from error
            if mistakes == 0:
                result.converged = True
                break
        return result

    def _respond(self, row: list[float], epoch: int, lr: float) -> float:
        """The perceptron's 0/1 answer to one sample during `fit`; FloatingPointError if the weights overflowed."""
        try:
            return self(row).data
        except OverflowError as error:
            raise _too_large(str(error), epoch, lr) from error

    def _check_finite(self, epoch: int, lr: float) -> None:
        """FloatingPointError if an update made a weight or the bias inf or NaN (float arithmetic does not raise)."""
        numbers = [wi.data for wi in self.w] + [self.b.data]
        if not all(math.isfinite(number) for number in numbers):
            raise _too_large(f"an update made them {_listed(numbers)}", epoch, lr)

    def _overflows(self, X: np.ndarray) -> bool:
        """Whether the perceptron's own weighted sum overflows on some sample of `X` (its weights too large)."""
        try:
            self.predict(X)
        except OverflowError:
            return True
        return False

    def extra_repr(self) -> str:
        return f"{self.nin}"


def _listed(numbers: list[float]) -> str:
    return ", ".join(f"{number:g}" for number in numbers)


def _too_large(cause: str, epoch: int, lr: float) -> FloatingPointError:
    """The error for weights grown too large for a float, naming the learning rate that grew them."""
    return FloatingPointError(f"the perceptron's weights overflowed in epoch {epoch} ({cause}): lr={lr:g} is too large")
