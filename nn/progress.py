"""Progress bars for long work (`fit`'s epochs and batches, MNIST's downloads): tqdm, with no thread left behind."""

from __future__ import annotations

import sys

from tqdm import tqdm


class ProgressBar(tqdm):
    """tqdm without its monitor thread.

    tqdm starts that thread for every bar, hidden ones included, and leaves it running after the
    last bar closes, so ``fit(progress=False)`` or a download would leave a thread behind in the
    caller's process (where, say, a later fork warns on Python 3.12+). The monitor's one job is to
    redraw a bar left waiting 10 s for a large batch of updates (tqdm's ``miniters``); the bars
    here are updated often enough to do without it.
    """

    monitor_interval = 0


def tqdm_disable(wanted: bool) -> bool | None:
    """tqdm's ``disable`` for a bar: hidden when not `wanted`; else shown in a terminal or a Jupyter kernel,
    whose output area redraws a bar as a terminal does though it is not one (tqdm alone hides it there),
    and hidden when the output goes to a file or a pipe, or nowhere."""
    if not wanted or sys.stderr is None:  # None: a closed stderr (``2>&-``), where a bar has nowhere to go
        return True
    return False if type(sys.stderr).__module__.startswith("ipykernel") else None
