"""Grouping a graph's nodes into one box per neuron or per layer, from the `scope` that `nn` modules set."""

from __future__ import annotations

from typing import Any

from .style import KINDS, kind_of

MODES = ("neuron", "layer")
FOLD_INPUTS = 8
"""Inputs feeding the same boxes are drawn as one box when there are more of them than this."""


def check_mode(collapse: str | None) -> None:
    """Raise ValueError unless `collapse` is None or one of `MODES` (TypeError unless it is None or a str)."""
    valid = ", ".join(repr(m) for m in (None, *MODES))
    if collapse is not None and not isinstance(collapse, str):
        raise TypeError(f"collapse must be one of {valid}; got {type(collapse).__name__} {collapse!r}")
    if collapse is not None and collapse not in MODES:
        raise ValueError(f"collapse must be one of {valid}; got {collapse!r}")


def group_key(scope: str, mode: str) -> str:
    """The box a node with this `scope` goes into ("" for none).

    "neuron" cuts the scope after its last ``neurons.<i>`` (``layers.1.neurons.3``), "layer"
    after its first ``layers.<i>`` (``layers.1``); a scope with neither is its own group, but for the neurons
    of a layer called on its own (``neurons.<i>``), which "layer" puts in one box, ``layer``.
    """
    if not scope:
        return ""
    parts = scope.split(".")
    pairs = [i for i in range(len(parts) - 1) if parts[i + 1].isdecimal()]
    if mode == "neuron":
        cuts = [i for i in pairs if parts[i] == "neurons"]
        cut = cuts[-1] if cuts else None
    else:
        cuts = [i for i in pairs if parts[i] == "layers"]
        cut = cuts[0] if cuts else None
        if cut is None and pairs and pairs[0] == 0 and parts[0] == "neurons":
            return "layer"
    return scope if cut is None else ".".join(parts[: cut + 2])


class Group:
    """The nodes drawn as one box: its members, the members used outside it, and its parameter count.

    A group of `inputs` holds input leaves instead of a module's nodes (its `key` is then "").
    """

    __slots__ = ("key", "members", "outputs", "params", "neurons", "inputs")

    def __init__(self, key: str, inputs: bool = False) -> None:
        self.key = key
        self.members: list[Any] = []
        self.outputs: list[Any] = []
        self.params = 0
        self.neurons = 0
        self.inputs = inputs


def plan(order: list[Any], root: Any, mode: str) -> dict[Any, Group]:
    """``{node: its Group}`` for every node that goes into a box; the rest are drawn as they are.

    A parameter or constant with no scope of its own joins the box all of its users are in,
    so weights created outside a module's scope are still folded into their neuron. Inputs
    never join a module's box, but more than `FOLD_INPUTS` of them that all feed the same
    boxes (a 784-pixel image into the first layer) share one box of their own.
    """
    users: dict[Any, list[Any]] = {node: [] for node in order}
    for node in order:
        for parent in node.parents:
            users[parent].append(node)
    keys = {node: "" if _is_input(node) else group_key(getattr(node, "scope", ""), mode) for node in order}
    for node in order:
        if keys[node] or node.parents or node is root or not _foldable(node):
            continue
        user_keys = {keys[user] for user in users[node]}
        if len(user_keys) == 1:
            keys[node] = user_keys.pop()
    fed_by: dict[Any, tuple[str, ...]] = {}
    for node in order:
        if node is not root and _is_input(node) and not getattr(node, "scope", ""):
            fed = {keys[user] for user in users[node]}
            if fed and "" not in fed:
                fed_by[node] = tuple(sorted(fed))
    sizes: dict[tuple[str, ...], int] = {}
    for fed in fed_by.values():
        sizes[fed] = sizes.get(fed, 0) + 1
    groups: dict[str, Group] = {}
    bundles: dict[tuple[str, ...], Group] = {}
    membership: dict[Any, Group] = {}
    for node in order:
        key = keys[node]
        fed = fed_by.get(node)
        if fed is not None and sizes[fed] > FOLD_INPUTS:
            group = bundles.get(fed)
            if group is None:
                group = bundles[fed] = Group("", inputs=True)
            group.outputs.append(node)
        elif not key:
            continue
        else:
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(key)
        group.members.append(node)
        membership[node] = group
    for group in groups.values():
        for node in group.members:
            if node is root or any(keys[user] != group.key for user in users[node]):
                group.outputs.append(node)
            if not node.parents and getattr(node, "is_parameter", False):
                group.params += int(getattr(node.data, "size", 1))
        group.outputs.sort(key=_module_order)  # a layer's outputs in neuron order, not in the order the walk met them
        if mode == "layer":
            group.neurons = len({group_key(getattr(n, "scope", ""), "neuron") for n in group.members} - {group.key, ""})
    return membership


def _module_order(node: Any) -> tuple[tuple[int, int, str], ...]:
    """A node's module path in the order of its modules: ``layers.0.neurons.10`` after ``layers.0.neurons.2``."""
    path = getattr(node, "scope", "").split(".")
    return tuple((0, int(part), "") if part.isdecimal() else (1, 0, part) for part in path)


def _foldable(node: Any) -> bool:
    return kind_of(node, None) in (KINDS["parameter"], KINDS["constant"])


def _is_input(node: Any) -> bool:
    """A data leaf stays outside every box, even when a module created it (as `nn` does for its inputs)."""
    return not node.parents and kind_of(node, None) is KINDS["input"]
