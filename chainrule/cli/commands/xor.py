"""Train a small MLP on XOR with the scalar engine and print its truth table.

The net is 2-4-1 with tanh hidden units and a sigmoid output, trained on the four
rows of XOR's truth table with binary cross-entropy. With --svg, one input's
forward and backward pass is drawn with every value, gradient and local gradient.
"""

from __future__ import annotations

import argparse

import numpy as np

from chainrule import nn
from chainrule.nn.optim import OPTIMIZERS, make_optimizer

from ..arguments import output_file, positive_float, positive_int

DEFAULTS = {"steps": 300, "optimizer": "adam", "lr": 0.1, "seed": 0, "svg": None}
REPORTS = 6


def defaults(**overrides: object) -> argparse.Namespace:
    """The arguments `chainrule xor` runs with when none are given."""
    return argparse.Namespace(**{**DEFAULTS, **overrides})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=positive_int, default=DEFAULTS["steps"], help="full-batch updates (300)")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=DEFAULTS["optimizer"], help="(adam)")
    parser.add_argument("--lr", type=positive_float, default=DEFAULTS["lr"], help="learning rate (0.1)")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"], help="initial weights (0)")
    parser.add_argument(
        "--svg", metavar="PATH", type=output_file(".svg", ".png"),
        help="draw the gradient graph of input (1, 0) to PATH (.svg or .png)",
    )


def run(args: argparse.Namespace) -> int:
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=args.seed)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr=args.lr)
    print(f"training 2-4-1 on XOR: {args.optimizer}, lr {args.lr}, {args.steps} steps, seed {args.seed}")
    done = 0
    for report in range(1, REPORTS + 1):
        chunk = args.steps * report // REPORTS - done
        if chunk:
            history = nn.fit(
                model, X, y, "binary_cross_entropy", optimizer, epochs=chunk, shuffle=False, progress=False
            )
            done += chunk
            print(f"  step {done:5d}  loss {history.loss[-1]:.4f}")

    outputs = nn.predict(model, X)[:, 0]
    print("\n  x1  x2 | xor | output  rounded")
    for (x1, x2), target, out in zip(X.astype(int), y.astype(int), outputs):
        print(f"  {x1:2d}  {x2:2d} | {target:3d} | {out:.4f}  {round(out):d}")
    learned = bool(np.array_equal(np.round(outputs), y))
    print("learned XOR" if learned else f"did not learn XOR in {args.steps} steps; try more --steps or another --lr")

    if args.svg:
        from chainrule import viz

        sample = model([1.0, 0.0])
        loss = nn.losses.binary_cross_entropy(sample, 1.0)
        loss.backward()
        path = viz.render(loss, args.svg, collapse=None)
        print(f"wrote the gradient graph of input (1, 0) to {path}")
    return 0 if learned else 1
