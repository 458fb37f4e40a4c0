"""NumPy-backend modules: a whole batch flows through each layer as one Tensor op."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import Tensor, tensor_ops

from .activations import activate, check_activation
from .arrays import aligned_copy
from .init import Seed, check_flag, check_size, initial_weights, rng_from
from .module import Module, _modules_in, modules_within

DTYPES = ("float32", "float64")
LAYER_ACTIVATIONS: dict[str, type[tensor_ops.ElementwiseUnary] | None] = {
    "linear": None,
    "relu": tensor_ops.ReLU,
    "tanh": tensor_ops.Tanh,
    "sigmoid": tensor_ops.Sigmoid,
}
"""The activations a `Linear` layer applies inside its one op."""


def check_dtype(dtype: Any) -> np.dtype:
    """float32 or float64 as a numpy dtype, None the default float32 (as NumPy's own default, float64, would make
    a layer unlike the others); anything else is a ValueError."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        checked = np.dtype(dtype)
    except TypeError:  # NumPy's "data type 'x' not understood"
        checked = None
    if checked is None or checked.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return checked


def parameter(array: np.ndarray, label: str) -> Tensor:
    """A Tensor that a model learns, its data copied onto a cache line (see `nn.arrays`)."""
    return Tensor(aligned_copy(array), dtype=array.dtype, label=label, is_parameter=True)


class Linear(Module):
    """y = act(x @ weightᵀ + bias) for a batch x of shape (N, nin); weight is (nout, nin) as in PyTorch."""

    _required = ("weight",)

    def __init__(
        self,
        nin: int,
        nout: int,
        bias: bool = True,
        *,
        activation: str = "linear",
        seed: Seed = None,
        dtype: Any = "float32",
    ) -> None:
        nin, nout = check_size("nin", nin), check_size("nout", nout)
        bias = check_flag("bias", bias)  # Linear(2, 3, "relu") would otherwise be a linear layer with a bias
        self.activation = check_activation(activation)
        if activation == "step":
            raise ValueError("activation 'step' has no gradient; the NumPy backend does not offer it")
        dtype = check_dtype(dtype)
        weights = initial_weights(nin, nout, activation, rng_from(seed))
        # Stored column by column (Fortran order), so weightᵀ is an ordinary row-by-row (nin, nout)
        # matrix and x @ weightᵀ is BLAS's plain product, 15-20% faster than with a transposed
        # operand for MNIST's first layer (benchmarks/mnist.py); the gradient is made in the same
        # layout, so the optimizer's updates never mix layouts.
        self.weight = parameter(np.asfortranarray(weights, dtype=dtype), "weight")
        self.bias = parameter(np.zeros(nout, dtype=dtype), "bias") if bias else None

    def forward(self, x: Any) -> Any:
        weight, bias = self.weight, self.bias
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=weight.dtype)
        shape, nin = x.data.shape, weight.data.shape[1]
        if not shape or shape[-1] != nin:
            raise ValueError(f"Linear expected inputs with {nin} features (nin), got shape {shape}")
        # act(x @ weightᵀ + bias) as one op (tensor_ops.Linear): one node per layer, not four
        activation = LAYER_ACTIVATIONS[self.activation]
        fused = tensor_ops.Linear(None if activation is None else activation())
        if bias is None:
            return Tensor.apply(fused, (x, weight), x.data, weight.data)
        return Tensor.apply(fused, (x, weight, bias), x.data, weight.data, bias.data)

    def extra_repr(self) -> str:
        nout, nin = self.weight.shape
        return f"{nin}, {nout}, bias={self.bias is not None}, activation={self.activation!r}, dtype={self.weight.dtype}"


class _Activation(Module):
    name = "linear"

    def forward(self, x: Any) -> Any:
        return activate(Tensor(x) if isinstance(x, np.ndarray) else x, self.name)  # an array: a Tensor of its dtype


class ReLU(_Activation):
    """max(0, x), elementwise."""

    name = "relu"


class Tanh(_Activation):
    """tanh(x), elementwise."""

    name = "tanh"


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)), elementwise."""

    name = "sigmoid"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `axis` (the class axis by default)."""

    def __init__(self, axis: int | tuple[int, ...] = -1) -> None:
        axes = axis if isinstance(axis, tuple) else (axis,)
        if not axes or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axes):
            raise TypeError(f"Softmax axis must be an int (or a tuple of ints), got {type(axis).__name__} {axis!r}")
        self.axis = axis

    def forward(self, x: Any) -> Any:
        if isinstance(x, np.ndarray):
            x = Tensor(x)
        if not isinstance(x, Tensor):
            raise TypeError(
                f"Softmax applies to a Tensor or an array (the NumPy backend), got {type(x).__name__}: for a list of "
                f"Values, use nn.losses.softmax"
            )
        return x.softmax(axis=self.axis)


class Sequential(Module):
    """Modules applied one after another; their state is named by position (``0.weight``)."""

    def __init__(self, *modules: Module) -> None:
        for position, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential takes Modules, got {type(module).__name__} at position {position}")
        self.layers = list(modules)

    def _children(self):
        for i, module in enumerate(self.layers):
            yield str(i), module
        added = [  # a subclass's own modules
            (key, child) for name, value in vars(self).items() if not name.startswith("_") and name != "layers"
            for key, child in _modules_in(name, value)
        ]
        if added:  # a handle on one of the layers, or on a module inside one, is no other module
            within = modules_within(self.layers)
            yield from ((key, child) for key, child in added if id(child) not in within)

    def forward(self, x: Any) -> Any:
        if not isinstance(x, Tensor) and self.layers and not isinstance(self.layers[0], Linear):
            x = _batch(x, self.parameters())  # what a Linear first would do with it, for an activation first
        for module in self.layers:
            x = module(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]


def _batch(x: Any, parameters: list[Any]) -> Any:
    """`x` (an array or nested lists of numbers) as a Tensor of the model's dtype, that of its first Tensor parameter;
    as it is when the model has none (a scalar model's list of Values, say)."""
    dtype = next((p.data.dtype for p in parameters if isinstance(p, Tensor)), None)
    return x if dtype is None else Tensor(x, dtype=dtype)
