"""Small data sets made on the spot: logic-gate truth tables and two interleaving half-moons."""

from __future__ import annotations

import math
import numbers
import reprlib

import numpy as np

from ..init import rng_from

_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)

GATES: dict[str, tuple[int, int, int, int]] = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
    "xnor": (1, 0, 0, 1),
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input gate: X of shape (4, 2) and y of shape (4,), both float64."""
    if not isinstance(name, str):
        raise TypeError(f"logic_gate() takes a gate's name (a str), got {type(name).__name__} {name!r}; one of "
                        f"{', '.join(GATES)}")
    key = name.lower()
    if key not in GATES:
        raise ValueError(f"unknown logic gate {name!r}; expected one of {', '.join(GATES)}")
    return _INPUTS.copy(), np.array(GATES[key], dtype=np.float64)


_LARGEST_NOISE = 1e300
"""The largest noise `moons` takes: the normal draws it is scaled by reach about ±6, and the points stay finite."""


def moons(
    n: int = 100, noise: float = 0.1, seed: int | np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half-circles (scikit-learn's make_moons): X of shape (n, 2), labels y in {0, 1}.

    ``n // 2`` points lie on the upper moon (label 0) and the rest on the lower one, returned in a
    random order (from `seed`), as scikit-learn's ``shuffle=True`` does.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        raise TypeError(f"moons() needs n to be an int (how many points), got {type(n).__name__} {n!r}")
    if n < 2:
        raise ValueError(f"moons() needs n >= 2 points, got {n!r}")
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real):
        raise TypeError(f"moons() needs noise to be a number, got {noise!r}")
    if not 0 <= noise < math.inf:
        raise ValueError(f"moons() needs a finite noise >= 0, got {noise!r}")
    if noise > _LARGEST_NOISE:  # a float's normal draws of a larger scale overflow (an int beyond floats too)
        raise ValueError(f"moons() needs a noise of at most {_LARGEST_NOISE:g}, got {reprlib.repr(noise)}")
    rng = rng_from(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    upper = np.linspace(0, np.pi, n_upper)
    lower = np.linspace(0, np.pi, n_lower)
    X = np.concatenate(
        [
            np.stack([np.cos(upper), np.sin(upper)], axis=1),
            np.stack([1 - np.cos(lower), 0.5 - np.sin(lower)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_upper), np.ones(n_lower)])
    if noise:
        X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n)
    return X[order], y[order]
