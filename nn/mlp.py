"""`MLP`: the same multi-layer perceptron on the scalar engine or the NumPy backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .activations import check_activation
from .init import Seed, check_size, rng_from
from .layers import Layer, Sample
from .module import BACKENDS, Module
from .tensor_layers import Linear, check_dtype


class MLP(Module):
    """Fully connected layers ``nin -> nouts[0] -> ... -> nouts[-1]``.

    ``MLP(2, [16, 16, 1])`` has ReLU hidden layers and a linear output, as in
    micrograd. On the scalar backend `model(x)` takes one sample (a list of
    numbers or Values) and returns a Value, or a list when there are several
    outputs; on the NumPy backend it takes a batch (N, nin) and returns a Tensor
    (N, nout). ``dtype`` is float32 (the default) or float64 on the NumPy backend; the
    scalar backend computes in Python floats, so it takes only None or float64. Both
    backends name their state ``layers.<i>.weight`` (nout, nin) and ``layers.<i>.bias``,
    and the same seed gives the same initial weights.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: Seed = None,
        *,
        backend: str = "scalar",
        dtype: Any = None,
    ) -> None:
        nin = check_size("nin", nin)
        if not isinstance(nouts, (list, tuple)):
            raise TypeError(f"nouts must be a non-empty list of layer sizes, got {type(nouts).__name__} {nouts!r}")
        if not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [nin] + [check_size("layer size", n) for n in nouts]
        check_activation(activation)
        check_activation(output_activation)
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        if backend == "scalar" and dtype is not None and check_dtype(dtype) != np.float64:
            raise ValueError(
                f"dtype={dtype!r} is for backend='numpy': the scalar backend computes in Python floats (float64)"
            )
        rng = rng_from(seed)
        activations = [activation] * (len(nouts) - 1) + [output_activation]
        if backend == "scalar":
            self.layers = [Layer(a, b, act, seed=rng) for a, b, act in zip(sizes, sizes[1:], activations)]
        else:
            dtype = check_dtype(dtype)
            self.layers = [
                Linear(a, b, activation=act, seed=rng, dtype=dtype)
                for a, b, act in zip(sizes, sizes[1:], activations)
            ]

    @property
    def nin(self) -> int | None:
        """How many numbers one sample has, as the first layer now takes them; None when that layer is a module
        of your own, which does not say (so `fit` leaves the check of X's width to it)."""
        return self.sizes[0] if self.layers else None

    @property
    def sizes(self) -> list[int | None]:
        """Layer widths, inputs first: ``[nin, *nouts]``, read from the layers as they are now (a layer replaced
        after the MLP was made counts); None for a width no Layer or Linear on either side of it tells."""
        widths = [_widths(layer) for layer in self.layers]
        if not widths:
            return []
        sizes: list[int | None] = [widths[0][0] if widths[0] else None]
        for this, after in zip(widths, [*widths[1:], None]):
            sizes.append(this[1] if this else after[0] if after else None)
        return sizes

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        if type(x) is Sample and len(x) == 1:
            return x[0]
        return x

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, backend={self.backend!r}"


def _widths(layer: Any) -> tuple[int, int] | None:
    """(inputs, outputs) of a Layer or a Linear as it is now, None for another module."""
    if isinstance(layer, Layer) and layer.neurons:
        return len(layer.neurons[0].w), len(layer.neurons)
    if isinstance(layer, Linear) and layer.weight.data.ndim == 2:
        return layer.weight.data.shape[1], layer.weight.data.shape[0]
    return None
