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


@pytest.fixture
def write_protect(monkeypatch):
    """A function making a file one this process may not write, as for a user other than root (the tests may run
    as root, whom a file's mode does not stop): os.access says no, and opening it to write raises PermissionError."""
    opened = os.open

    def protect(path: Path) -> None:
        def guarded(file, flags, *args, **kwargs):
            if Path(file) == path and flags & (os.O_WRONLY | os.O_RDWR):
                raise PermissionError(13, "Permission denied", str(file))
            return opened(file, flags, *args, **kwargs)

        monkeypatch.setattr(os, "access", lambda file, mode, **kwargs: Path(file) != path)
        monkeypatch.setattr(os, "open", guarded)

    return protect
