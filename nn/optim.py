"""The course's optimizers: SGD (with momentum), AdaGrad, RMSProp and Adam, with classic Keras defaults.

Each update rule is written once, on arrays, and changes the parameter's array in place (as
PyTorch's optimizers do: the array is never replaced). A Tensor parameter is its own array;
the Values of a scalar model are gathered into one array, updated, and written back, so
the same formula serves both backends.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
import reprlib
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.autograd import Tensor, Value
from chainrule.autograd.tensor import unmasked

from .arrays import aligned_copy, aligned_zeros_like
from .files import save_npz
from .init import check_flag


def _number(name: str, value: Any, *, low: float, below: float | None = None, strict: bool = False) -> float:
    """`value` as a float: a real number (NumPy's included), finite, at least `low` (above it if `strict`)
    and under `below`; else ValueError (TypeError for a non-number) naming the argument."""
    if _is_0d(value) and value.dtype.kind in "iuf":
        value = value[()]  # a number saved by `save` and read back by `nn.load`
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {reprlib.repr(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = math.inf
    if below is not None:
        wanted, fits = f"in [{low:g}, {below:g})", low <= number < below
    elif strict:
        wanted, fits = f"a finite number > {low:g}", low < number < math.inf
    else:
        wanted, fits = f"a finite number >= {low:g}", low <= number < math.inf
    if not fits:
        raise ValueError(f"{name} must be {wanted}, got {reprlib.repr(value)}")
    return number


class Optimizer:
    """Holds the parameters and per-parameter state; `step()` applies one update from their grads.

    Its settings (``lr``, ``momentum``, ``beta1``...) may change between steps, a schedule for
    instance, and are checked whenever they are set, by the rules in `SETTINGS`.
    """

    SETTINGS: dict[str, Callable[[str, Any], Any]] = {
        "lr": partial(_number, low=0.0),
        "decay": partial(_number, low=0.0),
    }
    """Each setting's check, given its name and value: the value to keep, or an error naming the setting."""
    STATE: tuple[str, ...] = ()
    """The arrays the update rule keeps for each parameter between steps (momentum's ``velocity``...): a subclass
    names its own here, for `load_state_dict` to take them."""
    SQUARES: tuple[str, ...] = ()
    """Those of `STATE` that sum squared gradients, which cannot be negative (a square root reads them)."""
    COUNTS_UPDATES = False
    """Whether the update rule reads how many updates each parameter has had (Adam's bias correction), kept
    as ``steps`` beside its arrays: a parameter frozen for a while, then trained, starts again from 1."""

    lr: float
    decay: float

    def __init__(self, params: Iterable[Any], lr: float, decay: float = 0.0) -> None:
        params = _parameter_list(type(self).__name__, params)
        self._given = params  # in the order given, which error messages count in
        self.lr = lr
        self.decay = decay
        self.iterations = 0
        scalars = [p for p in params if isinstance(p, Value)]
        self._groups: list[Any] = ([scalars] if scalars else []) + [p for p in params if not isinstance(p, Value)]
        self._state: list[dict[str, np.ndarray]] = [{} for _ in self._groups]

    def __setattr__(self, name: str, value: Any) -> None:
        rule = self.SETTINGS.get(name)
        if rule is None and name == "iterations" and (type(value) is not int or value < 0):
            rule = _iterations
        object.__setattr__(self, name, value if rule is None else rule(name, value))

    @property
    def params(self) -> list[Any]:
        """The parameters this optimizer updates."""
        return [p for group in self._groups for p in (group if isinstance(group, list) else [group])]

    def state_of(self, param: Any) -> dict[str, np.ndarray]:
        """The arrays the update rule keeps for `param` between steps, by name (momentum's ``velocity``,
        Adam's ``m`` and ``v``...): the optimizer's own, not copies; empty before the first step. The Values
        of a scalar model share theirs, one entry per Value. ValueError for a parameter it does not update."""
        for group, state in zip(self._groups, self._state):
            if group is param or (isinstance(group, list) and any(p is param for p in group)):
                return state
        raise ValueError(f"this {type(self).__name__} does not update that parameter ({type(param).__name__})")

    def zero_grad(self) -> None:
        """Clear every parameter's gradient."""
        for group in self._groups:
            for p in group if isinstance(group, list) else (group,):
                p.zero_grad()

    def step(self) -> None:
        """One update of every parameter from its current gradient: 0 for one the loss did not reach (a Tensor's
        None, a Value's 0.0), so momentum and weight decay still move it; a Tensor frozen with
        ``requires_grad=False`` stays where it is."""
        for group, state in zip(self._groups, self._state):  # all checked first: a refused step changes nothing
            if isinstance(group, list) or not getattr(group, "requires_grad", True):
                continue
            if (not group.data.flags.writeable or (group.grad is not None and np.shape(group.grad) != group.data.shape)
                    or any(array.shape != group.data.shape for name, array in state.items() if name in self.STATE)):
                raise ValueError(f"{type(self).__name__}.step: {self._cannot_update(group)}")
        lr = self.lr / (1.0 + self.decay * self.iterations)
        self.iterations += 1
        for group, state in zip(self._groups, self._state):
            if isinstance(group, list):
                data = np.fromiter((p.data for p in group), dtype=np.float64, count=len(group))
                grad = np.fromiter((p.grad for p in group), dtype=np.float64, count=len(group))
                for p, new in zip(group, self.update(data, grad, state, lr).tolist()):
                    p.data = new
            elif getattr(group, "requires_grad", True):  # not frozen; the loss may not have reached it (gradient 0)
                grad = group.grad if group.grad is not None else np.zeros_like(group.data)
                group.data = self.update(group.data, grad, state, lr)
                if isinstance(group, Tensor):  # changed in place: a graph built before this step refuses backward()
                    group.version += 1

    def _cannot_update(self, param: Any) -> str:
        """Why `step` cannot update the Tensor `param`: a read-only array, or a gradient of another shape."""
        given = getattr(self, "_given", None) or self.params  # an optimizer pickled before it kept the order
        position = next(index for index, p in enumerate(given) if p is param)
        where = f"the parameter at position {position} (shape {param.data.shape})"
        if not param.data.flags.writeable:
            return (
                f"{where} holds a read-only array, which the update changes in place: give it a writeable copy "
                f"(p.data = p.data.copy()) before training"
            )
        state = self.state_of(param)
        kept = next((array.shape for name, array in state.items() if name in self.STATE), param.data.shape)
        if kept != param.data.shape:
            return (
                f"{where} was given an array of another shape after the optimizer kept its state for shape {kept}: "
                f"make a new optimizer for the new parameter"
            )
        return f"{where} has a gradient of shape {np.shape(param.grad)}: a gradient must have its parameter's shape"

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything the next step depends on, as arrays by name (copies), to save and resume training with.

        Each setting (``lr``, ``momentum``...), ``iterations`` (the steps taken, which ``decay`` reads),
        ``arrays`` (how many arrays the optimizer updates) and ``state.<i>.<name>``: the array `name` of `STATE`
        for the i-th of those arrays (and ``state.<i>.steps``, the updates it has had, for Adam). That is the
        i-th Tensor parameter, in the order given; the Values of a scalar model come first and share one array,
        in their order. A parameter not yet stepped (or frozen) has none. A `CosineSchedule` that sets ``lr``
        keeps a state of its own (its `state_dict`).
        """
        state: dict[str, np.ndarray] = {name: np.asarray(getattr(self, name)) for name in self.SETTINGS}
        state["iterations"] = np.asarray(self.iterations)
        state["arrays"] = np.asarray(len(self._groups))
        for index, arrays in enumerate(self._state):
            for name, array in arrays.items():
                state[f"state.{index}.{name}"] = array.copy()
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take the settings, step count and arrays of another optimizer's `state_dict` (saved with `save` and
        read with ``nn.load``), of the same kind and over as many parameters of the same shapes (as many
        Values, for a scalar model), to go on where it stopped. All or nothing: KeyError for missing or
        unexpected keys, ValueError (TypeError for what is no number) naming a key whose value does not fit;
        nothing changes unless every value fits. A state saved before ``arrays`` was kept loads without that
        check.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        shapes = [(len(group),) if isinstance(group, list) else np.shape(group.data) for group in self._groups]
        per_parameter = {f"state.{i}.{name}": (i, name) for i in range(len(shapes)) for name in self.STATE}
        counts = {f"state.{i}.steps": i for i in range(len(shapes))} if self.COUNTS_UPDATES else {}
        _check_keys(state, [*self.SETTINGS, "iterations"], {**per_parameter, **counts, "arrays": None}, owner,
                    "optimizer")
        settings = {name: _setting(state, name, rule, owner) for name, rule in self.SETTINGS.items()}
        self._check_settings(settings, owner)
        iterations = _count(state, "iterations", 0, owner, "the steps taken")
        if "arrays" in state:
            saved = _count(state, "arrays", 1, owner, "the arrays the optimizer updates")
            if saved != len(shapes):
                raise ValueError(
                    f"{owner}: the state is of an optimizer that updates {saved} arrays, this one updates "
                    f"{len(shapes)} (the Values of a scalar model count as one): give it the same parameters"
                )
        arrays: list[dict[str, np.ndarray]] = [{} for _ in shapes]
        for key, (index, name) in per_parameter.items():
            if key in state:
                array = arrays[index][name] = _state_entry(state[key], key, shapes[index], owner, self._groups[index])
                if name in self.SQUARES and (array < 0).any():
                    raise ValueError(f"{owner}: {key!r} sums squared gradients, so it cannot hold a negative number")
        for key, index in counts.items():
            if key in state:
                arrays[index]["steps"] = np.asarray(_count(state, key, 1, owner, "the updates of that parameter"))
        for index, found in enumerate(arrays):
            if found and len(found.keys() & set(self.STATE)) != len(self.STATE):
                absent = [f"state.{index}.{name}" for name in self.STATE if name not in found]
                raise KeyError(f"{owner}: missing keys {absent} (a parameter's arrays come all together)")
            if found and self.COUNTS_UPDATES and "steps" not in found:  # saved before each parameter's count was kept
                found["steps"] = np.asarray(iterations)
        for name, value in settings.items():
            object.__setattr__(self, name, value)
        self.iterations = iterations
        self._state = arrays

    def _check_settings(self, settings: dict[str, Any], owner: str) -> None:
        """ValueError for settings that each fit but not together (see SGD)."""

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write `state_dict()` to an ``.npz`` file, all or nothing, as `Module.save` writes a model's; returns
        the path written. ``optimizer.load_state_dict(nn.load(path))`` reads it back."""
        return save_npz(path, self.state_dict(), "optimizer's state")

    def update(self, w: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray], lr: float) -> np.ndarray:
        """Parameter array `w` moved in place by its gradient `g` (never changed), and returned; `state`
        persists between steps."""
        raise NotImplementedError

    def __repr__(self) -> str:
        public = {k: v for k, v in vars(self).items() if not k.startswith("_") and k != "iterations"}
        settings = ", ".join(f"{k}={v!r}" for k, v in public.items())
        return f"{type(self).__name__}({settings})"


def _is_0d(value: Any) -> bool:
    """Whether `value` is a 0-d array, as ``nn.load`` reads back a number or flag that `save` wrote."""
    return isinstance(value, np.ndarray) and value.ndim == 0


def _iterations(name: str, value: Any) -> int:
    """`value` as the count of steps taken: an int >= 0 (NumPy's too), else TypeError or ValueError naming it."""
    if _is_0d(value) and value.dtype.kind in "iu":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int (the steps taken), got {reprlib.repr(value)}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 (the steps taken), got {value!r}")
    return int(value)


def _check_keys(state: Any, required: list[str], optional: Any, owner: str, reader: str) -> None:
    """TypeError unless `state` is a mapping; KeyError naming the `required` keys it lacks and those it has
    that are neither required nor `optional`."""
    if not isinstance(state, Mapping):
        if isinstance(state, (str, os.PathLike)):
            raise TypeError(
                f"{owner} takes a state dict, not a file name: read the file first, as in "
                f"{reader}.load_state_dict(nn.load({str(state)!r}))"
            )
        raise TypeError(f"{owner} takes a state dict (a mapping of names to arrays), got {type(state).__name__}")
    missing = [key for key in required if key not in state]
    unexpected = sorted((key for key in state if key not in required and key not in optional), key=str)
    if missing or unexpected:
        raise KeyError(f"{owner}: missing keys {missing}, unexpected keys {unexpected}")


def _setting(state: Mapping[str, Any], key: str, rule: Callable[[str, Any], Any], owner: str) -> Any:
    """The number under `key`, checked by the setting's `rule`, its error naming `owner`."""
    value = _single(state[key], key, owner)
    try:
        return rule(key, value)
    except (TypeError, ValueError) as error:
        raise type(error)(f"{owner}: {error}") from None


def _count(state: Mapping[str, Any], key: str, low: int, owner: str, meaning: str) -> int:
    """The int under `key`, at least `low`; TypeError or ValueError naming it (`meaning` says what it counts)."""
    count = _single(state[key], key, owner)
    if not isinstance(count, int) or isinstance(count, bool):
        raise TypeError(f"{owner}: {key!r} must be an int ({meaning}), got {count!r}")
    if count < low:
        raise ValueError(f"{owner}: {key!r} must be >= {low} ({meaning}), got {count!r}")
    return count


def _array(value: Any, key: str, owner: str) -> np.ndarray:
    """`value` as an array, or a TypeError naming `key` for what NumPy cannot read as one (ragged lists)."""
    try:
        return np.asarray(unmasked(value, f"{owner}: {key!r}"))
    except ValueError:
        raise TypeError(f"{owner}: {key!r} must be numbers in an array, got {type(value).__name__} {value!r}") from None


def _single(value: Any, key: str, owner: str) -> Any:
    """The one number a state dict holds under `key` (a 0-d array, as ``nn.load`` reads it, or a number)."""
    array = _array(value, key, owner)
    if array.shape != () or array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {key!r} must be a single number, got {array.dtype} of shape {array.shape}")
    return array.item()


def _state_entry(value: Any, key: str, shape: tuple[int, ...], owner: str, group: Any) -> np.ndarray:
    """A per-parameter array of a state dict, checked and copied as the update rule keeps it: on a cache line,
    in the parameter's own dtype and layout (float64 for the Values of a scalar model)."""
    array = _array(value, key, owner)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {key!r} holds {array.dtype} values, not numbers")
    if array.shape != shape:
        raise ValueError(f"{owner}: {key!r} has shape {array.shape}, the parameter has shape {shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{owner}: {key!r} holds NaN or inf, which no update can go on from")
    like = np.empty(shape, np.float64) if isinstance(group, list) else group.data
    with np.errstate(over="ignore"):
        copy = aligned_copy(array.astype(like.dtype), like=like)
    if not np.isfinite(copy).all():
        raise ValueError(f"{owner}: {key!r} holds numbers too large for the parameter's {like.dtype}")
    return copy


def _state_array(state: dict[str, np.ndarray], name: str, like: np.ndarray) -> np.ndarray:
    """The optimizer's array `name` for one parameter: zeros shaped like it on the first step (made
    once, not on every step, and on a cache line as the parameter is), the same array after."""
    array = state.get(name)
    if array is None:
        array = state[name] = aligned_zeros_like(like)
    return array


class SGD(Optimizer):
    """Gradient descent; with momentum γ: v = γv − η∇, w += v (Nesterov: w += γv − η∇)."""

    SETTINGS = {
        **Optimizer.SETTINGS,
        "momentum": partial(_number, low=0.0, below=1.0),
        "nesterov": lambda name, value: check_flag(name, value[()] if _is_0d(value) else value),
        "weight_decay": partial(_number, low=0.0),
    }
    STATE = ("velocity",)

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
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay

    def __setattr__(self, name: str, value: Any) -> None:
        other = _PAIRED.get(name)
        if other is not None and hasattr(self, other):  # each checked on its own, then the two together
            rule = self.SETTINGS.get(name)
            value = rule(name, value) if rule is not None else value
            pair = {name: value, other: getattr(self, other)}
            _check_nesterov(pair["nesterov"], pair["momentum"])
        super().__setattr__(name, value)

    def _check_settings(self, settings: dict[str, Any], owner: str) -> None:
        _check_nesterov(settings["nesterov"], settings["momentum"], f"{owner}: ")

    def update(self, w, g, state, lr):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if not self.momentum and "velocity" not in state:  # else v = −η∇ replaces the velocity kept from before
            w -= lr * g
            return w
        v = _state_array(state, "velocity", w)
        v *= self.momentum
        v -= lr * g
        w += self.momentum * v - lr * g if self.nesterov else v
        return w


_PAIRED = {"momentum": "nesterov", "nesterov": "momentum"}
"""SGD's settings that are checked together: Nesterov's method needs a momentum."""


def _check_nesterov(nesterov: bool, momentum: float, owner: str = "") -> None:
    if nesterov and not momentum:
        raise ValueError(
            f"{owner}nesterov=True needs a momentum > 0 (Nesterov's method looks ahead along the velocity), got "
            f"momentum={momentum!r}; without momentum, nesterov must be False"
        )


class Adagrad(Optimizer):
    """AdaGrad: h += g⊙g, w −= η·g/√(h+ε): each weight's step shrinks as its squared gradients add up."""

    SETTINGS = {**Optimizer.SETTINGS, "eps": partial(_number, low=0.0, strict=True)}
    STATE = SQUARES = ("h",)

    def __init__(self, params: Iterable[Any], lr: float = 0.01, eps: float = 1e-8, decay: float = 0.0) -> None:
        super().__init__(params, lr, decay)
        self.eps = eps

    def update(self, w, g, state, lr):
        h = _state_array(state, "h", w)
        h += g * g
        w -= lr * g / np.sqrt(h + self.eps)
        return w


class RMSprop(Optimizer):
    """RMSProp: h = ρh + (1−ρ)·g⊙g, w −= η·g/√(h+ε): AdaGrad that forgets old gradients."""

    SETTINGS = {
        **Optimizer.SETTINGS,
        "rho": partial(_number, low=0.0, below=1.0),
        "eps": partial(_number, low=0.0, strict=True),
    }
    STATE = SQUARES = ("h",)

    def __init__(
        self, params: Iterable[Any], lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8, decay: float = 0.0
    ) -> None:
        super().__init__(params, lr, decay)
        self.rho = rho
        self.eps = eps

    def update(self, w, g, state, lr):
        h = _state_array(state, "h", w)
        h *= self.rho
        h += (1.0 - self.rho) * g * g
        w -= lr * g / np.sqrt(h + self.eps)
        return w


class Adam(Optimizer):
    """Adam: momentum on g (m) and RMSProp on g² (v), with bias correction, as in Keras.

    lr_t = η·√(1−β2ᵗ)/(1−β1ᵗ), w −= lr_t·m/(√v + ε), where t counts this parameter's own updates (as in PyTorch;
    Keras counts the optimizer's steps, which overshoots for a parameter frozen for a while and then trained).
    """

    SETTINGS = {
        **Optimizer.SETTINGS,
        "beta1": partial(_number, low=0.0, below=1.0),
        "beta2": partial(_number, low=0.0, below=1.0),
        "eps": partial(_number, low=0.0, strict=True),
    }
    STATE = ("m", "v")
    SQUARES = ("v",)

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
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

    COUNTS_UPDATES = True

    def update(self, w, g, state, lr):
        m = _state_array(state, "m", w)
        v = _state_array(state, "v", w)
        steps = state.get("steps")
        if steps is None:  # m and v were made just now
            steps = state["steps"] = np.zeros((), dtype=np.int64)
        steps += 1
        t = int(steps)  # this parameter's updates, as in PyTorch: one frozen until now starts at 1, with m = v = 0
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        lr_t = lr * math.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t)
        w -= lr_t * m / (np.sqrt(v) + self.eps)
        return w


class CosineSchedule:
    """The learning rate after step t of T: lr₀ · ½(1 + cos(π t / T)), from lr₀ down to 0 at step T.

    A slow start of the decay and a gentle landing at 0: the last epochs refine the weights with
    ever smaller steps. Call it after each update, e.g. ``nn.fit(..., on_step_end=schedule)``, or
    ``schedule.step()`` in a loop of your own. (An optimizer's own `decay` is Keras's
    lr / (1 + decay · t) and works on top of it.)
    """

    def __init__(self, optimizer: Optimizer, steps: int) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CosineSchedule needs an Optimizer, got {type(optimizer).__name__}")
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
            raise TypeError(f"steps must be an integer (the updates the schedule spans), got {steps!r}")
        if steps < 1:
            raise ValueError(f"steps must be a positive integer (the updates the schedule spans), got {steps!r}")
        self.optimizer = optimizer
        self.initial_lr = optimizer.lr
        self.steps = int(steps)
        self.done = 0

    def step(self) -> None:
        """Count one update and set the optimizer's rate for the next."""
        self.done += 1
        self._set_rate()

    def _set_rate(self) -> None:
        progress = min(self.done, self.steps) / self.steps
        self.optimizer.lr = self.initial_lr * 0.5 * (1.0 + math.cos(math.pi * progress))

    def __call__(self, step: int, figures: dict[str, float] | None = None) -> None:
        """`nn.fit`'s on_step_end: the same as `step()`."""
        self.step()

    def state_dict(self) -> dict[str, np.ndarray]:
        """The rate it started from, the updates it spans and those done, to resume with (the optimizer's
        ``lr`` is the current rate, not the first)."""
        return {key: np.asarray(getattr(self, key)) for key in ("initial_lr", "steps", "done")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Take another schedule's `state_dict` (saved with `save`, read with ``nn.load``) to go on where it
        stopped, and set the optimizer's rate to the one for the next update; all or nothing, with errors
        naming the key as `Optimizer.load_state_dict`'s do."""
        owner = "CosineSchedule.load_state_dict"
        _check_keys(state, ["initial_lr", "steps", "done"], (), owner, "schedule")
        initial_lr = _setting(state, "initial_lr", partial(_number, low=0.0), owner)
        steps = _count(state, "steps", 1, owner, "the updates the schedule spans")
        done = _count(state, "done", 0, owner, "the updates done")
        self.initial_lr, self.steps, self.done = initial_lr, steps, done
        self._set_rate()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write `state_dict()` to an ``.npz`` file, as `Optimizer.save` does; returns the path written."""
        return save_npz(path, self.state_dict(), "schedule's state")

    def __repr__(self) -> str:
        return f"CosineSchedule(lr {self.initial_lr:g} -> 0 over {self.steps} steps, {self.done} done)"


OPTIMIZERS = {"sgd": SGD, "momentum": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}
"""The optimizers by name; "momentum" is SGD with momentum 0.9."""


def make_optimizer(name: str, params: Iterable[Any], lr: float | None = None, **settings: Any) -> Optimizer:
    """An optimizer by name with the course's defaults ("momentum" is SGD with momentum 0.9).

    `lr` (when not None) and `settings` (``decay=``, ``weight_decay=``, ``eps=``...) go to the
    optimizer's constructor; a setting it does not take is a TypeError that lists those it does.
    """
    if not isinstance(name, str):
        raise TypeError(f"the optimizer's name must be a str such as 'adam', got {type(name).__name__} {name!r}")
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    kind = OPTIMIZERS[key]
    accepted = [p for p in inspect.signature(kind).parameters if p != "params"]
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise TypeError(f"{key} takes no {', '.join(unknown)}; its settings are {', '.join(accepted)}")
    kwargs: dict[str, Any] = {"momentum": 0.9} if key == "momentum" else {}
    kwargs.update(settings)
    if lr is not None:
        kwargs["lr"] = lr
    return kind(params, **kwargs)


def _parameter_list(owner: str, params: Iterable[Any]) -> list[Any]:
    """`params` as a list, refusing a model (its parameters() were meant) and anything that is not a parameter."""
    if hasattr(params, "parameters") and callable(params.parameters):
        raise TypeError(
            f"{owner} takes the parameters to update, not the {type(params).__name__} itself: "
            f"{owner}(model.parameters())"
        )
    if isinstance(params, (str, bytes, Value, Tensor)) or not isinstance(params, Iterable):
        hint = f": put it in a list, {owner}([w])" if isinstance(params, (Value, Tensor)) else ""
        raise TypeError(
            f"{owner} takes a list of parameters such as model.parameters(), got {type(params).__name__}{hint}"
        )
    params = list(params)
    if not params:
        raise ValueError(f"{owner} got an empty parameter list")
    for index, p in enumerate(params):
        if not isinstance(p, Value) and not (hasattr(p, "data") and hasattr(p, "grad")):
            raise TypeError(
                f"{owner} takes Values or Tensors (a model's parameters()), got {type(p).__name__} at position {index}"
            )
        if getattr(p, "parents", ()):
            raise ValueError(
                f"{owner} got the result of op {getattr(p, 'op', '?')!r} at position {index}, not a leaf: the next "
                f"forward pass computes it again from its inputs, so its update would be lost; pass the "
                f"parameters it is computed from"
            )
        if not getattr(p, "requires_grad", True) and not getattr(p, "is_parameter", False):
            make = "a Parameter, or a leaf Value made outside no_grad" if isinstance(p, Value) else \
                "with requires_grad=True (a model's parameter frozen with requires_grad=False is fine)"
            raise ValueError(
                f"{owner} got a {type(p).__name__} that takes no gradient at position {index}, so it would never move: "
                f"make it {make}"
            )
    first: dict[int, int] = {}
    for index, p in enumerate(params):
        earlier = first.setdefault(id(p), index)
        if earlier != index:
            raise ValueError(
                f"{owner} got the same parameter twice (positions {earlier} and {index}): it would move twice "
                f"per step; pass each parameter once"
            )
    _refuse_shared_arrays(owner, params)
    return params


def _refuse_shared_arrays(owner: str, params: list[Any]) -> None:
    """ValueError for two parameters whose arrays overlap in memory (a Tensor keeps the array it is given): each
    step would move the shared numbers twice."""
    by_buffer: dict[int, list[tuple[int, np.ndarray]]] = {}
    for index, p in enumerate(params):
        array = getattr(p, "data", None)
        if not isinstance(array, np.ndarray) or not array.size:
            continue
        owner_of_memory: Any = array
        while getattr(owner_of_memory, "base", None) is not None:
            owner_of_memory = owner_of_memory.base
        same_buffer = by_buffer.setdefault(id(owner_of_memory), [])
        for earlier, other in same_buffer:
            if np.shares_memory(array, other):
                raise ValueError(
                    f"{owner} got parameters at positions {earlier} and {index} whose arrays share memory: each step "
                    f"would move the shared numbers twice; give each its own array (Tensor(a.copy(), ...)), or use "
                    f"one parameter in both places to tie them"
                )
        same_buffer.append((index, array))
