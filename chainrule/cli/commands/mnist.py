"""Train the course's 784-100-100-10 ReLU network on MNIST and report its test accuracy.

The images are loaded with `nn.data.load_mnist()` (from ``$CHAINRULE_DATA/mnist`` or
``~/.cache/chainrule/mnist``, downloaded there when missing). The network is ``nn.MLP(784,
[100, 100, 10])`` with ReLU hidden layers on the NumPy backend in float32, trained by `nn.fit`
with cross-entropy on its logits (the softmax is inside the loss). Every epoch prints one
line: mean training loss, training accuracy, accuracy on the 10,000 test images and the
epoch's seconds; on a terminal `nn.fit` also shows a progress bar with the running loss and
accuracy. --save writes the trained weights with ``model.save``; read them back into a network
of the same sizes: ``model = nn.MLP(784, [100, 100, 10], backend="numpy")`` (with your --hidden
sizes), then ``model.load_state_dict(nn.load(path))``.

The default recipe reaches 98.4% test accuracy (98.44% with seed 0; 98.37, 98.38, 98.39 and
98.32% with seeds 1 to 4) in 8 to 12 s of training on two cores, by how busy they are: SGD
with momentum 0.9, batch 128, 18 epochs, weight decay 0.0005, and a learning rate that starts
at 0.15 and falls along a cosine to 0 at the last step (lr_t = 0.15 * (1 + cos(pi * t / T)) / 2,
nn.optim.CosineSchedule). The slow start of the fall lets the first epochs move far; the
gentle landing lets the last ones settle into a minimum. The weight decay (the gradient of an
L2 penalty 0.0005/2 * |w|^2 on every parameter) keeps the network from overfitting.
--schedule none keeps the rate fixed; --decay divides it by (1 + decay * t), Keras's rule, under
either schedule (on top of the cosine); --optimizer momentum is that SGD; an optimizer chosen
without --lr gets its own default rate, and --weight-decay is for the two SGD optimizers only. The command uses one
BLAS thread unless OPENBLAS_NUM_THREADS says otherwise: on matrices this small it is about as
fast as two, and it never stalls when other programs keep the cores busy.

--json prints a single JSON object instead of the lines (progress bars, if any, go to stderr)::

    {"test_accuracy": 0.984, "train_seconds": 9.8, "train_images": 60000, "test_images": 10000,
     "epochs": [{"epoch": 1, "train_loss": 0.27, "train_accuracy": 0.92, "test_accuracy": 0.96,
                 "epoch_seconds": 0.5}, ...],
     "config": {"epochs": 18, "batch_size": 128, "optimizer": "momentum", ...}, "saved": null}

``test_accuracy`` at the top is the final figure; each entry of ``epochs`` has that epoch's.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from chainrule import nn
from chainrule.nn.data.mnist import TRAINING_IMAGES
from chainrule.nn.optim import OPTIMIZERS, make_optimizer

from ..arguments import (
    UsageError,
    bounded,
    non_negative_float,
    non_negative_int,
    output_file,
    positive_float,
    positive_int,
)

RECIPE: dict[str, Any] = {
    "optimizer": "momentum",
    "lr": 0.15,
    "schedule": "cosine",
    "decay": 0.0,
    "weight_decay": 5e-4,
    "batch_size": 128,
    "epochs": 18,
}
"""The defaults: 98.4% test accuracy in 8 to 12 s of training on two cores (see the module docstring)."""
SCHEDULES = ("cosine", "none")

DEFAULTS: dict[str, Any] = {
    **RECIPE,
    "lr": None,  # the optimizer's rate in LEARNING_RATES: the recipe's own for its optimizer
    "weight_decay": None,  # the recipe's for the SGD optimizers, none for the others
    "hidden": (100, 100),
    "seed": 0,
    "limit": None,
    "save": None,
    "json": False,
}
LEARNING_RATES = {"momentum": RECIPE["lr"], "sgd": 0.1, "adam": 0.001, "rmsprop": 0.001, "adagrad": 0.01}
"""The learning rate of an optimizer chosen without --lr."""
WEIGHT_DECAY_OPTIMIZERS = ("momentum", "sgd")

INPUTS, CLASSES = 784, 10
MAX_PARAMETERS = 20_000_000
"""The largest network --hidden may ask for: 80 MB of float32 weights, several times that to train."""


def defaults(**overrides: Any) -> argparse.Namespace:
    """The arguments `chainrule mnist` runs with when none are given."""
    return argparse.Namespace(**{**DEFAULTS, **overrides})


def _hidden(text: str) -> tuple[int, ...]:
    """Hidden layer widths as comma-separated positive integers (``100,100``), for a network small enough to train."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer sizes such as 100,100, got {text!r}")
    widths = [INPUTS, *sizes, CLASSES]
    count = sum(nin * nout + nout for nin, nout in zip(widths, widths[1:]))
    if count > MAX_PARAMETERS:
        raise argparse.ArgumentTypeError(
            f"layers of {text} make a network of {count:,} parameters, more than this command trains "
            f"({MAX_PARAMETERS:,})"
        )
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d, r = DEFAULTS, RECIPE
    parser.add_argument(
        "--epochs", type=positive_int, default=d["epochs"], help=f"passes over the data ({d['epochs']})"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=d["batch_size"], help=f"images per update ({d['batch_size']})"
    )
    parser.add_argument(
        "--optimizer",
        choices=sorted(OPTIMIZERS),
        default=d["optimizer"],
        help=f"({d['optimizer']}: SGD with momentum 0.9)",
    )
    rates = ", ".join(f"{name} {lr:g}" for name, lr in LEARNING_RATES.items())
    parser.add_argument("--lr", type=positive_float, default=d["lr"], help=f"learning rate ({rates})")
    parser.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=d["schedule"],
        help=f"the learning rate along the training: cosine falls from lr to 0, none keeps it ({d['schedule']})",
    )
    parser.add_argument(
        "--decay",
        type=non_negative_float,
        default=d["decay"],
        help=f"learning-rate decay: lr / (1 + decay * step) ({d['decay']:g})",
    )
    parser.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=d["weight_decay"],
        help=f"L2 weight decay for sgd and momentum ({r['weight_decay']:g}; none for the other optimizers)",
    )
    parser.add_argument(
        "--hidden",
        type=_hidden,
        default=d["hidden"],
        help=f"hidden layer sizes, comma-separated ({','.join(map(str, d['hidden']))}; "
        f"at most {MAX_PARAMETERS // 1_000_000} million parameters in all)",
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=d["seed"], help=f"initial weights and shuffling ({d['seed']})"
    )
    parser.add_argument(
        "--limit",
        type=bounded(int, positive=True, largest=TRAINING_IMAGES, bound_by="MNIST's training images"),
        default=d["limit"],
        help=f"train on the first N training images (of {TRAINING_IMAGES})",
    )
    parser.add_argument(
        "--save",
        metavar="PATH",
        type=output_file(".npz", add=".npz"),
        default=d["save"],
        help="write the trained model to PATH (.npz is added to a name without it, as model.save does)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with the results, nothing else")


def run(args: argparse.Namespace) -> int:
    lr = args.lr if args.lr is not None else LEARNING_RATES[args.optimizer]
    weight_decay = _weight_decay(args.optimizer, args.weight_decay)
    sizes = [INPUTS, *args.hidden, CLASSES]
    model = nn.MLP(INPUTS, sizes[1:], activation="relu", seed=args.seed, backend="numpy", dtype="float32")
    extra = {"weight_decay": weight_decay} if args.optimizer in WEIGHT_DECAY_OPTIMIZERS else {}
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr=lr, decay=args.decay, **extra)
    X_train, y_train, X_test, y_test = nn.data.load_mnist()
    if args.limit is not None:
        X_train, y_train = X_train[: args.limit], y_train[: args.limit]
    schedule = None
    if args.schedule == "cosine":
        steps = args.epochs * -(-len(X_train) // args.batch_size)
        schedule = nn.optim.CosineSchedule(optimizer, steps)
    say: Callable[[str], None] = (lambda line: None) if args.json else print
    settings = f"{args.optimizer}, lr {lr:g} ({args.schedule} schedule), decay {args.decay:g}"
    if args.optimizer in WEIGHT_DECAY_OPTIMIZERS:
        settings += f", weight decay {weight_decay:g}"
    say(
        f"training {'-'.join(map(str, sizes))} (ReLU) on {len(X_train)} MNIST images: {settings}, "
        f"batch {args.batch_size}, {args.epochs} epochs, seed {args.seed}"
    )

    epochs: list[dict[str, Any]] = []

    def report(epoch: int, history: dict[str, float]) -> None:
        figures = {
            "epoch": epoch,
            "train_loss": history["loss"],
            "train_accuracy": history["accuracy"],
            "test_accuracy": history["val_accuracy"],
            "epoch_seconds": history["epoch_seconds"],
        }
        epochs.append(figures)
        say(
            f"epoch {epoch}/{args.epochs}  loss {figures['train_loss']:.4f}  train acc {figures['train_accuracy']:.4f}"
            f"  test acc {figures['test_accuracy']:.4f}  {figures['epoch_seconds']:.1f} s"
        )

    started = time.perf_counter()
    nn.fit(
        model,
        X_train,
        y_train,
        "cross_entropy",
        optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        validation_data=(X_test, y_test),
        on_epoch_end=report,
        on_step_end=schedule,
    )
    train_seconds = time.perf_counter() - started
    accuracy = epochs[-1]["test_accuracy"]
    say(
        f"test accuracy {accuracy:.4f} ({round(accuracy * len(X_test))}/{len(X_test)}) after {args.epochs} epochs, "
        f"{train_seconds:.1f} s"
    )

    saved = None
    if args.save is not None:
        saved = str(model.save(args.save))
        say(f"saved the model to {saved}")
    if args.json:
        config = {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": args.optimizer,
            "lr": lr,
            "schedule": args.schedule,
            "decay": args.decay,
            "weight_decay": weight_decay,
            "hidden": list(args.hidden),
            "seed": args.seed,
            "limit": args.limit,
        }
        result = {
            "test_accuracy": accuracy,
            "train_seconds": train_seconds,
            "train_images": len(X_train),
            "test_images": len(X_test),
            "epochs": epochs,
            "config": config,
            "saved": saved,
        }
        print(json.dumps(result))
    return 0


def _weight_decay(optimizer: str, requested: float | None) -> float:
    """The weight decay to train with: the recipe's for the SGD optimizers unless given, none for the others."""
    if optimizer in WEIGHT_DECAY_OPTIMIZERS:
        return RECIPE["weight_decay"] if requested is None else requested
    if requested:
        raise UsageError(
            f"chainrule mnist: argument --weight-decay: {optimizer} takes no weight decay (only "
            f"{' and '.join(WEIGHT_DECAY_OPTIMIZERS)} do), got {requested:g}"
        )
    return 0.0
