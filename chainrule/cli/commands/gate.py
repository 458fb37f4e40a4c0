"""Train a two-input logic gate (and, or, nand, nor, xor, xnor) and print its truth table.

--model mlp (the default) trains a 2-H-1 network (tanh hidden neurons, a sigmoid output) by
backpropagation on the scalar engine, with binary cross-entropy on the four rows of the truth
table. --model perceptron uses Rosenblatt's perceptron and its learning rule, which learns AND,
OR, NAND and NOR and never XOR or XNOR (it says why). --film writes the whole training as one
HTML page that plays it back; --svg draws the gradient graph of input (1, 0) after training.
"""

from __future__ import annotations

import argparse
import math
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from chainrule import nn
from chainrule.autograd import Value, no_grad
from chainrule.nn.optim import OPTIMIZERS, make_optimizer

from ..arguments import (
    HTML_SUFFIXES,
    Unfinished,
    UsageError,
    bounded,
    non_negative_int,
    output_file,
    positive_float,
    positive_int,
)

MODELS = ("mlp", "perceptron")
MLP_DEFAULTS = {"hidden": 4, "optimizer": "adam", "lr": 0.1, "steps": 300}
MAX_HIDDEN = 100  # a film of 2-200-1 took 13 MB and 430 MB of memory; 100 million neurons ran out of memory
MAX_FRAMES = nn.recorder.DEFAULT_MAX_FRAMES  # frames after the first; a longer training is filmed more sparsely
PERCEPTRON_DEFAULTS = {"lr": 0.1, "steps": 50}
EXTENT = (-0.5, 1.5, -0.5, 1.5)
REPORTS = 6
PROBE = (1.0, 0.0)


def add_arguments(parser: argparse.ArgumentParser, *, choose_gate: bool = True) -> None:
    """The gate command's options; `chainrule xor` takes the same ones without NAME and --model."""
    if choose_gate:
        parser.add_argument("name", metavar="NAME", type=str.lower, choices=list(nn.data.GATES),
                            help="the gate: " + ", ".join(nn.data.GATES))
        parser.add_argument("--model", choices=MODELS, default="mlp",
                            help="mlp: a small network trained by backpropagation (default); "
                                 "perceptron: Rosenblatt's rule")
    parser.add_argument("--hidden", type=bounded(int, positive=True, largest=MAX_HIDDEN),
                        help=f"hidden neurons of the MLP (4; at most {MAX_HIDDEN}: its film holds a picture of each)")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), help="the MLP's optimizer (adam)")
    parser.add_argument("--lr", type=positive_float, help="learning rate (0.1)")
    steps = "full-batch updates (300)"
    if choose_gate:
        steps = (
            f"MLP: {steps}; perceptron: at most this many epochs (50), stopping at the first epoch without a mistake"
        )
    parser.add_argument("--steps", type=positive_int, help=steps)
    parser.add_argument("--seed", type=non_negative_int, default=0, help="initial weights (0)")
    parser.add_argument("--svg", metavar="PATH", type=output_file(".svg", ".png"),
                        help="draw the gradient graph of input (1, 0) after training to PATH (.svg or .png)")
    parser.add_argument("--film", metavar="PATH", type=output_file(*HTML_SUFFIXES),
                        help=f"write the training as an HTML page that plays it back ({MAX_FRAMES} frames after "
                             f"the first at most, and the last update's: a longer training is filmed every k-th "
                             f"update)")


def run(args: argparse.Namespace) -> int:
    if args.model == "perceptron":
        return _perceptron(args)
    return _mlp(args)


def _setting(args: argparse.Namespace, name: str, defaults: dict[str, Any]) -> Any:
    value = getattr(args, name)
    return defaults[name] if value is None else value


def _mlp(args: argparse.Namespace) -> int:
    hidden = _setting(args, "hidden", MLP_DEFAULTS)
    optimizer_name = _setting(args, "optimizer", MLP_DEFAULTS)
    lr = _setting(args, "lr", MLP_DEFAULTS)
    steps = _setting(args, "steps", MLP_DEFAULTS)
    gate = args.name.upper()
    X, y = nn.data.logic_gate(args.name)
    model = nn.MLP(2, [hidden, 1], activation="tanh", output_activation="sigmoid", seed=args.seed)
    optimizer = make_optimizer(optimizer_name, model.parameters(), lr=lr)
    print(f"training a 2-{hidden}-1 MLP on {gate}: {optimizer_name}, lr {lr}, {steps} steps, seed {args.seed}")
    recorder = None
    if args.film:
        settings = {"model": "mlp", "hidden": hidden, "optimizer": optimizer_name, "lr": lr, "steps": steps}
        recorder = _recorder(model, X, y, "binary_cross_entropy", args, settings,
                             f"A 2-{hidden}-1 network learns {gate}", every=math.ceil(steps / MAX_FRAMES))
    reports = {steps * r // REPORTS for r in range(REPORTS)}  # "step k": the network after k steps, as in the film

    def report(epoch: int, figures: dict[str, float]) -> None:
        if epoch - 1 in reports:  # an epoch's loss is taken before its step: that of the network after epoch - 1
            print(f"  step {epoch - 1:5d}  loss {figures['loss']:.4f}")

    nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=steps, shuffle=False, progress=False,
           on_epoch_end=report, on_step_end=recorder)
    with no_grad():
        final = nn.losses.binary_cross_entropy([model(row) for row in X.tolist()], y)
    print(f"  step {steps:5d}  loss {final.data:.4f}")
    outputs = nn.predict(model, X)[:, 0]
    learned = _truth_table(gate, X, y, outputs, np.round(outputs))
    print(f"learned {gate}" if learned else
          f"did not learn {gate} in {steps} steps; try more --steps or another --lr")
    write_film(recorder, args.film)
    if args.svg:
        probe = _probe_loss(model(list(PROBE)), _target(X, y))
        write_gradient_graph(model, probe, args.svg, "input (1, 0)")
    return _status(learned, f"the 2-{hidden}-1 MLP did not learn {gate}", args.command)


def _perceptron(args: argparse.Namespace) -> int:
    for option in ("hidden", "optimizer"):
        if getattr(args, option) is not None:
            raise UsageError(
                f"chainrule gate: --{option} applies to --model mlp only; a perceptron is one neuron "
                f"trained by Rosenblatt's rule"
            )
    lr = _setting(args, "lr", PERCEPTRON_DEFAULTS)
    epochs = _setting(args, "steps", PERCEPTRON_DEFAULTS)
    gate = args.name.upper()
    X, y = nn.data.logic_gate(args.name)
    model = nn.Perceptron(2, seed=args.seed)
    print(f"training a perceptron on {gate} with Rosenblatt's rule: lr {lr}, at most {epochs} epochs, seed {args.seed}")
    recorder = None
    if args.film:
        settings = {"model": "perceptron", "lr": lr, "epochs": epochs}  # the film counts a step per sample
        recorder = _recorder(model, X, y, "mse", args, settings, f"A perceptron tries {gate}",
                             max_frames=MAX_FRAMES)  # it may stop at any epoch, so thinned as it goes
    result = model.fit(X, y, epochs=epochs, lr=lr, on_step_end=recorder)
    w = [v.data for v in model.w]
    print(f"  w = ({w[0]:.3g}, {w[1]:.3g}), b = {model.b.data:.3g} after {result.epochs} epochs")
    outputs = model.predict(X)
    learned = _truth_table(gate, X, y, outputs, outputs)
    if result.converged:
        print(f"learned {gate}: converged after {result.epochs} epochs (an epoch without a mistake)")
    elif learned:  # the last epoch's updates fixed its mistakes; the rule stops only after an epoch with none
        print(f"learned {gate}: every row is right after epoch {result.epochs}, though that epoch still made "
              f"mistakes, so the rule has not yet seen an epoch without one (--steps {result.epochs + 1} would)")
    else:
        print(f"did not converge: no epoch of {result.epochs} went without a mistake "
              f"(best accuracy {result.best_accuracy:.0%})")
        print(_why_not(args.name, y))
    write_film(recorder, args.film)
    if args.svg:
        write_gradient_graph(model, nn.losses.mse(model(list(PROBE)), _target(X, y)), args.svg, "input (1, 0)")
    return _status(learned, f"the perceptron did not learn {gate}", args.command)


def _status(learned: bool, failure: str, command: str) -> int:
    """0 when the gate was learned; else Unfinished: status 1 and one line on stderr (the reason is above)."""
    if not learned:
        raise Unfinished(f"chainrule {command}: {failure} (see the truth table above)")
    return 0


def _why_not(name: str, y: np.ndarray) -> str:
    """Why the perceptron failed: for XOR and XNOR, the geometry; otherwise, more epochs may do."""
    if name not in ("xor", "xnor"):
        return "Try more --steps or another --lr."
    ones = " and ".join(f"({a:g}, {b:g})" for (a, b), t in zip(nn.data.logic_gate(name)[0], y) if t == 1)
    zeros = " and ".join(f"({a:g}, {b:g})" for (a, b), t in zip(nn.data.logic_gate(name)[0], y) if t == 0)
    return (
        f"{name.upper()} is not linearly separable: no straight line has {ones} on one side and {zeros} on "
        f"the other, and a perceptron's decision is always one straight line, so each correction that "
        f"fixes one corner breaks another. A hidden layer solves it: chainrule gate {name} --model mlp"
    )


def _truth_table(gate: str, X: np.ndarray, y: np.ndarray, outputs: np.ndarray, decided: np.ndarray) -> bool:
    """Print the truth table with the model's outputs; whether every row is right."""
    print(f"\n  x1  x2 | {gate.lower():>4} | output  rounded")
    for (x1, x2), target, out, bit in zip(X.astype(int), y.astype(int), outputs, decided.astype(int)):
        print(f"  {x1:2d}  {x2:2d} | {target:4d} | {out:.4f}  {bit:d}")
    return bool(np.array_equal(decided, y))


def _probe_loss(output: Value, target: float) -> Value:
    """The cross-entropy of one output, unclipped: binary_cross_entropy clips an output within 1e-7 of 0 or 1 to a
    constant, whose graph would no longer reach the network after a long training. An output exactly at the wrong
    end has no finite loss: clipped then, as in training."""
    if output.data == (0.0 if target == 1 else 1.0):
        return nn.losses.binary_cross_entropy(output, target)
    return -output.log() if target == 1 else -(1.0 - output).log()


def _target(X: np.ndarray, y: np.ndarray) -> float:
    return float(y[np.flatnonzero((X == PROBE).all(axis=1))[0]])


def _recorder(model: Any, X: np.ndarray, y: np.ndarray, loss: str, args: argparse.Namespace,
              settings: dict[str, Any], title: str, **frames: int) -> nn.Recorder:
    """The film's Recorder; `frames` is its ``every`` or ``max_frames``, which keep a long training's film small."""
    flags = {"epochs": "steps"}  # a perceptron's --steps counts epochs
    options = " ".join(f"--{flags.get(k, k)} {v}" for k, v in settings.items() if k != "model")
    command = (f"chainrule gate {args.name} --model {args.model} {options} --seed {args.seed} "
               f"--film {shlex.quote(args.film.name)}")
    return nn.Recorder(model, X, y, loss, extent=EXTENT, seed=args.seed, title=title,
                       hyperparameters={**settings, "command": command}, **frames)


def write_film(recorder: nn.Recorder | None, path: Path | None) -> None:
    """Write the recorded training as a film to `path` and say so (nothing without a recorder)."""
    if recorder is None or path is None:
        return
    from chainrule import viz

    film = viz.film(recorder.recording, path)
    print(f"wrote the training film to {path} ({film.frames} frames, {path.stat().st_size / 1e6:.2f} MB)")


def write_gradient_graph(model: nn.Module, loss: Any, path: Path, what: str, collapse: str | None = None) -> None:
    """Draw `loss` (of `what`) with the gradients of its own backward pass: the model's are cleared first, as its
    parameters still hold the last training step's, and a leaf adds up every gradient that reaches it."""
    from chainrule import viz

    model.zero_grad()
    loss.backward()
    written = viz.render(loss, path, collapse=collapse)
    print(f"wrote the gradient graph of {what} to {written}")
