"""micrograd's demo: a 2-16-16-1 ReLU network separates two moons, on the scalar engine.

100 two-moons points (noise 0.1) with labels -1 and +1, the max-margin (hinge) loss plus
1e-4 times the sum of squared weights (L2), and 100 steps of full-batch gradient descent
with the learning rate falling from 1.0 as 1 - 0.9 k/100, as in micrograd's demo notebook.
--film writes the training as an HTML page that plays it back; --svg draws one sample's
gradient graph after training, one box per neuron.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

import numpy as np

from chainrule import nn

from ..arguments import HTML_SUFFIXES, non_negative_int, output_file
from .gate import write_film, write_gradient_graph

SAMPLES = 100
NOISE = 0.1
SIZES = [16, 16, 1]
STEPS = 100
ALPHA = 1e-4
REPORT_EVERY = 10


def learning_rate(k: int) -> float:
    """micrograd's schedule: 1.0 at step 0, falling by 0.009 a step."""
    return 1.0 - 0.9 * k / STEPS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=non_negative_int, default=0, help="the data and the initial weights (0)")
    parser.add_argument("--film", metavar="PATH", type=output_file(*HTML_SUFFIXES),
                        help="write the training as an HTML page that plays it back")
    parser.add_argument("--svg", metavar="PATH", type=output_file(".svg", ".png"),
                        help="draw sample 0's gradient graph after training to PATH (.svg or .png)")


def run(args: argparse.Namespace) -> int:
    X, labels = nn.data.moons(SAMPLES, noise=NOISE, seed=args.seed)
    y = labels * 2 - 1
    model = nn.MLP(2, SIZES, seed=args.seed)
    parameters = model.parameters()
    optimizer = nn.SGD(parameters, lr=learning_rate(0))

    def penalty() -> Any:
        return ALPHA * nn.losses.l2(parameters)

    print(f"training micrograd's 2-16-16-1 ReLU net on {SAMPLES} moons: hinge loss + {ALPHA:g}·L2, "
          f"{STEPS} steps of SGD with lr = 1 - 0.9·k/{STEPS}, seed {args.seed}")
    recorder = None
    if args.film:
        settings = {"samples": SAMPLES, "noise": NOISE, "alpha": ALPHA, "steps": STEPS, "lr": "1 - 0.9 k/100"}
        recorder = nn.Recorder(model, X, y, "hinge", penalty=penalty, seed=args.seed,
                               title="micrograd's moons: a 2-16-16-1 network learns to separate two moons",
                               hyperparameters={**settings, "command": f"chainrule moons --seed {args.seed} "
                                                                      f"--film {shlex.quote(args.film.name)}"})
    rows = X.tolist()
    for k in range(STEPS):
        scores = [model(row) for row in rows]
        loss = nn.losses.hinge(scores, y) + penalty()
        accuracy = float(np.mean((np.array([s.data for s in scores]) > 0) == (y > 0)))
        if k % REPORT_EVERY == 0 or k == STEPS - 1:
            print(f"  step {k:3d}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = learning_rate(k)
        optimizer.step()
        if recorder is not None:
            recorder.record_step()
    outputs = nn.predict(model, X)[:, 0]
    final = float(np.mean((outputs > 0) == (y > 0)))
    print(f"after {STEPS} steps: accuracy {final:.0%} on the {SAMPLES} training points")
    write_film(recorder, args.film)
    if args.svg:
        sample = nn.losses.hinge(model(rows[0]), y[0])
        write_gradient_graph(model, sample, args.svg, "sample 0 (hinge loss)", collapse="neuron")
    return 0
