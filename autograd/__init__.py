"""chainrule's autograd: a scalar engine (`Value`) and a NumPy one (`Tensor`) on one graph protocol."""

from .functional import grad, gradcheck, sum  # noqa: A004 - autograd.sum is the n-ary sum node
from .graph import backpropagate, detect_anomaly, no_grad, scope, topological_order, zero_grad
from .scalar_ops import Op
from .tensor import Tensor
from .value import Constant, Parameter, Value

__all__ = [
    "Constant",
    "Op",
    "Parameter",
    "Tensor",
    "Value",
    "backpropagate",
    "detect_anomaly",
    "grad",
    "gradcheck",
    "no_grad",
    "scope",
    "sum",
    "topological_order",
    "zero_grad",
]
