"""Session-wide test defaults."""

import os
from pathlib import Path

# Shared datasets live beside the project, in ../shared/data; `make test` exports the same path.
_SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
os.environ.setdefault("CHAINRULE_DATA", str(_SHARED_DATA))
