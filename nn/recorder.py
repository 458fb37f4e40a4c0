"""`Recorder`: a training run of a model on the plane, frame by frame, as plain data for a film.

A model with two inputs and one output draws a picture on the plane: its output at every point
(x1, x2) is a heat map, and the line where that output crosses the class threshold is its
decision boundary. `Recorder` takes that picture, and everything that explains it, after every
optimizer step (or every k-th): the loss and accuracy, every weight and bias with its gradient,
the output and each neuron's output over a grid of the plane, and for each training sample its
activations and the gradients of its own loss. `chainrule.viz.film` plays the `Recording`.

Frame k is the model after k optimizer steps (frame 0 is the model before training), and every
number in it is computed at that frame's weights: the loss over all samples, the gradient of that
loss (which the next step of full-batch training follows), the samples' activations.

    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=300, on_step_end=recorder)
    film = viz.film(recorder.recording)

In a loop of your own, call ``recorder.record_step()`` once after each ``optimizer.step()``.

Per-sample gradients are stored the way backpropagation computes them: for sample i, each
neuron's activation a and the gradient δ = ∂L_i/∂z of the sample's own loss L_i with respect to
the neuron's weighted sum z = w · a_prev + b. The gradient of L_i for the weight from neuron k to
neuron j is then the chain-rule product a_k · δ_j, and for the bias δ_j (`Recording.sample_gradients`
computes them). That is one number per neuron instead of one per weight: 33 instead of 337 for
micrograd's 2-16-16-1 net, which is what lets a film hold every sample on every frame.

The δ come from one backward pass of the whole batch per frame (the training's own kind of step):
with the loss a mean over the samples (every `nn.losses` loss is), sample i's δ is n times the
batch gradient at its own z. Each frame checks that the batch loss is the mean of the samples'
losses, so a loss for which that does not hold is refused instead of filmed wrongly.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from chainrule import __version__
from chainrule.autograd import Tensor, Value, backpropagate, no_grad
from chainrule.autograd.graph import records_in_this_thread

from .activations import activate
from .init import check_size
from .layers import Layer, Neuron
from .losses import get_loss
from .losses import loss_name as loss_name_of
from .mlp import MLP
from .module import backend_of
from .perceptron import Perceptron
from .tensor_layers import Linear, Sequential, _Activation
from .training import ClassRule, _check_data, broken_parameters, shown_values

Extent = tuple[float, float, float, float]


@dataclass
class Recording:
    """A recorded training run: plain NumPy arrays and numbers (``frames`` is F, samples n).

    Layer ``l`` (0-based, the output layer last) has ``sizes[l + 1]`` neurons reading
    ``sizes[l]`` values. Grids cover `extent` = (x1 min, x1 max, x2 min, x2 max): a map of
    size G holds the value at the centres of G x G equal cells, row r at the r-th x2 from the
    bottom, column c at the c-th x1 from the left.
    """

    sizes: list[int]
    """Layer widths, inputs first: ``[2, ..., 1]``."""
    activations: list[str]
    """Each layer's activation ("relu", "tanh", "sigmoid", "step" or "linear")."""
    X: np.ndarray
    """The training samples, (n, 2)."""
    y: np.ndarray
    """Their targets, (n,), as given (0/1 or -1/+1)."""
    labels: np.ndarray
    """Each sample's class, 0 or 1, (n,)."""
    threshold: float
    """An output above this means class 1 (`nn.fit`'s rule)."""
    extent: Extent
    steps: np.ndarray
    """(F,) optimizer steps done when each frame was taken; frame 0 is step 0, before training."""
    loss: np.ndarray
    """(F,) the loss over all samples (plus the penalty, if any) at each frame's weights."""
    accuracy: np.ndarray
    """(F,) the share of samples classified right."""
    weights: list[np.ndarray]
    """Per layer (F, nout, nin)."""
    biases: list[np.ndarray]
    """Per layer (F, nout)."""
    weight_gradients: list[np.ndarray]
    """Per layer (F, nout, nin): d loss / d weight for the whole batch, at the frame's weights."""
    bias_gradients: list[np.ndarray]
    """Per layer (F, nout)."""
    output_map: np.ndarray
    """(F, G, G) the model's output over the plane."""
    neuron_maps: list[np.ndarray]
    """Per layer (F, nout, g, g): each neuron's output over a coarser grid (the output layer's too)."""
    input_maps: np.ndarray
    """(2, g, g) x1 and x2 over the same coarse grid."""
    sample_activations: list[np.ndarray]
    """Per layer (F, n, nout): each neuron's output a for each sample."""
    sample_local_gradients: list[np.ndarray]
    """Per layer (F, n, nout): da/dz, the activation's local derivative for each sample."""
    sample_deltas: list[np.ndarray]
    """Per layer (F, n, nout): δ = ∂L_i/∂z, the gradient of sample i's own loss at the neuron's sum."""
    sample_loss: np.ndarray
    """(F, n) each sample's own loss."""
    sample_correct: np.ndarray
    """(F, n) bool: whether the model puts each sample in its class."""
    info: dict[str, Any] = field(default_factory=dict)
    """What reproduces the film: title, model, loss, seed, hyperparameters, chainrule version, notes; ``frozen``
    lists the parameters frozen with ``requires_grad=False`` at every step, as [layer, "weights" or "biases"]
    (layer 0 first), when there are any, and ``no_bias`` the layers made with ``bias=False`` (their biases are
    recorded as zeros)."""

    @property
    def frames(self) -> int:
        """How many frames were recorded."""
        return len(self.steps)

    def sample_gradients(self, frame: int, sample: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """(d L_i / d weight (nout, nin), d L_i / d bias (nout,)) per layer, for sample i's own loss.

        The chain rule from the recorded factors: a weight's gradient is the activation it
        multiplies times the δ of the neuron it feeds; a bias's is that neuron's δ.
        """
        frame, sample = _index(frame, self.frames, "frame"), _index(sample, len(self.X), "sample")
        inputs = self.X[sample]
        result = []
        for layer, deltas in enumerate(self.sample_deltas):
            delta = deltas[frame, sample]
            result.append((np.outer(delta, inputs), delta.copy()))
            inputs = self.sample_activations[layer][frame, sample]
        return result

    def __repr__(self) -> str:
        return (
            f"Recording({'-'.join(map(str, self.sizes))}, {self.frames} frames, steps {int(self.steps[0])}.."
            f"{int(self.steps[-1])}, {len(self.X)} samples, loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g})"
        )


class Stage:
    """One layer of neurons as the film draws it: what computes it, its parameters, its activation."""

    def __init__(self, forward: Callable[[Any], Any], weights: Any, biases: Any, activation: str) -> None:
        self.forward = forward
        self.weights = weights  # scalar: rows of weight Values (nout x nin); numpy: a (nout, nin) Tensor
        self.biases = biases  # scalar: a list of bias Values; numpy: a (nout,) Tensor or None
        self.activation = activation

    @property
    def scalar(self) -> bool:
        return isinstance(self.weights, list)

    @property
    def shape(self) -> tuple[int, int]:
        if self.scalar:
            return len(self.weights), len(self.weights[0])
        return self.weights.shape

    def parameters(self) -> tuple[np.ndarray, np.ndarray]:
        """The weights (nout, nin) and biases (nout,) as float64 arrays."""
        if self.scalar:
            return np.array([[w.data for w in row] for row in self.weights]), np.array([b.data for b in self.biases])
        weights = np.array(self.weights.data, dtype=np.float64)
        biases = np.zeros(len(weights)) if self.biases is None else np.array(self.biases.data, dtype=np.float64)
        return weights, biases

    def gradients(self, grads: dict[Any, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The gradients of the parameters in `grads` (a `backpropagate` result), 0 where none arrived."""
        if self.scalar:
            weights = np.array([[grads.get(w, 0.0) for w in row] for row in self.weights])
            return weights, np.array([grads.get(b, 0.0) for b in self.biases])
        weights = _array_or_zeros(grads.get(self.weights), self.shape)
        biases = _array_or_zeros(grads.get(self.biases) if self.biases is not None else None, self.shape[:1])
        return weights, biases


def stages_of(model: Any) -> list[Stage]:
    """The layers of `model` as stages: an `MLP`, a `Sequential` of `Linear` layers each optionally
    followed by an activation module, a `Perceptron`, or a single `Layer`, `Neuron` or `Linear`."""
    _check_computes_as_built(model)
    if isinstance(model, MLP):
        return [_stage(layer) for layer in model.layers]
    if isinstance(model, Sequential):
        stages: list[Stage] = []
        folded = True
        for position, module in enumerate(model.layers):
            if isinstance(module, Linear):
                stages.append(_stage(module))
                folded = module.activation != "linear"
            elif isinstance(module, _Activation) and not folded:
                _check_computes_as_built(module)
                linear = stages[-1]
                stages[-1] = Stage(_chain(linear.forward, module), linear.weights, linear.biases, module.name)
                folded = True
            else:
                raise TypeError(
                    f"Recorder films a Sequential of Linear layers, each followed by at most one ReLU, Tanh or "
                    f"Sigmoid; module {position} is {type(module).__name__}"
                )
        if not stages:
            raise ValueError("Recorder: the Sequential holds no Linear layer")
        return stages
    if isinstance(model, (Perceptron, Neuron, Layer, Linear)):
        return [_stage(model)]
    raise TypeError(
        f"Recorder films an nn.MLP, an nn.Sequential of Linear layers and activations, or an nn.Perceptron, "
        f"got {type(model).__name__}"
    )


FILMED = (MLP, Sequential, Perceptron, Layer, Neuron, Linear, _Activation)


def _check_computes_as_built(module: Any) -> None:
    """TypeError for a subclass of a module the Recorder films whose forward pass is its own: the Recorder runs the
    layers it knows, so the film would show another model than the one that trains."""
    for kind in FILMED:
        if isinstance(module, kind):
            for method in ("forward", "__call__"):
                if getattr(type(module), method) is not getattr(kind, method):
                    name = type(module).__name__
                    base = next((c for c in type(module).__mro__ if c.__module__.startswith("chainrule.")), kind)
                    raise TypeError(
                        f"Recorder films an nn.{base.__name__} by running its layers itself, but {name} has a {method} "
                        f"of its own, so the film would show another model than the one that trains"
                    )
            return


def _stage(module: Any) -> Stage:
    _check_computes_as_built(module)
    if isinstance(module, Layer):
        neurons = module.neurons
        return Stage(module, [n.w for n in neurons], [n.b for n in neurons], module.activation)
    if isinstance(module, Neuron):
        return Stage(_as_list(module), [module.w], [module.b], module.activation)
    if isinstance(module, Perceptron):
        return Stage(_as_list(module), [module.w], [module.b], "step")
    return Stage(module, module.weight, module.bias, module.activation)


def _layout(model: Any) -> list[Any]:
    """`model`'s modules, the activation each names, and its parameters, in order: what its stages were made from
    (the objects themselves, so that a copy of a Recorder made with its model, or unpickled, compares its own)."""
    layout, stack = [], [model]
    while stack:
        module = stack.pop()
        layout += [module, getattr(module, "activation", None)]
        stack.extend(child for _, child in reversed(list(module._children())))
    return layout + list(model.parameters())


def _same_layout(now: list[Any], made: list[Any]) -> bool:
    """Whether two `_layout`s hold the same objects (by identity: a Tensor's ``==`` compares numbers)."""
    return len(now) == len(made) and all(a is b or (isinstance(a, str) and a == b) for a, b in zip(now, made))


def _checked_mapping(hyperparameters: Any) -> Mapping[str, Any]:
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise TypeError(
            f"Recorder: hyperparameters must be a dict such as {{'lr': 0.1}} (or None), got "
            f"{type(hyperparameters).__name__} {hyperparameters!r}"
        )
    return hyperparameters


def _as_list(module: Any) -> Callable[[Any], list[Value]]:
    return partial(_in_a_list, module)


def _in_a_list(module: Any, x: Any) -> list[Value]:
    return [module(x)]


def _chain(first: Callable[[Any], Any], second: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return partial(_one_after_the_other, first, second)


def _one_after_the_other(first: Callable[[Any], Any], second: Callable[[Any], Any], x: Any) -> Any:
    return second(first(x))


MAX_GRID, MAX_NEURON_GRID = 256, 64
"""The finest maps a recording takes: every frame keeps grid² outputs and neuron_grid² per neuron, all of which
a film page carries (64 and 16 by default; 256 already makes a page of 600 frames about 40 million numbers)."""


def _grid_size(value: Any, name: str, largest: int) -> int:
    size = check_size(name, value)
    if size > largest:
        raise ValueError(f"{name} must be at most {largest} (points along each side of its map), got {value!r}")
    return size


DEFAULT_MAX_FRAMES = 600
"""How many frames a `Recorder` keeps after frame 0 unless told otherwise: a film of a long training is then
thinned as it goes (about 0.2 MB a frame in memory, and a film page of about 10 MB)."""


class Recorder:
    """Records a model with two inputs and one output while it trains, for `chainrule.viz.film`.

    Creating the recorder records frame 0 (the model as it is now). Pass the recorder as
    ``nn.fit(..., on_step_end=recorder)``, or call ``recorder.record_step()`` after each
    ``optimizer.step()`` of a loop of your own; each call counts one step, so several `fit`
    calls continue one film. A frame is taken every `every` steps, and ``recorder.recording``
    adds the last step if it fell between two frames.

    Args:
        model: an `nn.MLP`, an `nn.Sequential` of `Linear` layers and activations, or an
            `nn.Perceptron`, on either backend, with 2 inputs and 1 output.
        X, y: the training samples (n, 2) and their targets, 0/1 or -1/+1.
        loss: the loss the model trains on: a name from `nn.losses` or a callable
            ``loss(outputs, targets)`` that is a mean over the samples, as every `nn.losses` loss is.
        every: take a frame every `every` steps.
        max_frames: keep at most this many frames after frame 0 (and the last step's, when it falls
            between two): when one more is taken, every other frame is dropped and `every` doubles, so a
            training of unknown length fits in bounded memory. `DEFAULT_MAX_FRAMES` (600) by default;
            None keeps every frame, about 0.2 MB each at the default grids.
        penalty: a function of no arguments giving a term the training adds to the loss, such
            as ``lambda: 1e-4 * nn.losses.l2(model.parameters())``. It is part of the recorded
            loss and batch gradients, not of any one sample's loss.
        threshold: the output above which a sample is class 1 (default: `nn.fit`'s rule).
        grid: the output map is grid x grid points (at most `MAX_GRID`); neuron_grid: each neuron's
            map (at most `MAX_NEURON_GRID`).
        extent: (x1 min, x1 max, x2 min, x2 max); default: a square around the samples with
            15% of their spread on each side.
        seed, hyperparameters, title: stored in the recording so a film can be reproduced.
    """

    def __init__(
        self,
        model: Any,
        X: Any,
        y: Any,
        loss: str | Callable[..., Any],
        *,
        every: int = 1,
        max_frames: int | None = DEFAULT_MAX_FRAMES,
        penalty: Callable[[], Any] | None = None,
        threshold: float | None = None,
        grid: int = 64,
        neuron_grid: int = 16,
        extent: Sequence[float] | None = None,
        seed: int | None = None,
        hyperparameters: dict[str, Any] | None = None,
        title: str = "",
    ) -> None:
        self.backend = backend_of(model)
        self.stages = stages_of(model)
        self._layout = _layout(model)
        sizes = [self.stages[0].shape[1]] + [stage.shape[0] for stage in self.stages]
        if sizes[0] != 2:
            raise ValueError(f"Recorder films models with 2 inputs (a point of the plane); this one has {sizes[0]}")
        if sizes[-1] != 1:
            raise ValueError(f"Recorder films models with 1 output (two classes); this one has {sizes[-1]}")
        X, y = _check_data(model, X, y)
        y = y.reshape(-1).astype(np.float64)
        if len(y) != len(X):
            raise ValueError(f"y must hold one target per sample: {len(X)} samples but y has shape {y.shape}")
        if penalty is not None and not callable(penalty):
            raise TypeError(f"penalty must be a function of no arguments, got {type(penalty).__name__}")
        self.model = model
        self.X = X.astype(np.float64)
        self.y = y
        self.loss_fn = get_loss(loss)
        loss_name = loss_name_of(loss)
        self.rule = ClassRule(y, loss_name, threshold)
        if self.rule.threshold is None or not self.rule.two_valued:
            values = np.unique(y)
            if values.tolist() == [1.0]:
                raise ValueError(
                    "Recorder films two classes, and targets that are all 1 could be 0/1 or -1/+1 classes: pass "
                    "threshold= (0.5 for 0/1, 0 for -1/+1)"
                )
            raise ValueError(
                f"Recorder films two classes: targets must be 0/1 or -1/+1 (or two values of your own, with "
                f"threshold=), got {shown_values(values)}"
            )
        self.penalty = penalty
        self.every = check_size("every", every)
        if not isinstance(title, str):
            raise TypeError(f"Recorder: title must be a str, got {type(title).__name__} {title!r}")
        self.max_frames = None if max_frames is None else check_size("max_frames", max_frames)
        self.extent = _check_extent(extent) if extent is not None else square_around(self.X)
        self.grid = _grid_size(grid, "grid", MAX_GRID)
        self.neuron_grid = _grid_size(neuron_grid, "neuron_grid", MAX_NEURON_GRID)
        self._fine = plane(self.extent, self.grid)
        self._coarse = plane(self.extent, self.neuron_grid)
        self.info = {
            "title": title,
            "model": repr(model),
            "backend": self.backend,
            "loss": loss_name if loss_name.isidentifier() else "custom",
            "penalty": penalty is not None,
            "every": self.every,
            "seed": seed,
            "hyperparameters": dict(_checked_mapping(hyperparameters)),
            "chainrule": __version__,
        }
        self.sizes = sizes
        self._steps_done = 0
        self._frozen_at_every_step: list[list[Any]] | None = None  # None until a step is counted
        self._frames: list[dict[str, Any]] = [self._frame()]
        self._last: dict[str, Any] | None = None  # the current step's frame, made when `recording` is read

    # --- the two ways in ---
    def __call__(self, step: int | None = None, figures: dict[str, float] | None = None) -> None:
        """`nn.fit`'s ``on_step_end``: one optimizer step was taken (its arguments are not needed)."""
        self.record_step()

    def record_step(self) -> None:
        """Count one optimizer step; take a frame if it is an `every`-th one. Call after ``optimizer.step()``."""
        self._steps_done += 1
        frozen = self._frozen_now()
        kept = self._frozen_at_every_step
        self._frozen_at_every_step = frozen if kept is None else [p for p in kept if p in frozen]
        if self._steps_done % self.every == 0:
            self._frames.append(self._frame())
            if self.max_frames is not None and len(self._frames) > self.max_frames + 1:
                self._frames = self._frames[::2]  # frame 0 and the frames at multiples of twice `every`
                self.every *= 2
                self.info["every"] = self.every

    @property
    def frames(self) -> int:
        """Frames taken every `every` steps so far (`recording` adds the current step's when it falls between)."""
        return len(self._frames)

    @property
    def recording(self) -> Recording:
        """Everything recorded so far, with a last frame for the current model if steps were taken since
        (kept aside, not among the frames taken every `every` steps, so a look mid-training changes nothing)."""
        frames = self._frames
        if frames[-1]["step"] != self._steps_done:
            if self._last is None or self._last["step"] != self._steps_done:
                self._last = self._frame()
            frames = [*frames, self._last]
        self._check_unchanged(frames[-1])
        layers = range(len(self.stages))

        def stack(key: str, dtype: Any = np.float64) -> np.ndarray:
            return np.array([frame[key] for frame in frames], dtype=dtype)

        def per_layer(key: str) -> list[np.ndarray]:
            return [np.array([frame[key][layer] for frame in frames]) for layer in layers]

        return Recording(
            sizes=list(self.sizes),
            activations=[stage.activation for stage in self.stages],
            X=self.X.copy(),
            y=self.y.copy(),
            labels=(self.y > self.rule.middle).astype(np.int64),
            threshold=float(self.rule.threshold),
            extent=self.extent,
            steps=stack("step", np.int64),
            loss=stack("loss"),
            accuracy=stack("accuracy"),
            weights=per_layer("weights"),
            biases=per_layer("biases"),
            weight_gradients=per_layer("weight_gradients"),
            bias_gradients=per_layer("bias_gradients"),
            output_map=stack("output_map"),
            neuron_maps=per_layer("neuron_maps"),
            input_maps=self._coarse.T.reshape(2, self.neuron_grid, self.neuron_grid).copy(),
            sample_activations=per_layer("activations"),
            sample_local_gradients=per_layer("local_gradients"),
            sample_deltas=per_layer("deltas"),
            sample_loss=stack("sample_loss"),
            sample_correct=stack("correct", bool),
            info={**self.info, **self._parameter_facts()},
        )

    def _parameter_facts(self) -> dict[str, Any]:
        """What the film says of the parameters beyond their numbers: ``frozen``, those frozen at every step, and
        ``no_bias``, the layers made without a bias (whose zeros are recorded but drawn as no bias at all)."""
        facts: dict[str, Any] = {}
        if frozen := self._never_moved():
            facts["frozen"] = frozen
        if no_bias := [layer for layer, stage in enumerate(self.stages) if stage.biases is None]:
            facts["no_bias"] = no_bias
        return facts

    def _never_moved(self) -> list[list[Any]]:
        """The parameters frozen with ``requires_grad=False`` at every step counted and now (now alone before
        any step): the film says that no step moved them, though it shows their gradients."""
        now = self._frozen_now()
        every_step = self._frozen_at_every_step
        return now if every_step is None else [parameter for parameter in every_step if parameter in now]

    def _frozen_now(self) -> list[list[Any]]:
        """[layer, "weights" or "biases"] for each parameter frozen with ``requires_grad=False`` now."""
        return [
            [layer, kind]
            for layer, stage in enumerate(self.stages)
            for kind, parameter in (("weights", stage.weights), ("biases", stage.biases))
            if _is_frozen(parameter)
        ]

    def __repr__(self) -> str:
        return f"Recorder({'-'.join(map(str, self.sizes))}, every={self.every}, {self.frames} frames)"

    # --- one frame ---
    def _check_unchanged(self, frame: dict[str, Any]) -> None:
        """ValueError if the model's parameters are no longer those `frame` filmed at this very step: they
        changed without a counted step, and the film's last frame would show a model that is not there."""
        for layer, stage in enumerate(self.stages):
            weights, biases = stage.parameters()
            same = np.array_equal(weights, frame["weights"][layer], equal_nan=True) and np.array_equal(
                biases, frame["biases"][layer], equal_nan=True
            )
            if not same:
                raise ValueError(
                    f"the model changed after step {self._steps_done} was filmed, with no step counted: call "
                    f"recorder.record_step() after each optimizer.step() (or pass the recorder as fit's on_step_end)"
                )

    def _check_can_film(self) -> None:
        """RuntimeError under no_grad (the frame's own backward pass would find no graph and film every gradient
        as 0); ValueError if the model's modules, activations or parameters are no longer those its stages were made
        from (`_layout`)."""
        if not records_in_this_thread():
            raise RuntimeError(
                "Recorder: a frame is filmed by a forward and backward pass of its own, which no_grad() switches "
                "off: call record_step() (and make the Recorder) outside no_grad()"
            )
        if not _same_layout(_layout(self.model), self._layout):
            raise ValueError(
                "Recorder: a module, an activation or a parameter of the model was replaced, added or removed after "
                "the Recorder was made, so the film would show the model as it was: make a new Recorder for the model "
                "as it is now (or change parameters in place, or with load_state_dict)"
            )

    def _frame(self) -> dict[str, Any]:
        """The model now: one frame of the film."""
        self._check_can_film()
        frame: dict[str, Any] = {"step": self._steps_done}
        frame.update(self._through_the_batch())
        parameters = [stage.parameters() for stage in self.stages]
        frame["weights"] = [w for w, _ in parameters]
        frame["biases"] = [b for _, b in parameters]
        fine = self._over_the_plane(self._fine)
        frame["output_map"] = fine[-1][:, 0].reshape(self.grid, self.grid)
        coarse = self._over_the_plane(self._coarse)
        g = self.neuron_grid
        frame["neuron_maps"] = [outs.T.reshape(len(outs.T), g, g) for outs in coarse]
        return frame

    def _through_the_batch(self) -> dict[str, Any]:
        """One forward and backward pass of all samples: loss, gradients and each sample's numbers (of a
        parameter frozen with ``requires_grad=False`` too: the film shows ∂L/∂w whether or not w moves)."""
        n = len(self.X)
        with np.errstate(over="ignore", invalid="ignore"), _thawed(self.model.parameters()):
            if self.backend == "numpy":
                x: Any = self.X.astype(self.stages[0].weights.dtype)
                layer_outputs = []
                for stage in self.stages:
                    x = stage.forward(x)
                    layer_outputs.append(x)
                outputs = x
            else:
                per_sample = []
                for row in self.X.tolist():
                    x = row
                    outs = []
                    for stage in self.stages:
                        x = stage.forward(x)
                        outs.append(x)
                    per_sample.append(outs)
                outputs = [outs[-1][0] for outs in per_sample]
                layer_outputs = [[outs[layer] for outs in per_sample] for layer in range(len(self.stages))]
            data_loss = self.loss_fn(outputs, self.y)
            total = data_loss + self.penalty() if self.penalty is not None else data_loss
            loss = float(total.data)
            if not math.isfinite(loss):
                if not self._steps_done:  # nothing trained yet: the model as it was given
                    raise ValueError(f"Recorder: the loss is {loss} before any step: {_broken_parameters(self.model)}")
                raise FloatingPointError(
                    f"Recorder: the loss is {loss} after {self._steps_done} steps; the training diverged"
                )
            if isinstance(total, Tensor):
                grads: Any = backpropagate(total, np.ones_like(total.data))
                gradients = [stage.gradients(grads) for stage in self.stages]
            else:
                grads, gradients = self._scalar_backward(total)
        output_values = _values(outputs)
        sample_loss = self._sample_losses(output_values)
        self._check_mean(float(data_loss.data), sample_loss)
        activations, local_gradients, deltas = [], [], []
        inputs = self.X
        for stage, outs in zip(self.stages, layer_outputs):
            a, local, delta = _neuron_numbers(outs, stage, inputs, grads)
            inputs = a
            activations.append(a)
            local_gradients.append(local)
            deltas.append(delta * n)
        correct = (output_values[:, 0] > self.rule.threshold) == (self.y > self.rule.middle)
        return {
            "loss": loss,
            "accuracy": float(np.mean(correct)),
            "weight_gradients": [w for w, _ in gradients],
            "bias_gradients": [b for _, b in gradients],
            "activations": activations,
            "local_gradients": local_gradients,
            "deltas": deltas,
            "sample_loss": sample_loss,
            "correct": correct,
        }

    def _scalar_backward(self, total: Value) -> tuple[Any, list[tuple[np.ndarray, np.ndarray]]]:
        """`total.backward()`, the engine's fast path, with the training's own parameter gradients put back.

        Returns the gradients left on the nodes (read like `backpropagate`'s dict) and each layer's
        parameter gradients, read before the training's are restored.
        """
        parameters = self.model.parameters()
        kept = [p.grad for p in parameters]
        try:
            for p in parameters:
                p.grad = 0.0
            total.backward()
            return _GradientsOnNodes(), [stage.gradients(_GradientsOnNodes()) for stage in self.stages]
        finally:
            for p, grad in zip(parameters, kept):
                p.grad = grad

    def _sample_losses(self, outputs: np.ndarray) -> np.ndarray:
        """Each sample's own loss, from the outputs already computed (no graph is built)."""
        losses = np.empty(len(outputs))
        with no_grad():
            for i, (output, target) in enumerate(zip(outputs.tolist(), self.y.tolist())):
                if self.backend == "numpy":
                    prediction: Any = Tensor(np.array([output]), dtype=self.stages[0].weights.dtype)
                else:
                    prediction = [Value(output[0])]
                losses[i] = float(self.loss_fn(prediction, np.array([target])).data)
        return losses

    def _check_mean(self, batch_loss: float, sample_loss: np.ndarray) -> None:
        mean = float(np.mean(sample_loss))
        tolerance = 1e-4 if self.backend == "numpy" else 1e-9
        if not math.isclose(batch_loss, mean, rel_tol=tolerance, abs_tol=1e-30):  # relative: a loss may be tiny
            raise ValueError(
                f"Recorder needs a loss that is the mean of the samples' losses (as every nn.losses loss is): "
                f"the batch loss is {batch_loss:.6g} but the mean of the samples' losses is {mean:.6g}; "
                f"pass a term on the parameters alone (such as L2) as penalty="
            )

    def _over_the_plane(self, points: np.ndarray) -> list[np.ndarray]:
        """Each layer's outputs (points, nout) at `points`, from the current weights, building no graph."""
        outputs = []
        with no_grad(), np.errstate(over="ignore", invalid="ignore"):
            if self.backend == "numpy":
                x: Any = points.astype(self.stages[0].weights.dtype)
                for stage in self.stages:
                    x = stage.forward(x)
                    outputs.append(np.array(x.data, dtype=np.float64))
            else:
                x = points
                for stage in self.stages:
                    weights, biases = stage.parameters()
                    x = activate_array(x @ weights.T + biases, stage.activation)
                    outputs.append(x)
        return outputs


def _is_frozen(parameter: Any) -> bool:
    """A Tensor parameter frozen with ``requires_grad=False`` (a Value cannot be)."""
    return isinstance(parameter, Tensor) and not parameter.requires_grad


@contextmanager
def _thawed(parameters: list[Any]) -> Iterator[None]:
    """Frozen Tensor parameters take gradients inside the block, and are frozen again after it."""
    frozen = [p for p in parameters if _is_frozen(p)]
    try:
        for p in frozen:
            p.requires_grad = True
        yield
    finally:
        for p in frozen:
            p.requires_grad = False


class _GradientsOnNodes:
    """The gradients a `backward()` pass left on the nodes, read like `backpropagate`'s dict: a Value always
    holds one (0.0 where none flowed in), so `default` is never used."""

    @staticmethod
    def get(node: Any, default: Any = None) -> Any:
        return node.grad


def activate_array(z: np.ndarray, name: str) -> np.ndarray:
    """The named activation of every entry of `z`, by the engine's own ops (Tensor's, else Value's)."""
    if name == "linear":
        return z
    if hasattr(Tensor, name):
        return activate(Tensor(z, dtype=z.dtype), name).data
    return np.vectorize(lambda v: activate(Value(v), name).data, otypes=[np.float64])(z)


def _neuron_numbers(outputs: Any, stage: Stage, inputs: np.ndarray, grads: dict[Any, Any]) -> tuple[np.ndarray, ...]:
    """Activations a, local derivatives da/dz and batch gradients dL/dz, each (n, nout), of one layer
    whose `inputs` (n, nin) gave `outputs`."""
    activation = stage.activation
    if isinstance(outputs, Tensor):
        # A NumPy layer is one node, act(x @ wᵀ + b) (or a linear one and its activation's): dL/dz is dL/da
        # times the activation's local derivative as the op kept it, at the z of the pass just run, in the
        # model's dtype: z worked out again in float64 can fall on the other side of ReLU's kink.
        a = np.array(outputs.data, dtype=np.float64)
        upstream = _array_or_zeros(grads.get(outputs), a.shape)
        if activation == "linear":
            return a, np.ones_like(a), upstream
        op = getattr(outputs._fn, "activation", outputs._fn)  # the fused Linear's activation, or the op itself
        local = np.broadcast_to(np.asarray(op.local(), dtype=np.float64), a.shape).copy()
        return a, local, upstream * local
    a = np.array([[v.data for v in outs] for outs in outputs])
    if activation == "linear":
        return a, np.ones_like(a), np.array([[grads.get(v, 0.0) for v in outs] for outs in outputs])
    local = np.array([[v.local_grads[0] for v in outs] for outs in outputs])
    delta = np.array([[grads.get(v.parents[0], 0.0) for v in outs] for outs in outputs])
    return a, local, delta


def _broken_parameters(model: Any) -> str:
    """Which of `model`'s parameters hold NaN or inf, in words, or that the data must be to blame."""
    shown = broken_parameters(model)
    if shown is None:
        return "the model's parameters are finite, so the data or the loss gives it"
    return f"the model's parameters hold NaN or inf ({shown}): load or set finite weights"


def _values(outputs: Any) -> np.ndarray:
    if isinstance(outputs, Tensor):
        return np.array(outputs.data, dtype=np.float64).reshape(len(outputs.data), -1)
    return np.array([[v.data] for v in outputs])


def _array_or_zeros(grad: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros(shape) if grad is None else np.array(grad, dtype=np.float64).reshape(shape)


def plane(extent: Extent, size: int) -> np.ndarray:
    """The centres of size x size equal cells of `extent`, (size², 2), row by row from the bottom."""
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    ys = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.column_stack([grid_x.ravel(), grid_y.ravel()])


def square_around(X: np.ndarray) -> Extent:
    """A square around the samples, with 15% of their larger spread on each side."""
    low, high = X.min(axis=0), X.max(axis=0)
    span = float(max(high - low)) or 1.0
    half = 0.65 * span
    cx, cy = (low + high) / 2
    return (float(cx - half), float(cx + half), float(cy - half), float(cy + half))


def _check_extent(extent: Sequence[float]) -> Extent:
    if isinstance(extent, (str, bytes)) or not isinstance(extent, (Sequence, np.ndarray)) or not all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in extent
    ):
        raise TypeError(f"extent must be four numbers (x1 min, x1 max, x2 min, x2 max), got {extent!r}")
    values = tuple(float(v) for v in extent)
    if len(values) != 4 or not all(map(math.isfinite, values)) or values[0] >= values[1] or values[2] >= values[3]:
        raise ValueError(f"extent must be (x1 min, x1 max, x2 min, x2 max) with min < max, got {tuple(extent)!r}")
    return values  # type: ignore[return-value]


def _index(value: int, count: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not -count <= value < count:
        raise IndexError(f"{name} {value!r} is out of range: the recording has {count} {name}s")
    return int(value) % count
