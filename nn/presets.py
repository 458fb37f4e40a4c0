"""Networks with weights set by hand, as the course draws them."""

from __future__ import annotations

import numpy as np

from .mlp import MLP


def xor_by_hand(backend: str = "scalar") -> MLP:
    """The course's XOR net: h1 = σ(20x1 + 20x2 − 10) (OR), h2 = σ(−20x1 − 20x2 + 30) (NAND),
    y = σ(20h1 + 20h2 − 30) (AND of the two): rounded, exactly XOR."""
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0, backend=backend, dtype="float64")
    model.load_state_dict(
        {
            "layers.0.weight": np.array([[20.0, 20.0], [-20.0, -20.0]]),
            "layers.0.bias": np.array([-10.0, 30.0]),
            "layers.1.weight": np.array([[20.0, 20.0]]),
            "layers.1.bias": np.array([-30.0]),
        }
    )
    return model
