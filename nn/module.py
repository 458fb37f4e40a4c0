"""`Module`: parameters, names, state dicts and saving, shared by every layer on either backend."""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.autograd import Tensor, Value, graph
from chainrule.autograd.tensor import number_text, unmasked

from .arrays import aligned_copy
from .files import claims_more_than_it_holds, declared_members, named_file, npz_path, save_npz

BACKENDS = ("scalar", "numpy")


def is_parameter(x: Any) -> bool:
    """Whether `x` is something a model learns: a parameter Value or Tensor."""
    return getattr(x, "is_parameter", False) is True


class Module:
    """Base class of every layer and model.

    Attributes holding parameters, lists of parameters, modules, or lists or dicts
    of modules are found automatically, in the order they were assigned; parameters
    in a dict, or in a list with other things, would not be (not trained, not saved),
    so assigning such an attribute is a TypeError; so is assigning a leaf that takes gradients
    but is not a parameter (micrograd's plain ``Value(x)`` as a weight), unless the module
    has a ``parameters()`` of its own. Calling a module runs `forward`
    with the nodes it creates tagged with the module's path (``layers.1.neurons.3``),
    which `viz` uses to group a neuron's ops.
    """

    _path = ""
    _required: tuple[str, ...] = ()
    """Parameters this module's own forward pass cannot go without: setting one to None is a TypeError (any
    other parameter may be removed so, as in PyTorch)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            if type(self).parameters is Module.parameters:  # found by type: a plain leaf would be left out unseen
                _check_leaves(type(self).__name__, name, value)
                _check_replaced_parameter(type(self).__name__, name, self.__dict__.get(name), value,
                                          removable=name not in self._required)
            _check_holder(type(self).__name__, name, value)
            for _, child in _modules_in(name, value):
                if _reaches(child, self):
                    raise TypeError(
                        f"{type(self).__name__}.{name}: the {type(child).__name__} given holds this "
                        f"{type(self).__name__} inside it, so the module would be its own descendant and every walk "
                        f"of its parameters endless: keep a link back to a parent out of public attributes (_owner)"
                    )
        object.__setattr__(self, name, value)
        if not name.startswith("_"):
            for child_name, child in _modules_in(name, value):
                child._place(_join(self._path, child_name))

    def _place(self, path: str) -> None:
        """Record this module's path and tag its parameters with it."""
        object.__setattr__(self, "_path", path)
        for _, param in self._own_parameters():
            param.scope = path
        for name, child in self._children():
            child._place(_join(path, name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        previous = graph.enter_scope(self._path)
        try:
            return self.forward(*args, **kwargs)
        finally:
            graph.leave_scope(previous)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    # --- parameters ---
    def _children(self) -> Iterator[tuple[str, Module]]:
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield from _modules_in(name, value)

    def _parameter_attributes(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of each public attribute that holds a parameter, or a non-empty list or tuple of them."""
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if is_parameter(value):
                yield name, value
            elif isinstance(value, (list, tuple)) and value:
                if not isinstance(value[0], Module) and all(is_parameter(v) for v in value):
                    yield name, value
                elif any(is_parameter(v) for v in value):  # an item added or replaced since: refused as on assignment
                    _check_leaves(type(self).__name__, name, value)
                    _check_holder(type(self).__name__, name, value)
            elif isinstance(value, dict) and any(is_parameter(v) for v in value.values()):
                _check_holder(type(self).__name__, name, value)

    def _own_parameters(self) -> Iterator[tuple[str, Any]]:
        for name, value in self._parameter_attributes():
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    yield f"{name}.{i}", item
            else:
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter) for every parameter, this module's first, then its children's.

        A parameter found in two places (a layer used twice, say) is listed once, under its first
        name, so that an optimizer moves it once per step.
        """
        seen: set[int] = set()
        for name, param in self._every_parameter(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _every_parameter(self, prefix: str) -> Iterator[tuple[str, Any]]:
        for name, param in self._own_parameters():
            yield _join(prefix, name), param
        for name, child in self._children():
            yield from child._every_parameter(_join(prefix, name))

    def parameters(self) -> list[Any]:
        """Every parameter (Values or Tensors), each once, in the order of `named_parameters`.

        The same walk without the names, which a training loop that calls it every step need not build.
        """
        found: dict[int, Any] = {}
        modules: list[Module] = [self]
        walked: set[int] = set()  # a module used twice is walked once
        while modules:
            module = modules.pop()
            if id(module) in walked:
                continue
            walked.add(id(module))
            for _, value in module._parameter_attributes():
                for param in value if isinstance(value, (list, tuple)) else (value,):
                    found.setdefault(id(param), param)
            modules.extend(reversed([child for _, child in module._children()]))
        return list(found.values())

    @property
    def backend(self) -> str:
        """"scalar" when this module's parameters are Values, "numpy" when they are Tensors."""
        return backend_of(self)

    def zero_grad(self) -> None:
        """Clear the gradient of every parameter before the next backward pass."""
        for param in self.parameters():
            param.zero_grad()

    # --- state ---
    def _state_arrays(self) -> dict[str, np.ndarray]:
        """This module's own learned arrays, by name (layers override this to give weight/bias): a list of Values
        as one array of their numbers, a list holding Tensors as one array each (``name.0``, ``name.1``...)."""
        arrays: dict[str, np.ndarray] = {}
        for name, value in self._parameter_attributes():
            if not isinstance(value, (list, tuple)):
                arrays[name] = np.array(value.data, copy=True)
            elif all(isinstance(v, Value) for v in value):
                arrays[name] = np.array([v.data for v in value])
            else:
                for i, item in enumerate(value):
                    arrays[f"{name}.{i}"] = np.array(item.data, copy=True)
        return arrays

    def _load_state_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        for key, array in arrays.items():
            name, _, index = key.partition(".")
            value = getattr(self, name)
            if index:
                _assign(value[int(index)], array)
            elif isinstance(value, (list, tuple)):
                for param, number in zip(value, array.tolist()):
                    param.data = number
            else:
                _assign(value, array)

    def _state_children(self) -> Iterator[tuple[str, Module]]:
        return self._children()

    def state_dict(self) -> dict[str, np.ndarray]:
        """Name -> copy of each learned array; a layer gives ``weight`` (nout, nin) and ``bias`` (nout,).

        A parameter that `parameters()` returns but no attribute holds (micrograd's style: plain
        Values and a `parameters()` of one's own) could be neither saved nor loaded: ValueError.
        """
        named = {id(param) for _, param in self.named_parameters()}
        unnamed = [param for param in self.parameters() if id(param) not in named]
        if unnamed:
            raise ValueError(
                f"state_dict: {type(self).__name__}.parameters() gives {len(unnamed)} parameter(s) that no attribute "
                f"holds as a Parameter, so they could not be saved or loaded: keep them in attributes as "
                f"autograd.Parameter(x) (lists of them too) or Tensor(x, is_parameter=True), or in modules"
            )
        state = dict(self._state_arrays())
        for name, child in self._state_children():
            for key, array in child.state_dict().items():
                state[f"{name}.{key}"] = array
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Copy arrays into this module's parameters, cast to the module's own dtype.

        Raises KeyError listing missing or unexpected keys and ValueError naming a key
        whose shape differs; nothing is changed unless every array fits. A file name is
        not a state dict: ``model.load_state_dict(nn.load(path))`` reads one.
        """
        if not isinstance(state, Mapping):
            if isinstance(state, (str, os.PathLike)):
                raise TypeError(
                    f"load_state_dict takes a state dict, not a file name: read the file first, as in "
                    f"model.load_state_dict(nn.load({str(state)!r}))"
                )
            kind = type(state).__name__
            raise TypeError(f"load_state_dict takes a state dict (a mapping of names to arrays), got {kind}")
        current = self.state_dict()
        missing = sorted(set(current) - set(state))
        unexpected = sorted(set(state) - set(current), key=str)
        if missing or unexpected:
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        arrays = {}
        for key, now in current.items():
            array = np.asarray(unmasked(state[key], f"load_state_dict: {key!r}"))
            if array.shape != now.shape:
                raise ValueError(f"load_state_dict: {key!r} has shape {array.shape}, the model expects {now.shape}")
            if array.dtype.kind not in "iuf":  # True and False are no weights
                raise TypeError(f"load_state_dict: {key!r} holds {array.dtype} values, not numbers")
            with np.errstate(over="ignore"):  # reported below, naming the key
                arrays[key] = array.astype(now.dtype, copy=False)
            if not np.isfinite(array).all():
                raise ValueError(f"load_state_dict: {key!r} holds NaN or inf, which a model cannot compute with")
            if not np.isfinite(arrays[key]).all():
                raise ValueError(
                    f"load_state_dict: {key!r} holds numbers too large for the model's {now.dtype} "
                    f"(up to {number_text(np.abs(array).max())})"
                )
        self._load_nested(arrays, "")
        loaded = self.state_dict()  # a parameter saved under two keys (a module used twice, tied weights) keeps one
        lost = next((key for key in arrays if not np.array_equal(loaded[key], arrays[key], equal_nan=True)), None)
        if lost is not None:
            self._load_nested(current, "")  # all or nothing
            other = next((key for key in arrays if key != lost and arrays[key].shape == arrays[lost].shape
                          and np.array_equal(arrays[key], loaded[lost], equal_nan=True)), None)
            raise ValueError(
                f"load_state_dict: {lost!r} and {repr(other) if other else 'another key'} name one parameter (a "
                f"module or a parameter used twice) but hold different numbers; which to load is not clear"
            )

    def _load_nested(self, arrays: Mapping[str, np.ndarray], prefix: str) -> None:
        own = {name: arrays[_join(prefix, name)] for name in self._state_arrays()}
        self._load_state_arrays(own)
        for name, child in self._state_children():
            child._load_nested(arrays, _join(prefix, name))

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the state dict to an ``.npz`` file, all or nothing; returns the path written.

        ``.npz`` is added to a name without it (any case counts: ``model.NPZ`` stays as it
        is), and `load` finds the file under either name. The folder must exist; the file
        gets the permissions any other new file of yours gets.
        """
        return save_npz(path, self.state_dict(), "model")

    def __repr__(self) -> str:
        children = [f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in self._children()]
        head = f"{type(self).__name__}({self.extra_repr()})"
        return head if not children else head[:-1] + "\n" + "\n".join(children) + "\n)"

    def extra_repr(self) -> str:
        return ""


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a state dict written by `Module.save` or `Optimizer.save` (`path` may leave out the ``.npz`` that
    save adds).

    No pickle is ever loaded: anything but an ``.npz`` file of arrays of numbers is a
    ValueError saying the file is not a saved model or state.
    """
    source = named_file(path, "load")
    if npz_path(source).is_file() and not (source.is_file() and zipfile.is_zipfile(source)):
        source = npz_path(source)  # "run1" names the run1.npz that save("run1") wrote, even beside a file run1
    if not source.exists():
        also = f" or {str(npz_path(source))!r}" if npz_path(source) != source else ""
        raise FileNotFoundError(f"no saved model or state at {str(source)!r}{also}")
    if source.is_dir():
        raise IsADirectoryError(f"{str(source)!r} is a folder, not a saved chainrule model or state")
    not_a_model = (
        f"{str(source)!r} is not a saved chainrule model or state (an .npz file of arrays, as Module.save and "
        f"Optimizer.save write)"
    )
    if not stat.S_ISREG(source.stat().st_mode):  # a pipe, a socket, a device: no file of arrays (a pipe would block)
        raise ValueError(not_a_model)
    with open(source, "rb"):  # a file this user may not read: its PermissionError, not "not a saved model"
        pass
    if not zipfile.is_zipfile(source):
        raise ValueError(not_a_model)
    try:
        with np.load(source, allow_pickle=False) as archive:
            state = {key: archive[key] for key in archive.files}
    # zlib: a damaged compressed member; RuntimeError: an encrypted one; NotImplementedError: an unknown compression
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError):
        raise ValueError(not_a_model) from None
    except MemoryError:  # a real model too large for memory, or a member whose header claims more than it holds
        if claims_more_than_it_holds(source):
            raise ValueError(not_a_model) from None
        raise
    declared = declared_members(source)
    if declared is not None and declared != len(state):  # what a damaged directory hides would be lost unseen
        raise ValueError(f"{str(source)!r} is damaged: it lists {len(state)} of the {declared} arrays it declares")
    if not all(isinstance(array, np.ndarray) and array.dtype.kind in "biuf" for array in state.values()):
        raise ValueError(not_a_model)  # a member that is no .npy comes back as bytes
    return state


def backend_of(model: Any) -> str:
    """The backend a model runs on, told from its parameters: "scalar" (Values) or "numpy" (Tensors).

    Raises TypeError for something that is not a model and ValueError for a model with no
    parameters or with parameters of both kinds.
    """
    parameters = getattr(model, "parameters", None)
    if not callable(parameters):
        raise TypeError(f"expected an nn.Module (a model with parameters()), got {type(model).__name__}")
    kinds = {"numpy" if isinstance(p, Tensor) else "scalar" if isinstance(p, Value) else "?" for p in parameters()}
    name = type(model).__name__
    if not kinds:
        raise ValueError(f"{name} has no parameters, so it is neither a scalar nor a NumPy model")
    if "?" in kinds:
        raise TypeError(f"{name} has a parameter that is neither a Value nor a Tensor")
    if len(kinds) > 1:
        raise ValueError(f"{name} mixes Value and Tensor parameters; a model runs on one backend")
    return kinds.pop()


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _unregistered_leaf(value: Any) -> str | None:
    """How to make `value` a parameter, if it is a leaf that takes gradients but is not one (micrograd's modules
    count every Value as a weight; a Module finds Parameters only, so such a leaf would be neither trained nor
    saved); else None."""
    if type(value) is Value and not value.parents:
        return "make it a Parameter: chainrule.autograd.Parameter(x) where micrograd has Value(x)"
    if isinstance(value, Tensor) and value.requires_grad and not value.is_parameter and not value.parents:
        return "make it with Tensor(x, is_parameter=True)"
    return None


def _check_replaced_parameter(owner: str, name: str, current: Any, value: Any, removable: bool = True) -> None:
    """TypeError for something that is no parameter put where a parameter (or a list of them) was, as PyTorch refuses
    all but None: the module would silently stop training and saving it (a plain Tensor would stay a constant).
    None removes a parameter that is `removable`."""
    was_list = isinstance(current, (list, tuple)) and any(is_parameter(item) for item in current)
    if not (is_parameter(current) or was_list):
        return
    if value is None:
        if removable:
            return
        raise TypeError(
            f"{owner}.{name} cannot be removed: a {owner} computes with it (set its numbers with load_state_dict, or "
            f"use a module without it)"
        )
    was = "was a parameter"
    if was_list and isinstance(value, (list, tuple)):
        position = next((i for i, item in enumerate(value) if not is_parameter(item)), None)
        if position is None:
            return
        where, bad = f"{owner}.{name}[{position}]", value[position]
        if position >= len(current):
            was = "joins a list of parameters"
    elif is_parameter(value):
        return
    else:
        where, bad = f"{owner}.{name}", value
    raise TypeError(
        f"{where} {was}, and a {type(bad).__name__} that is not one would be neither trained nor saved: "
        f"assign a parameter (Tensor(x, is_parameter=True), or Parameter(x) for a Value), or set its numbers with "
        f"load_state_dict"
    )


def _check_leaves(owner: str, name: str, value: Any) -> None:
    """TypeError if `value`, or an item of the list or tuple it is, is a leaf a Module would not find (checked
    for a module that finds its parameters by type: one with a parameters() of its own decides for itself)."""
    items = enumerate(value) if isinstance(value, (list, tuple)) else [(None, value)]
    for position, item in items:
        how = _unregistered_leaf(item)
        if how is not None:
            where = f"{owner}.{name}" if position is None else f"{owner}.{name}[{position}]"
            raise TypeError(
                f"{where} is a {type(item).__name__} that takes gradients but is not a parameter, so the module would "
                f"neither train nor save it: {how}"
            )


def _check_holder(owner: str, name: str, value: Any) -> None:
    """TypeError for parameters or modules where a Module would not find them: parameters in a dict, in a list with
    other things, or in a list or dict inside one; either in a set or an array of objects; modules in a list or dict
    inside a list, tuple or dict."""
    if isinstance(value, (set, frozenset)) or (isinstance(value, np.ndarray) and value.dtype == object):
        if _holds(value, lambda item: isinstance(item, Module) or is_parameter(item)):
            raise TypeError(
                f"{owner}.{name} is a {type(value).__name__} holding parameters or modules, which a Module does not "
                f"look for there, so they would be neither trained nor saved: keep them in a list"
            )
        return
    children = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    nested = next((child for child in children if not isinstance(child, Module) and _holds(child, _is_module)), None)
    if nested is not None:
        raise TypeError(
            f"{owner}.{name} holds modules inside a {type(nested).__name__} of its own, which a Module does not look "
            f"into, so they would be neither trained nor saved: keep modules in one list or dict, or in a Sequential"
        )
    if isinstance(value, dict):
        held = [str(key) for key, item in value.items() if _holds(item, is_parameter)]
        if held:
            raise TypeError(
                f"{owner}.{name} is a dict holding parameters ({', '.join(map(repr, held[:3]))}), which a Module "
                f"does not look for there, so they would be neither trained nor saved: make each an attribute, or "
                f"keep them in a list of parameters or in modules"
            )
    elif isinstance(value, (list, tuple)) and any(_holds(item, is_parameter) for item in value):
        other = next((i for i, item in enumerate(value) if not is_parameter(item)), None)
        if other is not None:  # a list of parameters alone is what a Module finds
            raise TypeError(
                f"{owner}.{name} holds parameters among other things (position {other} is "
                f"{type(value[other]).__name__}), so a Module would not find them: keep parameters in a list of their "
                f"own (not nested), and modules in another"
            )


_PLAIN = (float, int, bool, str, bytes, complex, type(None))
"""Types no parameter or module is, skipped without a call: a module may hold lists of a million numbers."""


def _holds(value: Any, wanted: Callable[[Any], bool]) -> bool:
    """Whether `value` is `wanted`, or a container (list, tuple, dict, set, array of objects) with such an item
    somewhere inside (not looking into modules)."""
    if wanted(value):
        return True
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    elif isinstance(value, np.ndarray) and value.dtype == object:
        items = value.ravel()
    else:
        return False
    return any(_holds(item, wanted) for item in items if type(item) not in _PLAIN)


def _is_module(value: Any) -> bool:
    return isinstance(value, Module)


def _reaches(module: Module, target: Module) -> bool:
    """Whether `target` is `module` or one of the modules inside it."""
    return id(target) in modules_within([module])


def modules_within(modules: Iterable[Module]) -> set[int]:
    """The ids of `modules` and of every module inside them: what a handle kept elsewhere may point at."""
    stack, seen = list(modules), set()
    while stack:
        current = stack.pop()
        if id(current) not in seen:
            seen.add(id(current))
            stack.extend(child for _, child in current._children())
    return seen


def _modules_in(name: str, value: Any) -> Iterator[tuple[str, Module]]:
    """The modules an attribute holds: itself, or those in a list, tuple or dict (named by position or key)."""
    if isinstance(value, Module):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, Module):
                yield f"{name}.{i}", item
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, Module):
                yield f"{name}.{key}", item


def _assign(param: Any, array: np.ndarray) -> None:
    if isinstance(param, Value):
        param.data = float(array)
    else:
        param.data = aligned_copy(array, like=param.data)
