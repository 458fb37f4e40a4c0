"""chainrule: backpropagation you can see.

    from chainrule import Value, Tensor, nn, viz

The engine is `chainrule.autograd` (the scalar `Value` and the NumPy `Tensor`), the
network layer `chainrule.nn` and the drawings `chainrule.viz`; the command line is
`chainrule.cli`. The everyday names below are loaded on first use, so that
``import chainrule.autograd`` does not also load the network layer or Graphviz.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_here = os.path.dirname(os.path.abspath(__file__))
_top = os.path.dirname(_here)
if not os.path.isdir(os.path.join(_here, "autograd")) and os.path.isfile(os.path.join(_top, "pyproject.toml")):
    # A source checkout found first on sys.path (Python started at the repository's top, as `python -m pytest`
    # is): autograd/, nn/ and viz/ stand beside this folder until an install maps them into it (pyproject's
    # package-dir). Looking there too makes chainrule.nn the checkout's own, whether or how it is installed.
    __path__.append(_top)
del _here, _top

__all__ = [
    "Constant",
    "Parameter",
    "Tensor",
    "Value",
    "__version__",
    "autograd",
    "detect_anomaly",
    "grad",
    "gradcheck",
    "nn",
    "no_grad",
    "viz",
]

_SUBPACKAGES = ("autograd", "nn", "viz")

if TYPE_CHECKING:
    from . import autograd, nn, viz
    from .autograd import Constant, Parameter, Tensor, Value, detect_anomaly, grad, gradcheck, no_grad


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    if name in __all__:
        return getattr(importlib.import_module(".autograd", __name__), name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
