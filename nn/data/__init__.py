"""Built-in data: the logic gates, two-moons, and MNIST (downloaded, checksummed)."""

from .mnist import load_mnist
from .toy import GATES, logic_gate, moons

__all__ = ["GATES", "load_mnist", "logic_gate", "moons"]
