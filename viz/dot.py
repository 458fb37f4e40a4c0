"""`draw_graph`: a computational graph as a `graphviz.Digraph`, micrograd's picture plus local gradients.

Every value is a box with its data and gradient; every op is a small node of its own
(value -> op -> result); every edge into an op carries the local derivative
d(result)/d(operand). Nodes are named from the one graph walk (``n0, n1, ...``), so the
same graph always gives the same DOT.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import graphviz
import numpy as np

from chainrule.autograd.graph import topological_order

from . import style
from .collapse import MODES, Group, check_mode, plan
from .digraph import PortableDigraph, check_format
from .renderer import timeout_advice
from .text import MINUS, PARTIAL, escape, is_array, local_grad, number, op_text, shortened, summary, text_width

RANKDIRS = ("LR", "TB", "RL", "BT")
UNREACHED = object()


class Drawing:
    """A built picture: the Digraph and how many value-level nodes (values and boxes) it has."""

    __slots__ = ("digraph", "nodes")

    def __init__(self, digraph: PortableDigraph, nodes: int) -> None:
        self.digraph = digraph
        self.nodes = nodes


def draw_graph(
    root: Any,
    format: str = "svg",  # noqa: A002 - micrograd's draw_dot(root, format='svg', rankdir='LR')
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    show_local_grads: bool = True,
    max_nodes: int = 2000,
    collapse: str | None = None,
    highlight: Any = None,
) -> PortableDigraph:
    """The computational graph that ends at `root`, ready to render (``.source`` is the DOT text).

    The first three arguments are micrograd's ``draw_dot(root, format='svg', rankdir='LR')``:
    `format` is what ``.render()`` and ``.pipe()`` produce. The Digraph renders and displays
    in Jupyter without system Graphviz (see `PortableDigraph`).

    `collapse` ("neuron" or "layer") draws each `nn` neuron or layer as one box (the neurons
    of a Layer or an MLP: a Neuron called on its own is drawn node by node), and more
    than `FOLD_INPUTS` (8) inputs that feed the same boxes, such as an image's pixels, as one
    box of inputs; `highlight`
    (a node or an iterable of nodes) gets a thick orange border. Raises ValueError when the
    graph has more than `max_nodes` value nodes to draw, and when it is out of date: an input
    changed after the graph was built (an optimizer step, say), so its numbers no longer belong
    together; run the forward pass again and draw the new result.

    The gradients drawn are those the nodes hold. After one ``backward()`` from `root`, each
    edge's ∂ times the gradient of the node it leads to adds up to the gradient it starts from;
    but leaves add up their gradients over backward passes, and an interior node keeps the
    latest pass through it, another root's too. To draw `root`'s own, zero the gradients first
    (``autograd.zero_grad(root)``, ``model.zero_grad()``) and run ``backward()`` from `root`.
    """
    digraph = build(
        root,
        rankdir=rankdir,
        show_grad=show_grad,
        show_local_grads=show_local_grads,
        max_nodes=max_nodes,
        collapse=collapse,
        highlight=highlight,
    ).digraph
    digraph.format = check_format(format)
    return digraph


draw_dot = draw_graph


def build(
    root: Any,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local_grads: bool = True,
    max_nodes: int = 2000,
    collapse: str | None = None,
    highlight: Any = None,
    order: list[Any] | None = None,
    grads: dict[Any, Any] | None = None,
    names: dict[Any, str] | None = None,
    highlight_edges: Iterable[tuple[Any, Any]] = (),
    grad_scale: float | None = None,
    reserve: dict[Any, str] | None = None,
) -> Drawing:
    """`draw_graph` with the stepper's extra knobs.

    `grads` replaces the nodes' own ``grad`` (a node missing from it is drawn as not yet
    reached), `names` names unlabelled nodes (and tells apart nodes that share a label),
    `grad_scale` fixes the colour scale and
    `reserve` keeps room in a node's grad cell for a text shown later, so that every
    step of the stepper has the same layout.
    """
    check_root(root)
    for flag, name in ((show_grad, "show_grad"), (show_local_grads, "show_local_grads")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    check_max_nodes(max_nodes)
    if not isinstance(rankdir, str):
        raise TypeError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {type(rankdir).__name__} {rankdir!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}; got {rankdir!r}")
    check_mode(collapse)
    if order is None:
        order = topological_order(root)
    membership = plan(order, root, collapse) if collapse else {}
    groups = list(dict.fromkeys(membership.values()))
    count = _drawn_count(order, membership)
    if count > max_nodes:
        raise ValueError(_too_many(order, root, count, max_nodes, collapse))
    _check_labels(order)
    _check_current(root, order)
    painter = _Painter(
        root, order, membership, groups, show_grad, show_local_grads, highlight, grads, names or {}, reserve or {}
    )
    painter.scale = grad_scale if grad_scale is not None else painter.max_grad()
    digraph = painter.paint(rankdir, set(highlight_edges))
    digraph.value_nodes = count
    digraph.advice = timeout_advice(collapse, made_in_modules=any(node.scope for node in order))
    return Drawing(digraph, count)


def check_max_nodes(max_nodes: Any) -> None:
    """TypeError unless `max_nodes` is an integer, ValueError unless it is positive."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral):
        raise TypeError(f"max_nodes must be a positive integer, got {type(max_nodes).__name__} {max_nodes!r}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive integer, got {max_nodes!r}")


DRAW_OPTIONS = ("rankdir", "show_grad", "show_local_grads", "max_nodes", "collapse", "highlight")
"""What `render`, `render_bytes` and `show` pass on to the drawing, as `draw_graph` names them."""


def check_draw_options(function: str, options: dict[str, Any]) -> None:
    """TypeError naming `function` (the one the user called) for a keyword that is no drawing option."""
    for name in options:
        if name not in DRAW_OPTIONS:
            raise TypeError(
                f"{function}() got an unexpected keyword argument {name!r}; the drawing takes "
                f"{', '.join(DRAW_OPTIONS)}"
            )


def check_root(root: Any) -> None:
    """A TypeError unless `root` is a node (a Value or Tensor): the one a graph ends at."""
    if hasattr(root, "parents") and hasattr(root, "data"):
        return
    if isinstance(root, (list, tuple)) and root and all(hasattr(node, "parents") for node in root):
        raise TypeError(
            f"expected the node a graph ends at (a Value or Tensor), got a {type(root).__name__} of {len(root)} "
            f"nodes: draw one graph at a time, as in draw_graph(nodes[0])"
        )
    raise TypeError(f"expected the node a graph ends at (a Value or Tensor), got {type(root).__name__}")


def _check_labels(order: list[Any]) -> None:
    """TypeError for a label that is not text (``v.label = 7``, which a Value does not check when it is set)."""
    for node in order:
        label = node.label
        if not isinstance(label, str):
            where = f"a node of op {node.op!r}" if node.op else "a leaf"
            raise TypeError(
                f"node labels must be text (a str), got {type(label).__name__} {label!r} on {where}: write "
                f"v.label = {str(label)!r}"
            )


def _check_current(root: Any, order: list[Any]) -> None:
    """ValueError if a node's number (a Tensor's array) is no longer what its op gives from its inputs' numbers
    (see `Value.recomputed`, `Tensor.recomputed`), or if the root knows of an input of its graph changed since
    (`changed_inputs`: a change that left every result as it was, such as of a factor of 0, still changes the
    local derivatives drawn): the picture would show old and new numbers side by side as if they belonged
    together. A Tensor's ``.data`` reassigned by hand is seen only where it changes a result: like PyTorch's
    ``.data``, it bypasses the count of in-place changes that optimizer steps keep."""
    for node in order:
        recomputed = getattr(node, "recomputed", None)
        if recomputed is None or not node.parents:
            continue
        try:
            now = recomputed()
        except (ArithmeticError, ValueError, TypeError, IndexError) as error:  # inputs now outside the op's domain
            now = error
        if now is None:
            continue
        if isinstance(now, Exception):
            differs = f"holds numbers its inputs no longer give: its op now fails on them ({now})"
        elif isinstance(node.data, np.ndarray):
            differs = _array_change(node.data, now)
            if differs is None:
                continue
        elif math.isclose(now, node.data, rel_tol=1e-12) or (math.isnan(now) and math.isnan(node.data)):
            continue
        else:
            differs = f"holds {node.data!r}, but its inputs' numbers now give {now!r}"
        name = f"{node.label!r} " if node.label else ""
        where = f" in {node.scope}" if getattr(node, "scope", "") else ""
        raise ValueError(
            f"the graph is out of date: node {name}(op {node.op!r}{where}) {differs}, since one changed after the "
            f"graph was built (an optimizer step, a .data assignment, an array changed in place); run the forward "
            f"pass again and draw its new result"
        )
    changed_inputs = getattr(root, "changed_inputs", None)
    change = changed_inputs() if callable(changed_inputs) else None
    if change:
        raise ValueError(f"the graph is out of date: {change}; run the forward pass again and draw its new result")


_ARRAY_RTOL = 1e-6
"""How far a Tensor's entry may be from its op run again, relative to the entry (or 1/1000 of that relative to
the array's largest, for entries near 0), before the graph counts as stale: room for sums rounded in another
order, far below what a drawing shows (four significant digits). The same inputs give the same bits here."""


def _array_change(data: np.ndarray, now: np.ndarray) -> str | None:
    """How a Tensor's `data` differs from its op run again (`now`), naming the first entry that does; None if not."""
    if now.shape != data.shape:
        return f"has shape {data.shape}, but its inputs now give shape {now.shape}"
    changed = now != data
    if not changed.any():  # the common case: the same bits
        return None
    finite = np.abs(data[np.isfinite(data)])
    scale = float(finite.max()) if finite.size else 0.0
    changed &= ~np.isclose(now, data, rtol=_ARRAY_RTOL, atol=_ARRAY_RTOL * 1e-3 * scale, equal_nan=True)
    if not changed.any():
        return None
    index = tuple(int(i) for i in np.argwhere(changed)[0])
    at = f" at {index}" if index else ""
    there = " there" if index else ""
    return f"holds {data[index]!s}{at}, but its inputs' numbers now give {now[index]!s}{there}"  # as its dtype prints


def _drawn_count(order: list[Any], membership: dict[Any, Group]) -> int:
    """How many things a drawing has: the value nodes outside boxes, and the boxes."""
    return sum(1 for node in order if node not in membership) + len(set(membership.values()))


def _too_many(order: list[Any], root: Any, count: int, max_nodes: int, collapse: str | None) -> str:
    """Why the graph is not drawn, with advice that works: a coarser collapse that fits, or a max_nodes that does."""
    coarser = MODES if collapse is None else MODES[MODES.index(collapse) + 1 :]
    sizes = {mode: _drawn_count(order, plan(order, root, mode)) for mode in coarser}
    fitting = [f"collapse={mode!r} ({sizes[mode]} nodes)" for mode in coarser if sizes[mode] <= max_nodes]
    advice = [f"draw it with {' or '.join(fitting)}"] if fitting else []
    advice.append(f"pass max_nodes={count} or more")
    drawn = f"still has {count} nodes to draw with collapse={collapse!r}" if collapse else f"has {count} value nodes"
    return f"the graph {drawn}, more than max_nodes={max_nodes}; {', or '.join(advice)}"


def _highlighted(highlight: Any) -> set[Any]:
    """The nodes to highlight: None, a node, or an iterable of nodes (TypeError for anything else)."""
    if highlight is None:
        return set()
    if hasattr(highlight, "parents"):
        return {highlight}
    nodes = list(highlight) if isinstance(highlight, Iterable) and not isinstance(highlight, (str, bytes)) else None
    if nodes is None or not all(hasattr(node, "parents") for node in nodes):
        raise TypeError(f"highlight takes a node or a list of nodes (Values or Tensors), got {highlight!r}")
    return set(nodes)


def _check_in_graph(highlighted: set[Any], order: list[Any]) -> None:
    """ValueError for a node to highlight that is not in the graph drawn (it would be left out without a word)."""
    missing = highlighted.difference(order)
    if missing:
        node = next(iter(missing))
        name = f"{node.label!r}" if getattr(node, "label", "") else f"a node of op {node.op!r}" if node.op else "a leaf"
        raise ValueError(f"highlight: {name} is not in the graph drawn (the graph of the root given)")


class _Painter:
    """Turns the walk into DOT statements; one per drawing."""

    def __init__(
        self,
        root: Any,
        order: list[Any],
        membership: dict[Any, Group],
        groups: list[Group],
        show_grad: bool,
        show_local_grads: bool,
        highlight: Any,
        grads: dict[Any, Any] | None,
        names: dict[Any, str],
        reserve: dict[Any, str],
    ) -> None:
        self.root = root
        self.order = order
        self.membership = membership
        self.groups = groups
        self.show_grad = show_grad
        self.show_local_grads = show_local_grads
        self.highlight = _highlighted(highlight)
        _check_in_graph(self.highlight, order)
        self.grads = grads
        self.names = names
        self.reserve = reserve
        self.scale = 0.0
        self.ids = {node: f"n{i}" for i, node in enumerate(order)}
        self.box_ids = {group: f"g{i}" for i, group in enumerate(groups)}
        self.tensors = any(is_array(node.data) for node in order)

    def grad(self, node: Any) -> Any:
        """The gradient to show: the node's own, the stepper's, or UNREACHED (drawn blank)."""
        if not getattr(node, "requires_grad", True):
            return None
        if self.grads is None:
            return node.grad
        return self.grads.get(node, UNREACHED)

    def max_grad(self) -> float:
        largest = 0.0
        for node in self.order:
            value = self.grad(node)
            if value is UNREACHED:
                continue
            size = style.signal(value)
            if size is not None:
                largest = max(largest, abs(size))
        return largest

    def unit(self, node: Any) -> str:
        group = self.membership.get(node)
        return self.ids[node] if group is None else self.box_ids[group]

    def paint(self, rankdir: str, highlight_edges: set[tuple[Any, Any]]) -> PortableDigraph:
        digraph = PortableDigraph(
            name="chainrule",
            graph_attr={
                "rankdir": rankdir,
                "charset": "UTF-8",
                "bgcolor": "white",
                "fontname": style.FONT,
                "fontsize": "9",
                "nodesep": "0.22",
                "ranksep": "0.32",
                "labelloc": "b",
                "labeljust": "r",
                # At most 5 passes per node placing nodes across the ranks: the usual graph needs fewer and is drawn
                # as without the cap; x*x*...*x (one value feeding many ops) took minutes without it, seconds with.
                "nslimit": "5",
                **({"concentrate": "true", "ranksep": "0.9"} if self.groups else {}),
            },
            node_attr={"fontname": style.FONT, "fontsize": str(style.FONT_SIZE)},
            edge_attr={
                "fontname": style.FONT,
                "fontsize": str(style.EDGE_FONT_SIZE),
                "color": style.EDGE_COLOR,
                "fontcolor": style.EDGE_LABEL_COLOR,
                "arrowsize": "0.6",
            },
        )
        edges: dict[tuple[str, ...], list[tuple[Any, Any, int]]] = {}
        drawn: set[Group] = set()
        for node in self.order:
            group = self.membership.get(node)
            if group is not None:
                if group not in drawn:
                    drawn.add(group)
                    self.box(digraph, group)
                box = self.box_ids[group]
                for index, parent in enumerate(node.parents):
                    if self.membership.get(parent) is not group:
                        edges.setdefault((self.unit(parent), box), []).append((parent, node, index))
                continue
            self.value(digraph, node)
            if node.parents:
                op_id = self.ids[node] + "op"
                self.op(digraph, node, op_id)
                digraph.edge(op_id, self.ids[node])
                for index, parent in enumerate(node.parents):
                    tail = self.unit(parent)
                    key = (tail, op_id) if parent in self.membership else (tail, op_id, str(index))
                    edges.setdefault(key, []).append((parent, node, index))
        for (tail, head, *_), uses in edges.items():
            self.edge(digraph, tail, head, uses, highlight_edges)
        self.order_siblings(digraph, edges)
        digraph.attr(label=self.legend())
        return digraph

    def order_siblings(self, digraph: graphviz.Digraph, linked: Iterable[tuple[str, ...]]) -> None:
        """Keep numbered sibling boxes (``neurons.0``, ``neurons.1``, ...) in one column, in number order.

        Siblings joined by an edge (``layers.0`` -> ``layers.1``) follow one another instead.
        """
        linked = [(key[0], key[1]) for key in linked]
        families: dict[str, list[tuple[int, str]]] = {}
        for group in self.groups:
            prefix, _, last = group.key.rpartition(".")
            if last.isdecimal():
                families.setdefault(prefix, []).append((int(last), self.box_ids[group]))
        for members in families.values():
            boxes = {box for _, box in members}
            if len(members) < 2 or any(tail in boxes and head in boxes for tail, head in linked):
                continue
            ids = [box for _, box in sorted(members)]
            with digraph.subgraph() as column:
                column.attr(rank="same")
                for tail, head in zip(ids, ids[1:]):
                    column.edge(tail, head, style="invis")

    def edge(
        self,
        digraph: graphviz.Digraph,
        tail: str,
        head: str,
        uses: list[tuple[Any, Any, int]],
        highlight_edges: set[tuple[Any, Any]],
    ) -> None:
        attrs: dict[str, str] = {}
        parent, child, index = uses[0]
        if len(uses) > 1:
            attrs["label"] = f"\u00d7{len(uses)}"
        elif self.show_local_grads and child not in self.membership and index < len(child.local_grads):
            attrs["label"] = f"<{escape(local_grad(child.local_grads[index]))}>"
            if len(child.parents) > 1:
                attrs["decorate"] = "true"  # edges into one op run close: underline each label and tie it to its edge
        if any((p, c) in highlight_edges for p, c, _ in uses):
            attrs.update(color=style.HIGHLIGHT, fontcolor=style.HIGHLIGHT, penwidth="2.5")
        digraph.edge(tail, head, **attrs)

    def op(self, digraph: graphviz.Digraph, node: Any, op_id: str) -> None:
        text = shortened(op_text(node)) or "?"
        digraph.node(
            op_id,
            label=f"<{escape(text)}>",
            shape="circle" if len(text) <= 2 else "ellipse",
            style="filled",
            fillcolor=style.OP_FILL,
            color=style.OP_BORDER,
            fontsize="12",
            width="0.32",
            height="0.32",
            margin="0.03,0.01",
        )

    def value(self, digraph: graphviz.Digraph, node: Any) -> None:
        kind = style.kind_of(node, self.root)
        name = self.names.get(node)
        if node.label:  # bold; the stepper's name tells apart nodes that share a label
            title = f"<B>{escape(shortened(name or node.label))}</B>"
        elif name:
            title = f"<I>{escape(shortened(name))}</I>"
        else:
            title = ""
        rows = []
        if title or kind.name:
            space = " " if title else ""
            tag = f'<FONT POINT-SIZE="{style.SMALL}" COLOR="{style.MUTED}">{space}{kind.name}</FONT>'
            tag = tag if kind.name else ""
            rows.append(f'<TR><TD COLSPAN="2" {_fill(kind.fill)}>{title}{tag}</TD></TR>')
        data = node.data
        if is_array(data):
            shape = "(" + ", ".join(str(n) for n in data.shape) + ("," if len(data.shape) == 1 else "") + ")"
            dtype = escape(str(getattr(data, "dtype", "")))
            rows.append(_wide(f'<FONT POINT-SIZE="9" COLOR="{style.MUTED}">{escape(shape)} {dtype}</FONT>'))
        rows.append(_row("data", summary(data), "#ffffff", "#000000"))
        if self.show_grad:
            rows.append(self.grad_row(node))
        attrs = self.border(kind, node in self.highlight, kind.dashed)
        digraph.node(self.ids[node], label=_table(rows), **_BOX, **attrs)

    def grad_row(self, node: Any) -> str:
        grad = self.grad(node)
        width = text_width(self.reserve[node], style.FONT_SIZE) + 10 if node in self.reserve else None
        if grad is UNREACHED:
            return _row("grad", "", style.UNREACHED, style.MUTED, width)
        if grad is None:
            return _row("grad", "\u2014", "#ffffff", style.MUTED, width)
        fill, ink = style.grad_colors(style.signal(grad), self.scale)
        return _row("grad", summary(grad), fill, ink, width)

    def border(self, kind: style.Kind, highlighted: bool, dashed: bool) -> dict[str, str]:
        styles = "filled,dashed" if dashed else "filled"
        if highlighted:
            return {"style": styles, "fillcolor": "white", "color": style.HIGHLIGHT, "penwidth": style.HIGHLIGHT_WIDTH}
        return {"style": styles, "fillcolor": "white", "color": kind.border, "penwidth": f"{kind.width:g}"}

    def box(self, digraph: graphviz.Digraph, group: Group) -> None:
        if group.inputs:
            self.input_box(digraph, group)
            return
        outputs = group.outputs
        activation = " / ".join(dict.fromkeys(op_text(n) for n in outputs if n.parents))
        facts = [activation] if activation else []
        if group.neurons:
            facts.insert(0, _count(group.neurons, "neuron"))
        if group.params:
            facts.append(_count(group.params, "param"))
        facts.append(_count(len(group.members), "node"))
        rows = [
            f'<TR><TD COLSPAN="2" {_fill(style.BOX_HEADER)}><B>{escape(shortened(group.key))}</B></TD></TR>',
            _wide(f'<FONT POINT-SIZE="9" COLOR="{style.MUTED}">{escape(shortened(" · ".join(facts)))}</FONT>'),
        ]
        if len(outputs) > 1:
            rows.append(_wide(f'<FONT POINT-SIZE="9">{len(outputs)} outputs</FONT>'))
        rows.extend(self.summary_rows(outputs))
        holds_root = self.membership.get(self.root) is group
        kind = style.KINDS["output"] if holds_root else style.Kind("", "", "#4d4d4d", width=1.6)
        highlighted = any(n in self.highlight for n in group.members)
        attrs = self.border(kind, highlighted, False)
        digraph.node(self.box_ids[group], label=_table(rows), **_BOX, **attrs)

    def input_box(self, digraph: graphviz.Digraph, group: Group) -> None:
        """Many inputs as one box: how many, the first and last names, and summaries of their data and grads."""
        members = group.members
        first, last = members[0].label, members[-1].label
        names = f" \u00b7 {escape(shortened(first))} \u2026 {escape(shortened(last))}" if first and last else ""
        kind = style.KINDS["input"]
        rows = [f'<TR><TD COLSPAN="2" {_fill(kind.fill)}><B>{_count(len(members), "input")}</B>{names}</TD></TR>']
        rows.extend(self.summary_rows(members))
        highlighted = any(n in self.highlight for n in members)
        digraph.node(self.box_ids[group], label=_table(rows), **_BOX, **self.border(kind, highlighted, False))

    def summary_rows(self, nodes: list[Any]) -> list[str]:
        """The data row and (if shown) the grad row of a box that stands for several nodes."""
        rows = [_row("data", _combined([n.data for n in nodes]), "#ffffff", "#000000")]
        if self.show_grad:
            grads = [self.grad(n) for n in nodes]
            if any(g is UNREACHED for g in grads):
                rows.append(_row("grad", "", style.UNREACHED, style.MUTED))
            elif any(g is None for g in grads):
                rows.append(_row("grad", "\u2014", "#ffffff", style.MUTED))
            else:
                signals = [s for s in (style.signal(g) for g in grads) if s is not None]
                mean = sum(signals) / len(signals) if signals else None
                fill, ink = style.grad_colors(mean, self.scale)
                rows.append(_row("grad", _combined(grads), fill, ink))
        return rows

    def legend(self) -> str:
        present = {style.kind_of(node, self.root) for node in self.order if node not in self.membership}
        if self.root in self.membership:  # its box has the output's border
            present.add(style.kind_of(self.root, self.root))
        if any(group.inputs for group in self.groups):
            present.add(style.KINDS["input"])
        parts = [
            f'<TD BGCOLOR="{k.fill}" BORDER="1" COLOR="{k.border}">{k.name}</TD><TD WIDTH="3"></TD>'
            for k in style.KINDS.values()
            if k.name and k in present
        ]
        if self.show_grad:
            swatches = style.ramp()
            middle = len(swatches) // 2
            note = "grad (mean)" if self.tensors else "grad"
            parts.append(f"<TD>\u2003{note}</TD>")
            for i, (fill, ink) in enumerate(swatches):
                text = ""
                if i == 0:
                    text = number(-self.scale) if self.scale else MINUS
                elif i == len(swatches) - 1:
                    text = number(self.scale) if self.scale else "+"
                elif i == middle:
                    text = "0"
                parts.append(f'<TD {_fill(fill)} BORDER="1" WIDTH="14">{_ink(escape(text), ink)}</TD>')
        if self.show_local_grads:
            parts.append(f"<TD>\u2003{PARTIAL} on an edge = d(op result) / d(operand)</TD>")
        if self.groups:
            parts.append("<TD>\u2003a box is one module, showing its output</TD>")
        cells = "".join(parts) or "<TD></TD>"
        return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{cells}</TR></TABLE>>'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _combined(values: list[Any]) -> str:
    if len(values) == 1:
        return summary(values[0])
    if any(is_array(v) for v in values):
        return f"{len(values)} tensors"
    import numpy as np

    return summary(np.array([float(v) for v in values]))


_BOX = {"shape": "box", "margin": "0.025", "width": "0", "height": "0"}


def _wide(markup: str) -> str:
    """A row of one cell across both columns, on white."""
    return f'<TR><TD COLSPAN="2" {_fill("#ffffff")}>{markup}</TD></TR>'


def _row(name: str, value: str, fill: str, ink: str, width: float | None = None) -> str:
    size = f' WIDTH="{width:.0f}"' if width else ""
    return (
        f'<TR><TD ALIGN="LEFT" {_fill(fill)}>{_ink(name, ink)}</TD>'
        f'<TD ALIGN="RIGHT" {_fill(fill)}{size}>{_ink(escape(value), ink)}</TD></TR>'
    )


def _fill(color: str) -> str:
    """A cell's background, with a border of the same colour so neighbouring cells show no seam."""
    return f'BGCOLOR="{color}" COLOR="{color}"'


def _ink(markup: str, color: str) -> str:
    """`markup` in `color` (Graphviz rejects an empty FONT element, and black needs none)."""
    if not markup or color == "#000000":
        return markup
    return f'<FONT COLOR="{color}">{markup}</FONT>'


def _table(rows: list[str]) -> str:
    return f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">{"".join(rows)}</TABLE>>'
