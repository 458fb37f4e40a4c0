"""Scalar-engine modules: a neuron is a list of weight Values, a layer a list of neurons (as in micrograd)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule.autograd import Parameter, Value, graph
from chainrule.autograd import scalar_ops as ops

from .activations import check_activation
from .init import Seed, check_size, initial_weights, real_numbers, rng_from
from .module import Module, modules_within

NEURON_ACTIVATIONS: dict[str, ops.Op | None] = {
    "linear": None,
    "relu": ops.RELU,
    "tanh": ops.TANH,
    "sigmoid": ops.SIGMOID,
    "step": ops.STEP,
}
"""The op a scalar neuron applies to its weighted sum, by activation name (as `LAYER_ACTIVATIONS` for `Linear`)."""


class Sample(list):
    """One sample already made of Values, so the neurons of a layer need not check it again."""


def as_inputs(x: Sequence[Any]) -> Sample:
    """A sample as Values: numbers become input leaves labelled x0, x1, ... (in no module's scope)."""
    if type(x) is Sample:
        return x
    if isinstance(x, (Value, str, bytes, dict, set, frozenset)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"expected a sequence of numbers or Values (one sample), got {type(x).__name__}")
    rows = x.shape if isinstance(x, np.ndarray) and x.ndim != 1 else None
    first = x[0] if len(x) else None
    if rows is None and isinstance(first, (Sequence, np.ndarray)) and not isinstance(first, str) and np.ndim(first):
        rows = (len(x), *np.shape(first))  # rows of numbers (not 0-d arrays, each one number)
    if rows is not None:  # a batch: the scalar engine takes one sample at a time
        given = "an array" if isinstance(x, np.ndarray) else "rows"
        raise ValueError(
            f"a scalar model takes one sample, a list of numbers; got {given} of shape {rows}: call it on each row, "
            f"or use nn.predict(model, X) for them all"
        )
    values = Sample(v if isinstance(v, Value) else Value(v, label=f"x{i}") for i, v in enumerate(x))
    for value in values:
        if not value.parents and not value.is_parameter:
            value.scope = ""
    return values


def _with_nonlin(activation: str, nonlin: Any) -> str:
    """The activation, or the one micrograd's ``nonlin=`` names: True for ReLU, False for none (only a bool)."""
    if isinstance(activation, (bool, np.bool_)) and nonlin is None:  # micrograd's Neuron(nin, nonlin), by position
        activation, nonlin = "relu", activation
    if nonlin is None:
        return activation
    if not isinstance(nonlin, (bool, np.bool_)):
        hint = f"; for {nonlin!r} write activation={nonlin!r}" if isinstance(nonlin, str) else ""
        raise TypeError(f"nonlin is micrograd's True (ReLU) or False (no activation), got {nonlin!r}{hint}")
    named = "relu" if nonlin else "linear"
    if activation not in ("relu", named):  # "relu", the default, cannot tell whether it was given
        raise ValueError(f"give the activation once: activation={activation!r} or micrograd's nonlin={nonlin!r}")
    return named


class Neuron(Module):
    """act(w · x + b): the weighted sum is one node (op ``w·x+b``, whose edges carry xᵢ, wᵢ and 1), then the
    activation; micrograd draws the same sum as n products and n additions."""

    _required = ("w", "b")

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
    ) -> None:
        nin = check_size("nin", nin)
        self.activation = activation = check_activation(_with_nonlin(activation, nonlin))
        if weights is None:
            weights = initial_weights(nin, 1, activation, rng_from(seed))[0]
        else:
            if seed is not None:
                rng_from(seed)  # checked all the same
            weights = real_numbers(weights, "Neuron weights")
            if len(weights) != nin:
                raise ValueError(f"Neuron got {len(weights)} weights for nin={nin}")
        self.w = [Parameter(float(w), label=f"w{i}") for i, w in enumerate(weights)]
        self.b = Parameter(real_numbers([bias], "Neuron bias")[0], label="b")

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def forward(self, x: Sequence[Any]) -> Value:
        x = as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expected {len(self.w)} inputs (nin), got {len(x)}")
        return self.respond(x, [v.data for v in x])

    def respond(self, x: Sample, numbers: list[float]) -> Value:
        """The neuron's output for inputs `x` whose numbers are `numbers` (a layer reads them once for all)."""
        w, b = self.w, self.b
        total = Value.record(ops.DOT, ops.DOT.weighted_sum([wi.data for wi in w], numbers, b.data), (*w, *x, b))
        activation = NEURON_ACTIVATIONS[self.activation]
        return total if activation is None else Value.apply(activation, total)

    def _state_arrays(self) -> dict[str, np.ndarray]:
        own = {"weight": np.array([w.data for w in self.w]), "bias": np.array(self.b.data)}
        return {**own, **_added_state(self, ("w", "b"), [*self.w, self.b])}

    def _load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for w, number in zip(self.w, arrays["weight"].tolist()):
            w.data = number
        self.b.data = float(arrays["bias"])
        Module._load_state_arrays(self, {k: v for k, v in arrays.items() if k not in ("weight", "bias")})

    def extra_repr(self) -> str:
        return f"{len(self.w)}, activation={self.activation!r}"


class Layer(Module):
    """`nout` neurons reading the same inputs; always returns a list, even of one Value."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: Seed = None,
    ) -> None:
        nin, nout = check_size("nin", nin), check_size("nout", nout)
        self.activation = activation = check_activation(_with_nonlin(activation, nonlin))
        weights = initial_weights(nin, nout, activation, rng_from(seed))
        self.neurons = [Neuron(nin, activation, weights=row) for row in weights]

    def forward(self, x: Sequence[Any]) -> list[Value]:
        nin = len(self.neurons[0].w)
        for index, neuron in enumerate(self.neurons):
            if len(neuron.w) != nin:
                raise ValueError(
                    f"Layer's neuron {index} has {len(neuron.w)} weights, neuron 0 has {nin}: a neuron's w replaced "
                    f"by hand must keep one weight per input of the layer"
                )
        x = as_inputs(x)
        if len(x) != nin:
            raise ValueError(f"Layer expected {nin} inputs (nin), got {len(x)}")
        numbers = [v.data for v in x]
        outputs = Sample()
        previous = graph.enter_scope(self._path)
        try:
            for neuron in self.neurons:  # what calling each neuron does, with the inputs read once
                graph.state.scope = neuron._path
                outputs.append(neuron.respond(x, numbers))
        finally:
            graph.leave_scope(previous)
        return outputs

    def _state_arrays(self) -> dict[str, np.ndarray]:
        weight = np.array([[w.data for w in n.w] for n in self.neurons])
        own = {"weight": weight, "bias": np.array([n.b.data for n in self.neurons])}
        for index, neuron in enumerate(self.neurons):  # what a neuron of a subclass, or given more, adds
            if any(not name.startswith("_") and name not in _NEURON_ATTRIBUTES for name in vars(neuron)):
                for key, array in neuron.state_dict().items():
                    if key not in ("weight", "bias"):
                        own[f"neurons.{index}.{key}"] = array
        weights_and_biases = [param for neuron in self.neurons for param in (*neuron.w, neuron.b)]
        return {**own, **_added_state(self, (), weights_and_biases)}

    def _load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for index, (neuron, row, bias) in enumerate(zip(self.neurons, arrays["weight"], arrays["bias"])):
            added = {key.removeprefix(f"neurons.{index}."): array for key, array in arrays.items()
                     if key.startswith(f"neurons.{index}.")}
            neuron._load_nested({"weight": row, "bias": bias, **added}, "")
        Module._load_state_arrays(self, {
            key: array for key, array in arrays.items()
            if key not in ("weight", "bias") and not key.startswith("neurons.")
        })

    def _state_children(self):
        """A subclass's own modules: the neurons are saved as the layer's weight and bias, and a handle on one of them
        (``self.first = self.neurons[0]``), or on a module inside one, is no other module."""
        within = modules_within(self.neurons)
        return (
            (name, child) for name, child in self._children()
            if name.partition(".")[0] != "neurons" and id(child) not in within
        )

    def extra_repr(self) -> str:
        return f"{len(self.neurons[0].w)}, {len(self.neurons)}, activation={self.activation!r}"


_NEURON_ATTRIBUTES = ("activation", "w", "b")
"""What a Neuron holds: one with any other public attribute may hold more to save (`Layer._state_arrays`)."""


def _added_state(module: Module, kept: tuple[str, ...], weights_and_biases: list[Any]) -> dict[str, np.ndarray]:
    """The arrays of parameters a subclass of Neuron or Layer added (a gate, a scale), saved beside weight and bias;
    `kept` names the attributes saved as those.

    An attribute called weight or bias holding other parameters than the module's `weights_and_biases` would take
    the place of its own in the file: ValueError naming it. One holding those only (``self.bias = self.b``) is
    another name for them, saved once."""
    own = {id(param) for param in weights_and_biases}
    skipped = set(kept)
    for name, value in module._parameter_attributes():
        if name in ("weight", "bias"):
            if not all(id(param) in own for param in (value if isinstance(value, (list, tuple)) else (value,))):
                kind = type(module).__name__
                raise ValueError(
                    f"state_dict: {kind}.{name} holds parameters of its own, but {kind} saves its weights and biases "
                    f"under 'weight' and 'bias'; give the attribute another name (extra_{name}, say) so that neither "
                    f"is lost"
                )
            skipped.add(name)
    return {key: array for key, array in Module._state_arrays(module).items() if key.partition(".")[0] not in skipped}
