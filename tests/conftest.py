"""Session-wide test defaults and fixtures."""

import os
from pathlib import Path

import pytest

# Shared datasets live beside the project, in ../shared/data; `make test` exports the same path.
_SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
os.environ.setdefault("CHAINRULE_DATA", str(_SHARED_DATA))


@pytest.fixture(scope="session")
def mnist():
    """The four MNIST arrays (X_train, y_train, X_test, y_test), loaded once for the whole session.

    Fails under CI=true when the shared copy is missing, and skips on a developer's machine without it.
    """
    from chainrule.nn.data import load_mnist

    try:
        return load_mnist(download=False)
    except FileNotFoundError as error:
        if os.environ.get("CI"):
            pytest.fail(f"MNIST is missing in CI: {error}")
        pytest.skip(f"MNIST is not in $CHAINRULE_DATA/mnist on this machine: {error}")
