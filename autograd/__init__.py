"""chainrule's autograd: a scalar engine (`Value`) and a NumPy one (`Tensor`) on one graph protocol.

`autograd.sum` (one n-ary sum node) is reachable by name but left out of ``__all__``, so that
``from chainrule.autograd import *`` never replaces Python's own `sum`.
"""

from .functional import grad, gradcheck
from .functional import sum as sum  # noqa: A004 - the n-ary sum node, re-exported by name only
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
    "topological_order",
    "zero_grad",
]
