"""MNIST on chainrule's NumPy backend: every target next to the figure measured in this run.

1. The course's network, 784-100-100-10 ReLU + softmax (cross-entropy on the logits): test
   accuracy after 10 epochs with Adam (lr 1e-3, batch 128), target >= 97.5%, and with SGD
   (lr 0.1, batch 128), target >= 97.0%; one figure per seed, every seed must pass.
2. The default `chainrule mnist` recipe, run as a user runs it (its own process): test accuracy >= 98.3%
   in < 15 s of training (its own clock: the sum of its epoch times).
3. Seconds per epoch of `nn.fit` (SGD lr 0.1, batch 128) against a hand-written NumPy loop of
   the same network: forward, backward and update written out, no autograd, float32, the same
   initial weights and the same batches in the same order, both reporting the epoch's loss and
   accuracy as `nn.fit` does. The two run in rounds of one epoch each, in an order shuffled each
   round; the ratio is the median over the rounds of each round's own ratio (load that comes and
   goes on the machine hits both sides of a round alike), target <= 1.05. Both medians are printed
   too. `nn.fit`'s epoch is its own clock (`History.epoch_seconds`, as its progress bar shows it),
   which leaves out its checks of the data before the first epoch (30-60 ms a call, once a
   training run); the others are timed around their epoch. All compute the loss and its gradient
   as chainrule's fused cross-entropy op does (`softmax_cross_entropy`).
   The hand loop's weights have `nn.fit`'s memory layout and start on 64-byte cache lines, as
   `nn.fit`'s do (`nn.arrays`): it keeps each weight as its (nin, nout) transpose, row by row, the
   same memory as the column-major (nout, nin) weight of `nn.Linear`, so that ``x @ W`` is BLAS's
   plain product (until 2026-11-30 it ran on row-major (nout, nin) copies and gathered with
   ``X[index]``, which made its epoch 1.09x as long, median of 10 alternating rounds, and this
   ratio that much too flattering), and NumPy's own 16-byte alignment would make its update up to
   3x slower at random.
   Two references in the same rounds, not targets: a second copy of the same network trained by
   `nn.fit`, a control (the ratio of two identical runs shows how much of a ratio here is noise),
   and `bare_epoch`, the same training on the least a graph engine can be (a node per op, a
   topological walk, a vjp per op, no module, check or error handling): its ratio to the hand loop
   is what any engine written in Python adds, before anything `nn.fit` does for its users. With
   threadpoolctl installed (`make bench` installs it), `nn.fit` and the hand loop also run in the same
   rounds with NumPy's BLAS limited to one thread, a third reference (see `one_blas_thread`).
4. When PyTorch is importable (it is not a dependency), the same network and loop in PyTorch on
   the CPU with as many threads as NumPy's BLAS, one more trainer in the same rounds: chainrule's
   epoch <= 0.7x PyTorch's.
5. Peak resident memory (ru_maxrss) of a 10-epoch `nn.fit` run in a fresh subprocess, data
   loading included: <= 400 MB. It runs first, while this process is still small: Linux carries
   the parent's peak at fork into the child's ru_maxrss.

    python benchmarks/mnist.py            # about a minute and a half on two quiet cores
    python benchmarks/mnist.py --quick    # about 30 s: one seed, fewer epochs; accuracies are not judged

The data comes from `nn.data.load_mnist()` (``$CHAINRULE_DATA/mnist``, as `make bench` sets it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule import nn
from chainrule.nn.arrays import aligned_copy

BATCH = 128
PAUSE = 0.3  # seconds between timed epochs: OpenBLAS and OpenMP worker threads spin a while after a call
SIZES = [784, 100, 100, 10]
RSS_SCRIPT = """
import resource, sys
from chainrule import nn
X, y, X_test, y_test = nn.data.load_mnist()
model = nn.MLP(784, [100, 100, 10], seed=0, backend="numpy")
nn.fit(model, X, y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=int(sys.argv[1]), batch_size=128,
       seed=0, validation_data=(X_test, y_test), progress=False)
with open("/proc/self/status") as status:  # VmHWM: this process's own peak, as a cross-check
    hwm = [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, *hwm)
"""


@dataclass
class Row:
    target: str
    measured: str
    verdict: str  # "pass", "FAIL", or a note such as "skipped"


def course_model(seed: int) -> nn.MLP:
    return nn.MLP(784, SIZES[1:], seed=seed, backend="numpy")


def accuracy_on(model: nn.MLP, X_test: np.ndarray, y_test: np.ndarray) -> float:
    return float(np.mean(nn.predict(model, X_test).argmax(axis=1) == y_test))


def verdict(ok: bool, judged: bool = True) -> str:
    return ("pass" if ok else "FAIL") if judged else "not judged (--quick)"


# --- 1. accuracy after 10 epochs ---


def accuracy_rows(data, seeds: list[int], epochs: int, judged: bool) -> list[Row]:
    X, y, X_test, y_test = data
    rows = []
    for name, make, target in (
        ("Adam lr 1e-3", lambda params: nn.Adam(params, lr=1e-3), 0.975),
        ("SGD lr 0.1", lambda params: nn.SGD(params, lr=0.1), 0.970),
    ):
        figures = []
        for seed in seeds:
            model = course_model(seed)
            nn.fit(
                model,
                X,
                y,
                "cross_entropy",
                make(model.parameters()),
                epochs=epochs,
                batch_size=BATCH,
                seed=seed,
                progress=False,
            )
            figures.append(accuracy_on(model, X_test, y_test))
            print(f"  {name}, seed {seed}: test accuracy {figures[-1]:.4f} after {epochs} epochs", flush=True)
        measured = ", ".join(f"seed {s}: {100 * a:.2f}%" for s, a in zip(seeds, figures))
        rows.append(
            Row(
                f"784-100-100-10, {name}, batch {BATCH}, {epochs} epochs: test acc >= {100 * target:.1f}%",
                measured,
                verdict(min(figures) >= target, judged),
            )
        )
    return rows


# --- 2. the default recipe of `chainrule mnist` ---


def recipe_row(limit: int | None, judged: bool) -> Row:
    """`chainrule mnist --json` in a process of its own, exactly as a user runs it."""
    from chainrule.cli.commands import mnist as command

    argv = [sys.executable, "-m", "chainrule", "mnist", "--json"] + ([] if limit is None else ["--limit", str(limit)])
    completed = subprocess.run(argv, capture_output=True, text=True, check=True, env=os.environ)
    result = json.loads(completed.stdout)
    accuracy = result["test_accuracy"]
    seconds = sum(epoch["epoch_seconds"] for epoch in result["epochs"])
    recipe = command.RECIPE
    print(f"  recipe {recipe}: test accuracy {accuracy:.4f}, {seconds:.1f} s of training", flush=True)
    return Row(
        f"`chainrule mnist` defaults ({recipe['epochs']} epochs): test acc >= 98.3% in < 15 s",
        f"{100 * accuracy:.2f}% in {seconds:.1f} s",
        verdict(accuracy >= 0.983 and seconds < 15, judged),
    )


# --- 3. and 4. epoch time against a hand-written loop and PyTorch ---


def hand_epoch(params: list[np.ndarray], X: np.ndarray, y: np.ndarray, order: np.ndarray, lr: float) -> tuple:
    """One epoch of SGD on 784-100-100-10 written out by hand: returns (mean loss, accuracy).

    Each weight is held as its (nin, nout) transpose, so a layer is ``x @ W + b`` (see `hand_weights`)."""
    W0, b0, W1, b1, W2, b2 = params
    lr = np.float32(lr)
    total_loss = 0.0
    correct = 0
    for start in range(0, len(order), BATCH):
        index = order[start : start + BATCH]
        xb, yb = X.take(index, axis=0), y.take(index, axis=0)  # as nn.fit gathers a batch, 15% faster than X[index]
        # forward
        h1 = xb @ W0
        h1 += b0
        a1 = np.maximum(h1, np.float32(0))
        h2 = a1 @ W1
        h2 += b1
        a2 = np.maximum(h2, np.float32(0))
        z = a2 @ W2
        z += b2
        # softmax cross-entropy, its value and the accuracy
        correct += int(np.count_nonzero(z.argmax(axis=1) == yb))
        loss, g = softmax_cross_entropy(z, yb)
        total_loss += loss
        # backward: (softmax - onehot) / n, then each layer
        gW2, gb2 = a2.T @ g, g.sum(axis=0)
        g = g @ W2.T
        g *= h2 > 0
        gW1, gb1 = a1.T @ g, g.sum(axis=0)
        g = g @ W1.T
        g *= h1 > 0
        gW0, gb0 = xb.T @ g, g.sum(axis=0)
        # update
        for w, grad in zip(params, (gW0, gb0, gW1, gb1, gW2, gb2)):
            w -= lr * grad
    return total_loss / len(order), correct / len(order)


def softmax_cross_entropy(z: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The summed cross-entropy of a batch of logits z (n, classes) against integer labels, and its gradient
    for the mean, (softmax - onehot) / n, worked out as chainrule's CrossEntropy op does: on zᵀ, so that each
    reduction runs along n contiguous numbers, with the labels' entries picked by one flat index."""
    n = len(labels)
    shifted = np.array(z.T, order="C")
    shifted -= np.maximum.reduce(shifted, axis=0)
    probs = np.exp(shifted)
    totals = np.add.reduce(probs, axis=0)
    picked = np.asarray(labels, dtype=np.intp) * n + np.arange(n)
    loss = float(np.add.reduce(np.log(totals)) - np.add.reduce(shifted.take(picked)))
    probs /= totals
    probs.reshape(-1)[picked] -= 1
    probs /= n
    return loss, probs.T


def hand_weights(initial: list[np.ndarray]) -> list[np.ndarray]:
    """The hand loop's copies of `nn.fit`'s initial parameters: each (nout, nin) weight, column-major in
    `nn.Linear`, as its row-major (nin, nout) transpose (the same numbers in the same memory order), and
    everything on a cache line, as `nn.fit`'s parameters are."""
    for array in initial:
        if array.ndim == 2 and not array.flags.f_contiguous:
            raise ValueError(f"hand_weights: a weight of shape {array.shape} is not column-major as nn.Linear's are")
    return [aligned_copy(array.T if array.ndim == 2 else array) for array in initial]


class _BareNode:
    """The least a node of a tensor graph can be: its array, its gradient, its parents and the op that made it."""

    __slots__ = ("data", "grad", "parents", "op")

    def __init__(self, data: np.ndarray, parents: tuple = (), op: Any = None) -> None:
        self.data, self.grad, self.parents, self.op = data, None, parents, op


class _BareLayer:
    """act(x @ wᵀ + b) and its vector-Jacobian product, as chainrule's fused Linear op computes them, unchecked."""

    __slots__ = ("relu", "x", "w", "h")

    def __init__(self, relu: bool) -> None:
        self.relu = relu

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.x, self.w = x, w
        h = x @ w.T
        h += b
        if not self.relu:
            return h
        self.h = h
        return np.maximum(h, np.float32(0))

    def vjp(self, g: np.ndarray, need_x: bool) -> tuple:
        if self.relu:
            g = g * (self.h > 0)
        return (g @ self.w if need_x else None), (self.x.T @ g).T, g.sum(axis=0)


class _BareCrossEntropy:
    """Mean softmax cross-entropy of logits against integer labels, and its gradient (softmax - onehot) / n."""

    __slots__ = ("grad",)

    def forward(self, z: np.ndarray, labels: np.ndarray) -> float:
        loss, self.grad = softmax_cross_entropy(z, labels)
        return loss / len(labels)

    def vjp(self, g: np.ndarray, need_x: bool) -> tuple:
        return (self.grad * g,)


def _bare_backward(root: _BareNode) -> None:
    """The chain rule from `root` along an iterative depth-first topological order, gradients into the leaves."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents if parent not in seen)
    grads = {root: np.float32(1)}
    for node in reversed(order):
        grad = grads.get(node)
        if node.op is None or grad is None:
            continue
        for parent, parent_grad in zip(node.parents, node.op.vjp(grad, bool(node.parents[0].parents))):
            if parent_grad is None:
                continue
            if parent.op is None:
                parent.grad = parent_grad if parent.grad is None else parent.grad + parent_grad
            else:
                grads[parent] = parent_grad if parent not in grads else grads[parent] + parent_grad


def bare_epoch(params: list[_BareNode], X: np.ndarray, y: np.ndarray, order: np.ndarray, lr: float) -> tuple:
    """One epoch of the same SGD on the least a graph engine can be: a node per layer and one for the loss,
    a topological walk, a vjp per op and an update loop, with no module, check or error handling. Not a
    target: a reference for how much of `nn.fit`'s time over the hand loop any graph engine written in
    Python pays (the chain benchmark's bare chain is its scalar twin)."""
    total_loss = 0.0
    correct = 0
    for start in range(0, len(order), BATCH):
        index = order[start : start + BATCH]
        xb, yb = X.take(index, axis=0), y.take(index, axis=0)
        node = _BareNode(xb)
        for layer in range(3):
            w, b = params[2 * layer], params[2 * layer + 1]
            op = _BareLayer(relu=layer < 2)
            node = _BareNode(op.forward(node.data, w.data, b.data), (node, w, b), op)
        loss_op = _BareCrossEntropy()
        loss = _BareNode(loss_op.forward(node.data, yb), (node,), loss_op)
        for param in params:
            param.grad = None
        _bare_backward(loss)
        for param in params:
            param.data -= lr * param.grad
        total_loss += float(loss.data) * len(index)
        correct += int(np.count_nonzero(node.data.argmax(axis=1) == yb))
    return total_loss / len(order), correct / len(order)


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses: threadpoolctl when installed, else the environment, else the cores."""
    try:
        from threadpoolctl import threadpool_info

        counts = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
        if counts:
            return max(counts)
    except ImportError:
        pass
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def one_blas_thread() -> Callable[[Callable[[], tuple]], tuple] | None:
    """A runner that calls a trainer with NumPy's BLAS limited to one thread, or None without threadpoolctl.

    On a machine with few cores, BLAS's idle worker threads spin for a while after each product and
    can slow the Python thread's own work between products (on this project's 2-core machines, an
    epoch of the hand loop took either about 0.23 s or about 0.41 s on 2 threads, switching from
    minute to minute, and 0.32 s on 1 thread every time): the same rounds on one thread show what
    the engine adds without that."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None

    def run(trainer: Callable[[], tuple]) -> tuple:
        with threadpool_limits(limits=1, user_api="blas"):
            return trainer()

    return run


def torch_trainer(initial: list[np.ndarray], X: np.ndarray, y: np.ndarray, threads: int):
    """An epoch function for the same network in PyTorch, or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_num_threads(threads)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
    )
    with torch.no_grad():
        for param, array in zip(model.parameters(), initial):
            param.copy_(torch.from_numpy(array))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def epoch(order: np.ndarray) -> tuple:
        order_t = torch.from_numpy(order)
        total_loss = 0.0
        correct = 0
        for start in range(0, len(order), BATCH):
            index = order_t[start : start + BATCH]
            xb, yb = X_t.index_select(0, index), y_t.index_select(0, index)  # PyTorch's faster gather of rows
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(index)
            correct += int((out.argmax(dim=1) == yb).sum())
        return total_loss / len(order), correct / len(order)

    return epoch, torch.__version__


def timing_rows(data, epochs: int) -> list[Row]:
    X, y = data[0], data[1]
    seed = 0
    # The same network twice in nn.fit: the second copy is a control, how far two identical runs
    # drift apart in these rounds (where each one's arrays landed in memory, the machine's noise).
    limit_blas = one_blas_thread()
    single = ("chainrule (1 BLAS thread)",) if limit_blas else ()
    models = {name: course_model(seed) for name in ("chainrule", "chainrule again", *single)}
    optimizers = {name: nn.SGD(model.parameters(), lr=0.1) for name, model in models.items()}
    initial = [p.data.copy(order="K") for p in models["chainrule"].parameters()]  # in their own memory order
    hand_params = hand_weights(initial)  # nn.fit's layout, on cache lines as nn.fit's are: the hand loop at its best
    bare_params = [_BareNode(aligned_copy(a)) for a in initial]
    threads = blas_threads()
    torch_epoch, torch_version = torch_trainer(initial, X, y, threads)
    # One generator per trainer, all from one seed: each gets the batches nn.fit(seed=0) draws.
    rngs = {
        name: np.random.default_rng(seed)
        for name in (*models, "hand", "hand (1 BLAS thread)", "bare engine", "PyTorch")
    }

    def run_chainrule(name: str) -> tuple:
        history = nn.fit(
            models[name], X, y, "cross_entropy", optimizers[name], epochs=1, batch_size=BATCH, seed=rngs[name],
            progress=False
        )
        return history.epoch_seconds[0], history.loss[0], history.accuracy[0]  # the epoch as nn.fit clocks it

    def timed(epoch_fn, name: str) -> tuple:
        started = time.perf_counter()
        loss, acc = epoch_fn(rngs[name].permutation(len(X)))
        return time.perf_counter() - started, loss, acc

    trainers = {
        "chainrule": lambda: run_chainrule("chainrule"),
        "hand": lambda: timed(lambda order: hand_epoch(hand_params, X, y, order, 0.1), "hand"),
        "chainrule again": lambda: run_chainrule("chainrule again"),
        "bare engine": lambda: timed(lambda order: bare_epoch(bare_params, X, y, order, 0.1), "bare engine"),
    }
    if limit_blas:
        hand_single = hand_weights(initial)
        trainers["chainrule (1 BLAS thread)"] = lambda: limit_blas(lambda: run_chainrule("chainrule (1 BLAS thread)"))
        trainers["hand (1 BLAS thread)"] = lambda: limit_blas(
            lambda: timed(lambda order: hand_epoch(hand_single, X, y, order, 0.1), "hand (1 BLAS thread)")
        )
    if torch_epoch:
        trainers["PyTorch"] = lambda: timed(torch_epoch, "PyTorch")
    times: dict[str, list[float]] = {name: [] for name in trainers}
    print(
        f"  BLAS threads: {threads}; each round runs one epoch of: {', '.join(trainers)} (order shuffled)", flush=True
    )
    names = list(trainers)
    shuffler = np.random.default_rng(2026)  # who goes first, and who follows whom, changes from round to round
    for epoch in range(1, epochs + 1):
        figures = {}
        for name in [names[i] for i in shuffler.permutation(len(names))]:
            time.sleep(PAUSE)  # lets the previous library's idle threads stop spinning on the cores
            figures[name] = trainers[name]()
            times[name].append(figures[name][0])
        print(
            f"  round {epoch}: "
            + "  ".join(
                f"{name} {t:.3f} s (loss {loss:.4f}, acc {acc:.4f})" for name, (t, loss, acc) in figures.items()
            ),
            flush=True,
        )
    # Round 1 warms caches and BLAS threads up: it is left out when there are others. The ratio is the
    # median of each round's own ratio, so load that comes and goes on the machine cancels out.
    first = 1 if epochs > 2 else 0
    medians = {name: statistics.median(series[first:]) for name, series in times.items()}

    def paired(other: str, one: str = "chainrule") -> float:
        return statistics.median(c / o for c, o in zip(times[one][first:], times[other][first:]))

    rounds = epochs - first
    ratio = paired("hand")
    rows = [
        Row(
            f"epoch time nn.fit / hand-written NumPy (SGD, batch {BATCH}, median of {rounds} rounds) <= 1.05",
            f"{medians['chainrule']:.3f} s / {medians['hand']:.3f} s, ratio {ratio:.3f}",
            verdict(ratio <= 1.05),
        ),
        Row(
            "epoch time nn.fit / nn.fit on the same network again (how far two identical runs differ here)",
            f"{medians['chainrule']:.3f} s / {medians['chainrule again']:.3f} s, ratio {paired('chainrule again'):.3f}",
            "control, not a target",
        ),
        Row(
            "epoch time of the least a graph engine can be / hand-written NumPy (what any Python engine adds)",
            f"{medians['bare engine']:.3f} s / {medians['hand']:.3f} s, ratio {paired('hand', one='bare engine'):.3f}; "
            f"nn.fit / it {paired('bare engine'):.3f}",
            "reference, not a target",
        ),
    ]
    if limit_blas:
        one, hand_one = "chainrule (1 BLAS thread)", "hand (1 BLAS thread)"
        rows.append(
            Row(
                "epoch time nn.fit / hand-written NumPy, both with BLAS limited to 1 thread (threadpoolctl)",
                f"{medians[one]:.3f} s / {medians[hand_one]:.3f} s, ratio {paired(hand_one, one=one):.3f}; "
                f"the hand loop on 1 thread / on {threads}: {paired('hand', one=hand_one):.3f}",
                "reference, not a target",
            )
        )
    else:
        print("  threadpoolctl not installed: no rounds with BLAS on 1 thread (optional)", flush=True)
    if torch_epoch:
        ratio = paired("PyTorch")
        rows.append(
            Row(
                f"epoch time nn.fit / PyTorch {torch_version} CPU, {threads} threads <= 0.7",
                f"{medians['chainrule']:.3f} s / {medians['PyTorch']:.3f} s, ratio {ratio:.3f}",
                verdict(ratio <= 0.7),
            )
        )
    else:
        print("  PyTorch not installed: skipped (optional)", flush=True)
        rows.append(Row("epoch time nn.fit / PyTorch CPU <= 0.7", "PyTorch not installed", "skipped (optional)"))
    return rows


# --- 5. peak memory ---


def memory_row(epochs: int) -> Row:
    completed = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(epochs)], capture_output=True, text=True, check=True, env=os.environ
    )
    figures = [int(word) / 1024 for word in completed.stdout.split()]  # KiB on Linux
    peak_mb = figures[0]
    own = f" (VmHWM {figures[1]:.0f} MB)" if len(figures) > 1 else ""
    print(f"  peak RSS of a {epochs}-epoch run: {peak_mb:.0f} MB{own}", flush=True)
    return Row(
        f"peak RSS (ru_maxrss), {epochs}-epoch nn.fit run in a subprocess <= 400 MB",
        f"{peak_mb:.0f} MB",
        verdict(peak_mb <= 400),
    )


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def print_table(rows: list[Row]) -> None:
    widths = [
        max(len(getattr(r, f)) for r in rows + [Row("target", "measured", "result")])
        for f in ("target", "measured", "verdict")
    ]
    header = Row("target", "measured", "result")
    for row in [header, None, *rows]:
        if row is None:
            print("  ".join("-" * w for w in widths))
            continue
        print("  ".join(text.ljust(w) for text, w in zip((row.target, row.measured, row.verdict), widths)).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, fewer epochs: about 30 s")
    quick = parser.parse_args(argv).quick
    started = time.perf_counter()
    load_before = load_average()  # other work on the machine slows every figure here; this says how much there was
    print(f"load average (1 min): {load_before}", flush=True)
    print("5. peak memory (first, from a small parent process)", flush=True)
    memory = memory_row(epochs=2 if quick else 10)
    data = nn.data.load_mnist()
    print(f"MNIST: {len(data[0])} training and {len(data[2])} test images; numpy {np.__version__}", flush=True)
    rows: list[Row] = []
    print("1. accuracy of the course's network", flush=True)
    rows += accuracy_rows(data, seeds=[0] if quick else [0, 1], epochs=2 if quick else 10, judged=not quick)
    print("2. the default `chainrule mnist` recipe", flush=True)
    rows.append(recipe_row(limit=10_000 if quick else None, judged=not quick))
    print("3./4. epoch time", flush=True)
    rows += timing_rows(data, epochs=4 if quick else 11)
    rows.append(memory)
    print()
    print_table(rows)
    print(f"\n{time.perf_counter() - started:.0f} s in all; load average {load_before} before, {load_average()} after")
    return 1 if any(row.verdict == "FAIL" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
