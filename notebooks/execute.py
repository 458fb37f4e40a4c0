"""Re-execute the teaching notebooks in place, so the committed copies carry the outputs of a full run.

    .venv/bin/python notebooks/execute.py                 # every notebook (make notebooks)
    .venv/bin/python notebooks/execute.py 02 04           # the ones whose names start so

Each runs top to bottom in a fresh kernel whose working directory is a temporary folder, so
whatever a notebook writes to disk never lands in the repository. MNIST is read from
``$CHAINRULE_DATA/mnist``, by default the project's shared data beside the checkout.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parent
SHARED_DATA = FOLDER.parent.parent / "shared" / "data"


def execute(path: Path) -> float:
    """Run `path` and write it back with its outputs; returns the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        resources = {"metadata": {"path": workdir}}
        client = NotebookClient(
            notebook, timeout=1800, kernel_name="python3", resources=resources, record_timing=False
        )  # no timing metadata, so a re-run changes only the cells whose outputs changed
        client.execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def main(prefixes: list[str]) -> int:
    os.environ.setdefault("CHAINRULE_DATA", str(SHARED_DATA))
    paths = sorted(p for p in FOLDER.glob("*.ipynb") if not prefixes or p.name.startswith(tuple(prefixes)))
    if not paths:
        print(f"execute.py: no notebook starts with {' or '.join(prefixes)}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"{path.name}: {execute(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
