"""Activation functions by name, for a node of either backend."""

from __future__ import annotations

from typing import Any

ACTIVATIONS = ("relu", "tanh", "sigmoid", "step", "linear")


def check_activation(name: str) -> str:
    """`name` if it is a known activation, else ValueError listing the known ones (TypeError for no str)."""
    if not isinstance(name, str):
        raise TypeError(
            f"an activation is named by a str, one of {', '.join(ACTIVATIONS)}; got {type(name).__name__} {name!r}"
        )
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return name


def activate(node: Any, name: str) -> Any:
    """Apply the named activation to a Value, to each of a list of Values (a scalar layer's outputs), or to a
    Tensor ("linear" leaves it as it is)."""
    if name == "linear":
        return node
    if isinstance(node, (list, tuple)):
        return [activate(item, name) for item in node]
    method = getattr(node, name, None)
    if method is None:
        kind = type(node).__name__
        raise TypeError(f"activation {name!r} applies to a Value, a list of Values or a Tensor, got {kind}")
    return method()
