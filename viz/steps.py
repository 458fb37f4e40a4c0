"""`backward_steps`: the backward pass as a page of pictures, one chain-rule step per value node.

The steps come from the same walk as `backward()` (`topological_order`, in reverse) and
the same `local_grads`, so each step's number is exactly what the engine computes. The page's
script and style (``assets/steps.js``, ``assets/steps.css``) are inlined: it needs no network.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from chainrule.autograd.graph import backpropagate, topological_order

from .dot import build, check_max_nodes, check_root
from .page import asset, check_page_name
from .renderer import DEFAULT_TIMEOUT, check_folder, run_renderer, write_atomic
from .svg import inline
from .text import PARTIAL, factor, is_array, number, op_text, xml_safe

STEP_LIMIT = 60
"""The most value nodes a stepper page draws by default: one picture of the whole graph per node, so the page
grows with the square of the nodes (about 10 MB at 60, 60 MB at 150, which a browser takes half a minute to open)."""


class Term:
    """One chain-rule product: the gradient of a `user` of the node times d(user)/d(node)."""

    __slots__ = ("user", "user_grad", "local")

    def __init__(self, user: Any, user_grad: float, local: float) -> None:
        self.user = user
        self.user_grad = user_grad
        self.local = local


class Step:
    """The moment one node's gradient is complete: the node, its gradient, the products summed, and the text."""

    __slots__ = ("node", "grad", "terms", "title", "formula", "note")

    def __init__(self, node: Any, grad: float | None, terms: list[Term]) -> None:
        self.node = node
        self.grad = grad
        self.terms = terms
        self.title = ""
        self.formula = ""
        self.note = ""


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def names_for(order: list[Any]) -> dict[Any, str]:
    """A name for every node, each a different one: its label (b₁, b₂, ... in walk order when several nodes
    share it, as every neuron's bias does), or v1, v2, ... (skipping names already in use)."""
    taken = {node.label for node in order if node.label}
    shared = {label for label, count in Counter(node.label for node in order).items() if label and count > 1}
    seen: Counter[str] = Counter()
    names: dict[Any, str] = {}
    counter = 0
    for node in order:
        if node.label in shared:
            while True:
                seen[node.label] += 1
                name = f"{node.label}{str(seen[node.label]).translate(SUBSCRIPTS)}"
                if name not in taken:
                    break
            names[node] = name
            taken.add(name)
            continue
        if node.label:
            names[node] = node.label
            continue
        counter += 1
        while f"v{counter}" in taken:
            counter += 1
        names[node] = f"v{counter}"
    return names


_SCALAR_ONLY = "backward_steps draws scalar Value graphs; this graph holds Tensors (draw it with draw_graph or render)"


def _refuse_tensors(root: Any) -> None:
    """ValueError for a Tensor root, before any advice (a larger max_nodes, a graph outside no_grad) that would
    only lead to this refusal."""
    if is_array(root.data):
        raise ValueError(_SCALAR_ONLY)


def compute_steps(root: Any, order: list[Any] | None = None, names: dict[Any, str] | None = None) -> list[Step]:
    """One `Step` per node of `root`'s graph, output first, in the order `backward()` completes them."""
    _refuse_tensors(root)
    if not getattr(root, "requires_grad", True):
        raise RuntimeError(
            "backward_steps of a Value that does not require grad: it is a constant, or was computed under "
            "no_grad(), and backward() refuses it too; build the graph outside no_grad()"
        )
    if order is None:
        order = topological_order(root)
    if any(is_array(node.data) for node in order):
        raise ValueError(_SCALAR_ONLY)
    if names is None:
        names = names_for(order)
    grads = backpropagate(root, 1.0)  # the engine's own chain rule: each step shows its numbers
    terms: dict[Any, list[Term]] = {}
    for node in reversed(order):
        grad = grads.get(node)
        if grad is None:
            continue
        for parent, local in zip(node.parents, node.local_grads):
            if parent.requires_grad:
                terms.setdefault(parent, []).append(Term(node, grad, local))
    steps = []
    for node in reversed(order):
        grad = grads.get(node) if node.requires_grad else None
        step = Step(node, grad, terms.get(node, []))
        _describe(step, root, names, node.requires_grad)
        steps.append(step)
    return steps


def _describe(step: Step, root: Any, names: dict[Any, str], needs_grad: bool) -> None:
    node = step.node
    name = names[node]
    if node is root:
        step.title = f"grad({name}) = 1"
        step.formula = f"grad({name}) = d{_wrap(name)}/d{_wrap(name)} = 1"
        step.note = "The output's gradient with respect to itself is 1: this seeds the backward pass."
        return
    if not needs_grad:
        step.title = f"{name} is a constant"
        step.formula = f"grad({name}) = \u2014"
        step.note = f"{name} is a constant, so no gradient flows into it."
        return
    if step.grad is None:
        step.title = f"grad({name}) is not reached"
        step.formula = f"grad({name}) = \u2014"
        step.note = f"No gradient reaches {name}."
        return
    symbolic = " + ".join(
        f"grad({names[t.user]}) \u00b7 {PARTIAL}{_wrap(names[t.user])}/{PARTIAL}{_wrap(name)}" for t in step.terms
    )
    numeric = " + ".join(f"{factor(t.user_grad)} \u00b7 {factor(t.local)}" for t in step.terms)
    step.title = f"grad({name}) = {number(step.grad)}"
    step.formula = f"grad({name}) = {symbolic} = {numeric} = {number(step.grad)}"
    users = list(dict.fromkeys(t.user for t in step.terms))
    defined = "; ".join(f"{names[user]} = {_expression(user, names, node)}" for user in users)
    if len(step.terms) == 1:
        step.note = f"{defined}. {name} is used once, so its gradient is one chain-rule product."
    else:
        step.note = (
            f"{defined}. {name} is used {len(step.terms)} times, so the chain rule adds one product per use "
            f"(this is why backward() accumulates gradients with +=)."
        )


def _wrap(name: str) -> str:
    return name if name.rstrip("₀₁₂₃₄₅₆₇₈₉").isidentifier() else f"({name})"


def _expression(node: Any, names: dict[Any, str], shown_operand: Any = None) -> str:
    """How `node` was computed, in words a reader can match with the picture (x1 × w1, tanh(n), ...); of many
    operands, the first three, the last and `shown_operand` (the one a step explains) are named."""
    operands = [_wrap(names[p]) for p in node.parents]
    symbol = op_text(node)
    if symbol.startswith("^") and len(operands) == 1:
        return f"{operands[0]}{symbol}"
    constant = getattr(node, "constant", None)
    if constant is not None and len(operands) == 1:
        parts = symbol.split(" ", 1)
        if len(parts) == 2 and parts[0] not in ("+", "\u2212", "\u00d7", "\u00f7", "^"):
            return f"{parts[0]} {parts[1]} {operands[0]}"
        return f"{operands[0]} {symbol}"
    if len(operands) == 2 and symbol in ("+", "\u2212", "\u00d7", "\u00f7", "^"):
        return f"{operands[0]} {symbol} {operands[1]}"
    if len(operands) <= 4:
        return f"{symbol}({', '.join(operands)})"
    middle = next((i for i, p in enumerate(node.parents) if p is shown_operand), 0)
    if middle < 3 or middle == len(operands) - 1:
        shown = [*operands[:3], "\u2026", operands[-1]]
    else:
        after = ["\u2026"] if middle < len(operands) - 2 else []
        shown = [*operands[:2], "\u2026", operands[middle], *after, operands[-1]]
    return f"{symbol}({', '.join(shown)})"


def steps_html(
    root: Any,
    *,
    renderer: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_nodes: int = STEP_LIMIT,
    rankdir: str = "LR",
    show_local_grads: bool = True,
) -> str:
    """The stepper page for `root`'s graph as HTML text (see `backward_steps`)."""
    check_root(root)
    _refuse_tensors(root)
    check_max_nodes(max_nodes)
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order)} value nodes; the stepper draws one picture per node and stops at "
            f"max_nodes={max_nodes} (its page grows with the square of the nodes): pass a larger max_nodes, or "
            f"draw the whole graph with draw_graph/render"
        )
    names = names_for(order)
    steps = compute_steps(root, order, names)
    scale = max((abs(s.grad) for s in steps if s.grad is not None and abs(s.grad) != float("inf")), default=0.0)
    reserve = {s.node: number(s.grad) for s in steps if s.grad is not None}
    sources = []
    known: dict[Any, float] = {}
    for step in steps:
        if step.grad is not None:
            known[step.node] = step.grad
        drawing = build(
            root,
            order=order,
            rankdir=rankdir,
            show_local_grads=show_local_grads,
            max_nodes=max_nodes,
            highlight=step.node,
            grads=dict(known),
            names=names,
            highlight_edges={(step.node, t.user) for t in step.terms},
            grad_scale=scale,
            reserve=reserve,
        )
        sources.append(drawing.digraph.source)

    advice = (
        "pass a larger timeout, or step through a smaller graph (the stepper draws every node; "
        "draw_graph and render can collapse a network's neurons or layers)"
    )

    def render(source: str) -> str:
        picture = run_renderer(source, "svg", renderer=renderer, timeout=timeout, nodes=len(order), advice=advice)
        return picture.decode("utf-8")

    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        pictures = list(pool.map(render, sources))
    return _page(names[root], steps, pictures)


def backward_steps(
    root: Any,
    path: str | os.PathLike[str],
    *,
    renderer: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_nodes: int = STEP_LIMIT,
    rankdir: str = "LR",
    show_local_grads: bool = True,
) -> Path:
    """Write one self-contained HTML page that walks through `root`'s backward pass; returns the path.

    Step 0 seeds the output's gradient with 1; each later step completes one node's gradient
    (highlighted) and shows the chain-rule products it came from. The page has buttons, a
    slider and arrow-key navigation, and needs no network. Scalar (`Value`) graphs only.
    """
    check_folder(path)  # before every step is drawn, not after
    check_page_name(path, "backward_steps")
    page = steps_html(
        root,
        renderer=renderer,
        timeout=timeout,
        max_nodes=max_nodes,
        rankdir=rankdir,
        show_local_grads=show_local_grads,
    )
    return write_atomic(path, page.encode("utf-8"))


def _html(text: str) -> str:
    """`text` for the page: HTML-escaped, with what HTML and UTF-8 cannot hold (a lone surrogate, a control
    character in a label) shown as its escape."""
    return html.escape(xml_safe(text))


def _page(output: str, steps: list[Step], pictures: list[str]) -> str:
    last = len(steps) - 1
    sections = []
    for k, (step, picture) in enumerate(zip(steps, pictures)):
        sections.append(
            f'<section class="step" id="step-{k}" data-step="{k}">\n'
            f"<h2>Step {k} of {last}: {_html(step.title)}</h2>\n"
            f'<p class="formula">{_html(step.formula)}</p>\n'
            f'<p class="note">{_html(step.note)}</p>\n'
            f"{inline(picture, f's{k}-')}\n</section>"
        )
    title = f"The backward pass of {output}, step by step"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_html(title)}</title>\n<style>{asset('steps.css')}</style>\n</head>\n<body>\n"
        f"<h1>{_html(title)}</h1>\n"
        '<p class="intro">Each step completes one gradient with the chain rule, from the output back to the '
        "inputs, in the order <code>backward()</code> uses. The node whose gradient was just computed and the "
        "edges its chain-rule products came along are orange; grey grad cells are not computed yet. "
        "Use the buttons, the slider or the arrow keys.</p>\n"
        '<div class="controls">'
        '<button type="button" id="prev" aria-label="previous step">\u2190 previous</button>'
        f'<input type="range" id="slider" min="0" max="{last}" value="0" step="1" aria-label="step">'
        '<button type="button" id="next" aria-label="next step">next \u2192</button>'
        f'<output id="counter">step 0 of {last}</output></div>\n'
        + "\n".join(sections)
        + f"\n<script>{asset('steps.js')}</script>\n</body>\n</html>\n"
    )
