"""The course's optimizers: SGD (with momentum), AdaGrad, RMSProp and Adam, with classic Keras defaults.

Each update rule is written once, on arrays. A Tensor parameter is its own array;
the Values of a scalar model are gathered into one array, updated, and written
back, so the same formula serves both backends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from chainrule.autograd import Value


class Optimizer:
    """Holds the parameters and per-parameter state; `step()` applies one update from their grads."""

    def __init__(self, params: Iterable[Any], lr: float, decay: float = 0.0) -> None:
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        _check_non_negative("lr", lr)
        _check_non_negative("decay", decay)
        self.lr = lr
        self.decay = decay
        self.iterations = 0
        scalars = [p for p in params if isinstance(p, Value)]
        self._groups: list[Any] = ([scalars] if scalars else []) + [p for p in params if not isinstance(p, Value)]
        self._state: list[dict[str, np.ndarray]] = [{} for _ in self._groups]

    @property
    def params(self) -> list[Any]:
        """The parameters this optimizer updates."""
        return [p for group in self._groups for p in (group if isinstance(group, list) else [group])]

    def zero_grad(self) -> None:
        """Clear every parameter's gradient."""
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """One update of every parameter from its current gradient."""
        lr = self.lr / (1.0 + self.decay * self.iterations)
        self.iterations += 1
        for group, state in zip(self._groups, self._state):
            if isinstance(group, list):
                data = np.fromiter((p.data for p in group), dtype=np.float64, count=len(group))
                grad = np.fromiter((p.grad for p in group), dtype=np.float64, count=len(group))
                for p, new in zip(group, self.update(data, grad, state, lr).tolist()):
                    p.data = new
            elif group.grad is not None:
                group.data = self.update(group.data, group.grad, state, lr)

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], lr: float) -> np.ndarray:
        """The new value of parameter array `w` given its gradient `g` (state persists between steps)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "iterations")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Gradient descent; with momentum γ: v = γv − η∇, w += v (Nesterov: w += γv − η∇)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, decay)
        _check_non_negative("momentum", momentum)
        _check_non_negative("weight_decay", weight_decay)
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay

    def update(self, w, g, state, lr):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if not self.momentum:
            return w - lr * g
        v = state.setdefault("velocity", np.zeros_like(w))
        v *= self.momentum
        v -= lr * g
        return w + (self.momentum * v - lr * g if self.nesterov else v)


class Adagrad(Optimizer):
    """AdaGrad: h += g⊙g, w −= η·g/√(h+ε): each weight's step shrinks as its squared gradients add up."""

    def __init__(self, params: Iterable[Any], lr: float = 0.01, eps: float = 1e-8, decay: float = 0.0) -> None:
        super().__init__(params, lr, decay)
        self.eps = eps

    def update(self, w, g, state, lr):
        h = state.setdefault("h", np.zeros_like(w))
        h += g * g
        return w - lr * g / np.sqrt(h + self.eps)


class RMSprop(Optimizer):
    """RMSProp: h = ρh + (1−ρ)·g⊙g, w −= η·g/√(h+ε): AdaGrad that forgets old gradients."""

    def __init__(
        self, params: Iterable[Any], lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8, decay: float = 0.0
    ) -> None:
        super().__init__(params, lr, decay)
        _check_fraction("rho", rho)
        self.rho = rho
        self.eps = eps

    def update(self, w, g, state, lr):
        h = state.setdefault("h", np.zeros_like(w))
        h *= self.rho
        h += (1.0 - self.rho) * g * g
        return w - lr * g / np.sqrt(h + self.eps)


class Adam(Optimizer):
    """Adam: momentum on g (m) and RMSProp on g² (v), with bias correction, as in Keras.

    lr_t = η·√(1−β2ᵗ)/(1−β1ᵗ), w −= lr_t·m/(√v + ε).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, decay)
        _check_fraction("beta1", beta1)
        _check_fraction("beta2", beta2)
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    def update(self, w, g, state, lr):
        m = state.setdefault("m", np.zeros_like(w))
        v = state.setdefault("v", np.zeros_like(w))
        t = self.iterations
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        lr_t = lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        return w - lr_t * m / (np.sqrt(v) + self.eps)


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}


def make_optimizer(name: str, params: Iterable[Any], lr: float | None = None) -> Optimizer:
    """An optimizer by name with the course's defaults ("momentum" is SGD with momentum 0.9)."""
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    kwargs: dict[str, Any] = {"momentum": 0.9} if key == "momentum" else {}
    if lr is not None:
        kwargs["lr"] = lr
    return OPTIMIZERS[key](params, **kwargs)


def _check_non_negative(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def _check_fraction(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {value!r}")
