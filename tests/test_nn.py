"""nn modules on the scalar engine: structure, state dicts, saving, the perceptron and the XOR nets."""

import io
import math
import os
import pickle
import re
import stat
import zipfile

import numpy as np
import pytest

from chainrule import nn
from chainrule.autograd import Parameter, Tensor, Value, topological_order
from chainrule.nn.data import logic_gate


def test_mlp_is_micrograd_shaped():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    out = model([1.0, -2.0])
    assert isinstance(out, Value)
    several = nn.MLP(3, [4, 2], seed=0)([1, 2, 3])
    assert isinstance(several, list) and len(several) == 2


def test_one_neuron_hidden_layer_works():
    model = nn.MLP(2, [1, 3], seed=0)
    assert len(model([0.5, 0.5])) == 3
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), list)


def test_micrograd_training_loop_runs_unchanged():
    X, y = nn.data.moons(30, noise=0.1, seed=0)
    y = y * 2 - 1
    model = nn.MLP(2, [8, 1], seed=0)
    losses = []
    for k in range(20):
        scores = list(map(model, [list(map(Value, row)) for row in X]))
        data_loss = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 20) * p.grad
        losses.append(total.data)
    assert losses[-1] < losses[0] * 0.7


def test_seeded_initialisation_is_reproducible():
    a = nn.MLP(2, [4, 1], seed=7).state_dict()
    b = nn.MLP(2, [4, 1], seed=7).state_dict()
    c = nn.MLP(2, [4, 1], seed=8).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["layers.0.weight"], c["layers.0.weight"])
    gen = np.random.default_rng(3)
    d = nn.MLP(2, [4, 1], seed=gen).state_dict()
    e = nn.MLP(2, [4, 1], seed=np.random.default_rng(3)).state_dict()
    assert np.array_equal(d["layers.1.weight"], e["layers.1.weight"])


def test_he_and_glorot_scales():
    relu = nn.Layer(800, 50, "relu", seed=0).state_dict()["weight"]
    tanh = nn.Layer(800, 50, "tanh", seed=0).state_dict()["weight"]
    assert relu.std() == pytest.approx(np.sqrt(2 / 800), rel=0.05) and np.abs(relu).max() <= np.sqrt(6 / 800)
    limit = np.sqrt(6 / 850)
    assert np.abs(tanh).max() <= limit and tanh.std() == pytest.approx(limit / np.sqrt(3), rel=0.05)


def test_state_dict_names_and_shapes():
    state = nn.MLP(3, [4, 2], seed=0).state_dict()
    assert {k: v.shape for k, v in state.items()} == {
        "layers.0.weight": (4, 3),
        "layers.0.bias": (4,),
        "layers.1.weight": (2, 4),
        "layers.1.bias": (2,),
    }


def test_load_state_dict_round_trip_changes_outputs():
    source, target = nn.MLP(3, [4, 2], seed=0), nn.MLP(3, [4, 2], seed=1)
    target.load_state_dict(source.state_dict())
    assert [v.data for v in target([1, 2, 3])] == [v.data for v in source([1, 2, 3])]


def test_load_state_dict_rejects_wrong_shape_naming_key_and_shapes():
    model = nn.MLP(3, [4, 2], seed=0)
    state = model.state_dict()
    state["layers.1.weight"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"'layers\.1\.weight' has shape \(3, 4\), the model expects \(2, 4\)"):
        model.load_state_dict(state)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_load_state_dict_refuses_numbers_the_model_cannot_hold_and_changes_nothing(backend):
    model = nn.MLP(3, [4, 2], seed=0, backend=backend)
    before = model.state_dict()
    state = dict(before)
    state["layers.1.bias"] = np.array([1.0, 1e300])
    message = r"'layers\.1\.bias' holds numbers too large for the model's float32 \(up to 1e\+300\)"
    if backend == "numpy":
        with pytest.raises(ValueError, match=message):
            model.load_state_dict(state)
    state["layers.1.bias"] = np.ma.array([1.0, 99.0], mask=[0, 1])
    with pytest.raises(TypeError, match=r"load_state_dict: 'layers\.1\.bias' cannot be a masked array"):
        model.load_state_dict(state)
    for bad in (np.nan, np.inf):
        state["layers.1.bias"] = np.array([1.0, bad])
        with pytest.raises(ValueError, match=r"'layers\.1\.bias' holds NaN or inf, which a model cannot compute with"):
            model.load_state_dict(state)
    state["layers.1.bias"] = np.array(["a", "b"])
    with pytest.raises(TypeError, match=r"'layers\.1\.bias' holds <U1 values, not numbers"):
        model.load_state_dict(state)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_load_state_dict_lists_missing_and_unexpected_keys():
    model = nn.MLP(3, [4, 2], seed=0)
    state = model.state_dict()
    del state["layers.0.bias"]
    state["layers.9.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['layers\.0\.bias'\], unexpected keys \['layers\.9\.weight'\]"):
        model.load_state_dict(state)


def test_save_and_load_npz(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    path = model.save(tmp_path / "model.npz")
    assert path.exists() and not list(tmp_path.glob("*.tmp"))
    other = nn.MLP(2, [3, 1], seed=5)
    other.load_state_dict(nn.load(path))
    assert other([0.3, 0.7]).data == model([0.3, 0.7]).data


def test_save_adds_the_suffix_and_a_failed_save_leaves_nothing(tmp_path, monkeypatch):
    model = nn.MLP(2, [3, 1], seed=0)
    assert model.save(tmp_path / "weights").name == "weights.npz"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "again.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.npz"]


def test_load_missing_file():
    with pytest.raises(FileNotFoundError, match="no saved model or state at"):
        nn.load("/nonexistent/model.npz")


def test_nodes_carry_their_module_path():
    model = nn.MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])
    scopes = {node.scope for node in topological_order(out) if node.parents}
    assert scopes == {"layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2", "layers.1.neurons.0"}
    weights = model.layers[1].neurons[0].w
    assert {w.scope for w in weights} == {"layers.1.neurons.0"} and all(w.is_parameter for w in weights)


def test_named_parameters():
    names = [name for name, _ in nn.MLP(2, [2, 1], seed=0).named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert len(names) == 9


def test_parameters_are_named_parameters_in_the_same_order_each_once():
    shared = nn.Linear(3, 2, seed=0)
    model = nn.Module()
    model.scale = Tensor(np.ones(2), is_parameter=True)
    model.head = nn.Sequential(nn.Linear(2, 3, seed=1), nn.ReLU(), shared)
    model.blocks = {"b": shared, "a": nn.Linear(2, 2, seed=2)}
    model.extra = (nn.Linear(2, 1, seed=3), shared)
    model.offsets = [Tensor(np.zeros(1), is_parameter=True), Tensor(np.zeros(2), is_parameter=True)]
    named = [param for _, param in model.named_parameters()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in named]
    assert named[:3] == [model.scale, *model.offsets]  # a module's own first, then its children's
    assert len(named) == 3 + 4 + 2 + 2  # the shared layer's two once, in the Sequential where it comes first
    scalar = nn.MLP(2, [3, 1], seed=0)
    assert [id(p) for p in scalar.parameters()] == [id(p) for _, p in scalar.named_parameters()]


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_a_layer_used_twice_is_one_set_of_parameters_moved_once_per_step(backend):
    if backend == "numpy":
        layer = nn.Linear(2, 2, seed=0, dtype="float64")
        model = nn.Sequential(layer, nn.Tanh(), layer)
    else:
        layer = nn.Layer(2, 2, activation="tanh", seed=0)
        model = nn.Module()
        model.layers = [layer, layer]
    names = [name for name, _ in model.named_parameters()]
    first_place = "0." if backend == "numpy" else "layers.0."
    assert len(names) == len(layer.parameters()) and all(name.startswith(first_place) for name in names)
    before = [np.array(p.data, dtype=float) for p in layer.parameters()]
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    x = [1.0, -2.0] if backend == "scalar" else np.array([[1.0, -2.0]])
    out = layer(layer(x)) if backend == "scalar" else model(x)
    (sum(out) if backend == "scalar" else out.sum()).backward()
    grads = [np.array(p.grad, dtype=float) for p in layer.parameters()]
    optimizer.step()
    for p, start, grad in zip(layer.parameters(), before, grads):
        np.testing.assert_allclose(np.array(p.data, dtype=float), start - 0.1 * grad, rtol=1e-12)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.MLP(0, [1]), ValueError, "nin must be a positive integer, got 0"),
        (lambda: nn.MLP(2, 3), TypeError, "nouts must be a non-empty list of layer sizes, got int 3"),
        (lambda: nn.MLP(2, np.array([3, 1])), TypeError,
         r"nouts must be a non-empty list .* got ndarray array\(\[3, 1\]\)"),
        (lambda: nn.MLP(2, []), ValueError, r"nouts must be a non-empty list of layer sizes, got \[\]"),
        (lambda: nn.MLP(2, [3], activation="gelu"), ValueError, "unknown activation 'gelu'; expected one of relu"),
        (lambda: nn.MLP(2, [3], activation=3), TypeError, "an activation is named by a str, one of relu, .* got int 3"),
        (lambda: nn.Linear(2, 3, activation=None), TypeError, "an activation is named by a str, .* got NoneType None"),
        (lambda: nn.Layer(2, 3, activation=["relu"]), TypeError, r"got list \['relu'\]"),
        (lambda: nn.MLP(2, [3], backend="cuda"), ValueError, "unknown backend 'cuda'"),
        (lambda: nn.MLP(2, [3], seed="x"), TypeError, "seed must be an int"),
        (lambda: nn.MLP(2, [3], seed=0)([1.0]), ValueError, r"expected 2 inputs \(nin\), got 1"),
        (lambda: nn.MLP(2, [3], seed=0)("ab"), TypeError, "expected a sequence of numbers"),
    ],
)
def test_bad_model_input(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("gate", ["and", "or", "nand"])
def test_perceptron_learns_linearly_separable_gates(gate):
    X, y = logic_gate(gate)
    perceptron = nn.Perceptron(2)
    result = perceptron.fit(X, y, epochs=100, lr=0.1)
    assert result.converged and result.accuracy[-1] == 1.0
    assert perceptron.predict(X).tolist() == y.tolist()


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"X": [[np.nan, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]}, ValueError,
         r"X has NaN or inf in 1 of 4 rows \(rows 0\)"),
        ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, ValueError, "X is empty"),
        ({"X": [[0.0], [1.0], [0.0], [1.0]]}, ValueError, "X rows have 1 features but the model expects nin=2"),
        ({"y": [0, 1, 1]}, ValueError, "X has 4 samples but y has 3"),
        ({"y": np.zeros((4, 2))}, ValueError,
         r"y must hold one 0/1 target per sample, got shape \(4, 2\) for 4 samples"),
        ({"epochs": -3}, ValueError, "epochs must be a positive integer, got -3"),
        ({"epochs": "3"}, TypeError, "epochs must be a positive integer, got str '3'"),
        ({"lr": -1.0}, ValueError, "lr must be a finite number > 0, got -1.0"),
        ({"lr": "0.1"}, TypeError, "lr must be a number, got '0.1'"),
    ],
)
def test_perceptron_fit_refuses_bad_input(changes, error, message):
    X, y = logic_gate("and")
    perceptron = nn.Perceptron(2)
    with pytest.raises(error, match=message):
        perceptron.fit(**{"X": X, "y": y, **changes})
    assert [w.data for w in perceptron.w] == [0.0, 0.0] and perceptron.b.data == 0.0


def test_perceptron_weights_that_overflow_name_the_learning_rate():
    X, y = logic_gate("and")
    with pytest.raises(FloatingPointError, match=r"the perceptron's weights overflowed in epoch 1 \(op 'sum' "
                                                 r"overflows a float.*\): lr=1e\+308 is too large"):
        nn.Perceptron(2, seed=0).fit(X, y, lr=1e308)


def test_perceptron_weights_that_overflow_after_the_last_update_of_an_epoch_name_the_learning_rate():
    X, y = logic_gate("nand")  # the epoch's last update overflows the sums its accuracy reads
    with pytest.raises(FloatingPointError, match=r"the perceptron's weights overflowed in epoch 1 \(op 'sum' "
                                                 r"overflows a float.*\): lr=1e\+308 is too large"):
        nn.Perceptron(2, seed=0).fit(X, y, lr=1e308)


@pytest.mark.parametrize(
    ("X", "lr", "shown"),
    [([[1.0], [-1.0]], 1e308, "an update made them 0, inf"),  # the bias alone becomes inf
     ([[1e200], [-1e200]], 1e200, "an update made them inf, 1e+200")],  # the weight: lr · x
)
def test_perceptron_updates_that_reach_inf_are_refused_not_kept(X, lr, shown):
    perceptron = nn.Perceptron(1)
    with pytest.raises(FloatingPointError, match=re.escape(f"overflowed in epoch 1 ({shown}): lr={lr:g} is too large")):
        perceptron.fit(X, [1, 1], epochs=5, lr=lr)


def test_perceptron_weights_that_are_nan_before_training_are_refused_without_blaming_the_learning_rate():
    perceptron = nn.Perceptron(2)
    perceptron.w[0].data = math.nan
    with pytest.raises(ValueError, match=re.escape("the perceptron's weights and bias hold NaN or inf before training "
                                                   "(nan, 0, 0): set finite ones")):
        perceptron.fit(*logic_gate("and"), lr=0.1)


def test_perceptron_weights_too_large_for_the_inputs_before_training_are_named_not_the_learning_rate():
    perceptron = nn.Perceptron(2)
    perceptron.w[0].data = perceptron.w[1].data = 1e308
    with pytest.raises(ValueError, match=re.escape("overflows a float on these inputs before training, with weights "
                                                   "and bias 1e+308, 1e+308, 0: scale the inputs down")):
        perceptron.fit(*logic_gate("and"), lr=1e-9)


@pytest.mark.parametrize("replaced", [0, 1])
def test_a_layer_refuses_a_neuron_whose_weights_were_replaced_by_a_list_of_another_length(replaced):
    layer = nn.Layer(3, 2, "linear", seed=0)
    layer.neurons[replaced].w = [Parameter(1.0), Parameter(1.0)]
    other = 1 - replaced
    message = (f"Layer's neuron 1 has {len(layer.neurons[1].w)} weights, neuron 0 has {len(layer.neurons[0].w)}")
    with pytest.raises(ValueError, match=re.escape(message)):
        layer([1.0, 2.0, 3.0])
    assert len(layer.neurons[other].w) == 3


def test_perceptron_predict_wants_rows():
    with pytest.raises(ValueError, match=r"X must have shape \(samples, 2\), got \(2,\)"):
        nn.Perceptron(2).predict([0.0, 1.0])
    with pytest.raises(TypeError, match="X must hold numbers"):
        nn.Perceptron(2).predict([["a", "b"]])


def test_perceptron_fails_on_xor_without_raising():
    X, y = logic_gate("xor")
    result = nn.Perceptron(2).fit(X, y, epochs=50, lr=0.1)
    assert not result.converged and result.epochs == 50
    assert result.best_accuracy <= 0.75


def test_perceptron_rejects_non_binary_targets():
    with pytest.raises(ValueError, match=r"targets must be 0 or 1, got \[-1\.0, 1\.0\]"):
        nn.Perceptron(2).fit([[0, 0], [1, 1]], [-1, 1])


def test_hand_set_xor_network_is_exactly_xor():
    model = nn.presets.xor_by_hand()
    X, y = logic_gate("xor")
    assert [round(model(list(row)).data) for row in X] == y.astype(int).tolist()
    state = model.state_dict()
    assert state["layers.0.weight"].tolist() == [[20, 20], [-20, -20]]
    assert state["layers.1.bias"].tolist() == [-30]


def test_trained_2_4_1_xor_net_from_a_fixed_seed():
    X, y = logic_gate("xor")
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="sigmoid", seed=0)
    nn.fit(model, X, y, "binary_cross_entropy", nn.Adam(model.parameters(), lr=0.1), epochs=300, progress=False)
    assert np.round(nn.predict(model, X)[:, 0]).tolist() == y.tolist()


@pytest.mark.parametrize("name", ["and", "or", "nand", "nor", "xor", "xnor"])
def test_logic_gate_truth_tables(name):
    X, y = logic_gate(name)
    a, b = X[:, 0].astype(bool), X[:, 1].astype(bool)
    expected = {"and": a & b, "or": a | b, "nand": ~(a & b), "nor": ~(a | b), "xor": a ^ b, "xnor": ~(a ^ b)}[name]
    assert y.astype(bool).tolist() == expected.tolist()


def test_unknown_gate():
    with pytest.raises(ValueError, match="unknown logic gate 'imply'; expected one of and, or"):
        logic_gate("imply")
    for name in (["xor"], None, 3):
        with pytest.raises(TypeError, match=re.escape(f"logic_gate() takes a gate's name (a str), got "
                                                      f"{type(name).__name__} {name!r}; one of and, or")):
            logic_gate(name)


def test_moons_shape_labels_and_seed():
    X, y = nn.data.moons(101, noise=0.1, seed=0)
    assert X.shape == (101, 2) and sorted(set(y.tolist())) == [0.0, 1.0]
    assert np.array_equal(X, nn.data.moons(101, noise=0.1, seed=0)[0])
    with pytest.raises(ValueError, match="n >= 2"):
        nn.data.moons(1)
    for n in ("5", 5.0, None, True):
        with pytest.raises(TypeError, match=re.escape(f"moons() needs n to be an int (how many points), got "
                                                      f"{type(n).__name__} {n!r}")):
            nn.data.moons(n)
    with pytest.raises(ValueError, match="moons\\(\\) needs a finite noise >= 0, got nan"):
        nn.data.moons(10, noise=float("nan"))
    with pytest.raises(TypeError, match="moons\\(\\) needs noise to be a number, got 'a'"):
        nn.data.moons(10, noise="a")
    X, y = nn.data.moons(10, noise=0, seed=0)  # n // 2 on each moon, in a shuffled order
    assert y.sum() == 5 and not np.array_equal(y, np.sort(y))
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)


# --- saving and loading: names, permissions, folders and files that are not models ---


def test_save_and_load_agree_on_the_npz_suffix(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    assert model.save(tmp_path / "model") == tmp_path / "model.npz"
    assert nn.load(tmp_path / "model").keys() == model.state_dict().keys()  # load finds what save wrote
    assert model.save(tmp_path / "upper.NPZ") == tmp_path / "upper.NPZ"  # any case is the suffix
    assert nn.load(str(tmp_path / "upper.NPZ")).keys() == model.state_dict().keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "upper.NPZ"]


def test_a_saved_model_gets_the_users_permissions(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    previous = os.umask(0o022)
    try:
        assert stat.S_IMODE(model.save(tmp_path / "shared.npz").stat().st_mode) == 0o644
        os.umask(0o077)
        assert stat.S_IMODE(model.save(tmp_path / "private.npz").stat().st_mode) == 0o600
        (tmp_path / "shared.npz").chmod(0o664)  # an existing file keeps its mode
        assert stat.S_IMODE(model.save(tmp_path / "shared.npz").stat().st_mode) == 0o664
    finally:
        os.umask(previous)


def test_save_into_a_missing_folder_says_so_before_any_work(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("nothing is written before the folder is checked")

    monkeypatch.setattr(np, "savez", never)
    target = tmp_path / "no" / "such" / "model.npz"
    with pytest.raises(FileNotFoundError) as error:
        nn.MLP(2, [3, 1], seed=0).save(target)
    assert str(error.value) == f"cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist"
    with pytest.raises(IsADirectoryError) as error:
        nn.MLP(2, [3, 1], seed=0).save(tmp_path)
    assert str(error.value) == f"cannot save the model to {str(tmp_path)!r}: it is a folder; give a file name"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("act", "given", "kind", "message"),
    [
        ("save", "", ValueError, "cannot save the model to '': the path is empty; give a file name"),
        ("save", ".", IsADirectoryError, "cannot save the model to '.': it names a folder, not a file"),
        ("save", "runs/", ValueError, "cannot save the model to 'runs/': it names a folder, not a file"),
        ("save", "runs/.", ValueError, "cannot save the model to 'runs/.': it names a folder, not a file"),
        ("save optimizer", "..", IsADirectoryError, "cannot save the optimizer's state to '..': it names a folder"),
        ("load", ".", IsADirectoryError, "cannot load '.': it names a folder, not a file; give a file name"),
        ("load", "", ValueError, "cannot load '': the path is empty; give a file name"),
        ("load", "m.npz/", ValueError, "cannot load 'm.npz/': it names a folder, not a file"),
    ],
)
def test_a_path_naming_a_folder_is_refused_where_pathlib_would_drop_its_slash(tmp_path, monkeypatch, act, given,
                                                                               kind, message):
    model = nn.MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.npz")
    monkeypatch.chdir(tmp_path)
    actions = {"save": model.save, "save optimizer": nn.SGD(model.parameters()).save, "load": nn.load}
    with pytest.raises(kind, match=re.escape(message)):
        actions[act](given)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["m.npz"]


def test_an_unwritable_folder_names_the_file_not_the_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "model.npz"

    def refused(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(PermissionError) as error:
        nn.MLP(2, [3, 1], seed=0).save(target)
    assert str(error.value) == f"[Errno 13] Permission denied: {str(target)!r}"


def _not_a_model(path):
    return (
        f"{str(path)!r} is not a saved chainrule model or state (an .npz file of arrays, as Module.save and "
        f"Optimizer.save write)"
    )


@pytest.mark.parametrize(
    "name, write",
    [
        ("notes.npz", lambda path: path.write_text("weights: 1 2 3\n")),
        ("dumped.npz", lambda path: path.write_bytes(pickle.dumps({"layers.0.weight": [1.0]}))),
        ("array.npy", lambda path: np.save(path, np.zeros(3))),
        ("objects.npz", lambda path: np.savez(path, weight=np.array([{"a": 1}], dtype=object))),
        ("words.npz", lambda path: np.savez(path, weight=np.array(["a", "b"]))),
        ("cut.npz", lambda path: path.write_bytes(_saved_bytes()[:200])),
        ("other.npz", lambda path: _zip_of_text(path)),
        ("damaged.npz", lambda path: path.write_bytes(_compressed_with_a_damaged_stream())),
        ("boasting.npz", lambda path: _zip_claiming_a_huge_array(path)),
        ("forged.npz", lambda path: _zip_claiming_a_huge_array(path, directory_claims=2**44)),
    ],
)
def test_load_refuses_what_is_not_a_saved_model_without_suggesting_pickles(tmp_path, name, write):
    path = tmp_path / name
    write(path)
    with pytest.raises(ValueError) as error:
        nn.load(path)
    assert str(error.value) == _not_a_model(path)
    assert "pickle" not in str(error.value).replace(str(tmp_path), "")


def _zip_claiming_a_huge_array(path, directory_claims=None):
    """A 200-byte npz whose one member's header claims 10**12 numbers: reading it would need terabytes. With
    `directory_claims`, the member is deflated and the zip directory says it unpacks to that many bytes, more than
    the header claims."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    if directory_claims is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("layers.0.weight.npy", header.getvalue())
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("layers.0.weight.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
        archive.filelist[0].file_size = directory_claims


def test_load_of_a_file_this_user_may_not_read_says_so(tmp_path, monkeypatch):
    from chainrule.nn import module

    path = nn.MLP(2, [3, 1], seed=0).save(tmp_path / "m")

    def refused(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(module, "open", refused, raising=False)
    with pytest.raises(PermissionError, match=re.escape(f"[Errno 13] Permission denied: {str(path)!r}")):
        nn.load(path)


def test_save_refuses_to_replace_a_write_protected_file_and_takes_the_longest_names(tmp_path, write_protect):
    kept = tmp_path / "best.npz"
    kept.write_bytes(b"the best run")
    write_protect(kept)
    with pytest.raises(PermissionError) as error:
        nn.MLP(2, [3, 1], seed=0).save(kept)
    assert str(error.value) == f"[Errno 13] Permission denied: {str(kept)!r}"
    assert kept.read_bytes() == b"the best run" and sorted(p.name for p in tmp_path.iterdir()) == ["best.npz"]
    longest = tmp_path / ("w" * 251 + ".npz")  # 255 bytes, the most a file name may have here
    assert nn.load(nn.MLP(2, [3, 1], seed=0).save(longest)).keys()


def test_load_of_a_socket_is_no_saved_model(tmp_path):
    import socket

    path = tmp_path / "model.npz"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(ValueError) as error:
            nn.load(path)
    assert str(error.value) == _not_a_model(path)


def test_load_of_a_named_pipe_is_no_saved_model_and_does_not_wait_for_a_writer(tmp_path):
    import signal

    class Waited(Exception):  # no OSError, which load might take for a file it cannot read
        pass

    def waited(*_):
        raise Waited("nn.load waited for a writer to the pipe")

    path = tmp_path / "model.npz"
    os.mkfifo(path)
    previous = signal.signal(signal.SIGALRM, waited)
    signal.alarm(5)
    try:
        with pytest.raises(ValueError) as error:
            nn.load(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert str(error.value) == _not_a_model(path)


def test_a_member_claiming_more_than_it_holds_is_told_from_a_model_too_large_for_memory(tmp_path):
    from chainrule.nn.files import claims_more_than_it_holds

    _zip_claiming_a_huge_array(tmp_path / "boasting.npz")
    assert claims_more_than_it_holds(tmp_path / "boasting.npz")
    assert not claims_more_than_it_holds(nn.MLP(2, [3, 1], seed=0).save(tmp_path / "real"))


def _zip_of_text(path):
    """A zip file with the .npz suffix that holds no .npy member, which NumPy reads as bytes."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hi")


def _compressed_with_a_damaged_stream():
    """np.savez_compressed's file of a model with one byte of the first member's deflate stream flipped, which zlib
    itself refuses (zlib.error, no built-in exception) before the zip's checksum is reached."""
    import zipfile
    import zlib

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **nn.MLP(2, [3, 1], seed=0).state_dict())
    data = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0]
    data[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 20] ^= 0xFF
    with pytest.raises(zlib.error), np.load(io.BytesIO(bytes(data))) as archive:
        archive[archive.files[0]]
    return bytes(data)


def _saved_bytes():
    buffer = io.BytesIO()
    np.savez(buffer, **nn.MLP(2, [3, 1], seed=0).state_dict())
    return buffer.getvalue()


def test_load_names_both_files_it_looked_for_and_refuses_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        nn.load(tmp_path / "model")
    assert str(error.value) == (
        f"no saved model or state at {str(tmp_path / 'model')!r} or {str(tmp_path / 'model.npz')!r}"
    )
    with pytest.raises(IsADirectoryError) as error:
        nn.load(tmp_path)
    assert str(error.value) == f"{str(tmp_path)!r} is a folder, not a saved chainrule model or state"


def test_load_refuses_an_archive_whose_directory_hides_members_or_needs_a_password(tmp_path):
    import zipfile

    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    path = model.save(tmp_path / "model.npz")
    data = bytearray(path.read_bytes())
    directory = data.index(b"PK\x01\x02")  # the first entry of the central directory
    data[directory + 33] = 0x70  # the high byte of its comment's length: the entries after it are read as comment
    hidden = tmp_path / "hidden.npz"
    hidden.write_bytes(bytes(data))
    assert len(zipfile.ZipFile(hidden).namelist()) == 1  # zipfile itself lists the one entry without a word
    with pytest.raises(ValueError) as error:
        nn.load(hidden)
    assert str(error.value) == f"{str(hidden)!r} is damaged: it lists 1 of the 4 arrays it declares"
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the first member's "encrypted" flag, in its local header and in the directory
    data[data.index(b"PK\x01\x02") + 8] |= 1
    locked = tmp_path / "locked.npz"
    locked.write_bytes(bytes(data))
    with pytest.raises(ValueError) as error:
        nn.load(locked)
    assert str(error.value) == _not_a_model(locked)


def test_load_finds_the_npz_save_wrote_beside_a_file_of_the_name_given(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    (tmp_path / "run1").write_text("notes on run 1\n")
    model.save(tmp_path / "run1")
    state = nn.load(tmp_path / "run1")
    assert all(np.array_equal(state[key], value) for key, value in model.state_dict().items())


def test_parameters_named_as_numpy_savez_arguments_are_saved_too(tmp_path):
    from chainrule.autograd import Parameter

    class Named(nn.Module):
        def __init__(self):
            self.file, self.allow_pickle, self.w = Parameter(1.0), Parameter(2.0), Parameter(3.0)

    state = nn.load(Named().save(tmp_path / "named"))
    assert {key: float(value) for key, value in state.items()} == {"file": 1.0, "allow_pickle": 2.0, "w": 3.0}


def test_a_number_beyond_any_float_is_shown_as_itself():
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy", dtype="float64")
    state = model.state_dict()
    state["layers.0.weight"] = np.full(state["layers.0.weight"].shape, np.longdouble("1e400"))
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    assert str(error.value) == "load_state_dict: 'layers.0.weight' holds numbers too large for the model's float64 " \
                               "(up to 1e+400)"


def test_load_state_dict_with_a_file_name_points_at_nn_load():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError) as error:
        model.load_state_dict("model.npz")
    assert str(error.value) == (
        "load_state_dict takes a state dict, not a file name: read the file first, as in "
        "model.load_state_dict(nn.load('model.npz'))"
    )
    with pytest.raises(TypeError) as error:
        model.load_state_dict([np.zeros(3)])
    assert str(error.value) == "load_state_dict takes a state dict (a mapping of names to arrays), got list"


def test_save_under_a_file_says_the_folder_is_not_one(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    target = tmp_path / "notes.txt" / "model.npz"
    with pytest.raises(FileNotFoundError) as error:
        nn.MLP(2, [3, 1], seed=0).save(target)
    assert str(error.value) == f"cannot write {str(target)!r}: the folder {str(target.parent)!r} is not a folder"


def test_a_neuron_takes_micrograds_nonlin_and_checks_its_weights():
    linear = nn.Neuron(2, nonlin=False, weights=[0.5, -1.0], bias=0.25)
    assert linear([2.0, 3.0]).data == 0.5 * 2.0 - 1.0 * 3.0 + 0.25  # no ReLU: the negative sum stays
    relu = nn.Neuron(2, nonlin=True, weights=[0.5, -1.0], bias=0.25)
    assert relu([2.0, 3.0]).data == 0.0
    by_position = nn.Neuron(2, False, weights=[0.5, -1.0], bias=0.25)  # micrograd's Neuron(nin, nonlin)
    assert by_position.activation == "linear" and by_position([2.0, 3.0]).data == linear([2.0, 3.0]).data
    assert nn.Neuron(2, True, seed=0).activation == "relu"
    with pytest.raises(ValueError, match="give the activation once: activation=False or micrograd's nonlin=True"):
        nn.Neuron(2, False, nonlin=True)
    with pytest.raises(ValueError, match="Neuron got 3 weights for nin=2"):
        nn.Neuron(2, weights=[1.0, 2.0, 3.0])


def test_a_module_without_forward_says_so():
    class Empty(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="Empty does not define forward\\(\\)"):
        Empty()([1.0])


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda X, y: nn.Recorder(nn.Sequential(nn.Tanh()), X, y, "mse"), ValueError,
         "Sequential has no parameters, so it is neither a scalar nor a NumPy model"),
        (lambda X, y: nn.Recorder(nn.MLP(2, [3, 1], seed=0), X, np.stack([y, y], axis=1), "mse"), ValueError,
         r"y must hold one target per sample: 4 samples but y has shape \(8,\)"),
        (lambda X, y: nn.Recorder(nn.MLP(2, [3, 1], seed=0), X, y[:3], "mse"), ValueError,
         "X has 4 samples but y has 3"),
        (lambda X, y: nn.Recorder(nn.MLP(3, [3, 1], seed=0), np.hstack([X, X[:, :1]]), y, "mse"), ValueError,
         "Recorder films models with 2 inputs \\(a point of the plane\\); this one has 3"),
        (lambda X, y: nn.Recorder(nn.MLP(2, [3, 2], seed=0), X, y, "mse"), ValueError,
         "Recorder films models with 1 output \\(two classes\\); this one has 2"),
    ],
)
def test_recorder_refuses_what_it_cannot_film(make, error, message):
    X, y = logic_gate("xor")
    with pytest.raises(error, match=message):
        make(X, y)


def test_modules_in_a_dict_are_found_named_by_key_and_trained():
    class Net(nn.Module):
        def __init__(self):
            self.hidden = {"a": nn.Layer(2, 3, "tanh", seed=0)}
            self.out = nn.Layer(3, 1, "linear", seed=1)

        def forward(self, x):
            return self.out(self.hidden["a"](x))

    net = Net()
    assert len(net.parameters()) == 13
    assert list(net.state_dict()) == ["hidden.a.weight", "hidden.a.bias", "out.weight", "out.bias"]
    assert net.hidden["a"].neurons[0].w[0].scope == "hidden.a.neurons.0"
    before = net.hidden["a"].state_dict()["weight"]
    X, y = nn.data.logic_gate("xor")
    nn.fit(net, X, y, "mse", nn.SGD(net.parameters(), lr=0.5), epochs=2, progress=False)
    assert not np.array_equal(before, net.hidden["a"].state_dict()["weight"])


def test_a_state_dict_that_would_leave_parameters_out_is_refused(tmp_path):
    class MicrogradStyle(nn.Module):  # plain Values and a parameters() of its own
        def __init__(self):
            self.w = [Value(0.5), Value(-0.3)]
            self.b = Value(0.1)

        def forward(self, x):
            return sum((wi * xi for wi, xi in zip(self.w, x)), self.b)

        def parameters(self):
            return self.w + [self.b]

    model = MicrogradStyle()
    message = (r"state_dict: MicrogradStyle.parameters\(\) gives 3 parameter\(s\) that no attribute holds as a "
               r"Parameter, so they could not be saved or loaded")
    for act in (model.state_dict, lambda: model.save(tmp_path / "m"), lambda: model.load_state_dict({})):
        with pytest.raises(ValueError, match=message):
            act()
    assert list(tmp_path.iterdir()) == []


def test_activation_modules_apply_to_each_output_of_a_scalar_layer():
    model = nn.Sequential(nn.Layer(2, 3, "linear", seed=0), nn.Tanh(), nn.Layer(3, 1, "linear", seed=1))
    hidden = nn.Layer(2, 3, "linear", seed=0)([0.5, -1.0])
    expected = nn.Layer(3, 1, "linear", seed=1)([math.tanh(h.data) for h in hidden])[0].data
    assert model([0.5, -1.0])[0].data == pytest.approx(expected, rel=1e-15)
    with pytest.raises(TypeError, match="activation .tanh. applies to a Value, a list of Values or a Tensor, got fl"):
        nn.Tanh()(3.0)


@pytest.mark.parametrize("module", [nn.MLP(2, [3, 1], seed=0), nn.Layer(2, 3, seed=0), nn.Neuron(2, seed=0)])
def test_a_single_value_as_a_sample_says_what_a_sample_is(module):
    with pytest.raises(TypeError, match="expected a sequence of numbers or Values \\(one sample\\), got Value"):
        module(Value(1.0))


@pytest.mark.parametrize("make, error, message", [
    (lambda m: m(2, nonlin="tanh"), TypeError,
     "nonlin is micrograd's True (ReLU) or False (no activation), got 'tanh'; for 'tanh' write activation='tanh'"),
    (lambda m: m(2, nonlin=1), TypeError, "nonlin is micrograd's True (ReLU) or False (no activation), got 1"),
    (lambda m: m(2, "tanh", nonlin=False), ValueError,
     "give the activation once: activation='tanh' or micrograd's nonlin=False"),
])
@pytest.mark.parametrize("module", [nn.Neuron, lambda nin, *args, **kwargs: nn.Layer(nin, 3, *args, **kwargs)])
def test_micrograds_nonlin_takes_only_a_bool_and_never_overrides_an_activation(module, make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make(module)
    assert module(2, nonlin=False).activation == "linear" and module(2, nonlin=True).activation == "relu"
    assert module(2, "linear", nonlin=False).activation == "linear"  # the two agree: nothing to refuse
    for nonlin, activation in ((False, "linear"), (True, "relu")):  # initialised for the activation nonlin names
        named, plain = module(2, nonlin=nonlin, seed=0).state_dict(), module(2, activation, seed=0).state_dict()
        assert all(np.array_equal(named[key], plain[key]) for key in plain)


def test_an_overflow_in_a_perceptrons_callback_blames_the_learning_rate_only_if_the_weights_overflow():
    X, y = logic_gate("and")
    with pytest.raises(OverflowError, match="math range error"):  # the callback's own bug, passed on as it is
        nn.Perceptron(2, seed=0).fit(X, y, epochs=2, lr=0.1, on_step_end=lambda step, figures: math.exp(1000))
    model = nn.Perceptron(2, seed=0)
    recorder = nn.Recorder(model, X, y, "mse")  # its pass over every sample meets the overflow first
    with pytest.raises(FloatingPointError, match="the perceptron's weights overflowed in epoch 1 .*: lr=1e\\+308"):
        model.fit(X, y, epochs=2, lr=1e308, on_step_end=recorder)


@pytest.mark.parametrize(
    ("settings", "kind", "message"),
    [
        ({"weights": {2.0, 1.0}}, TypeError, "Neuron weights must be a list of real numbers, got set"),
        ({"weights": "12"}, TypeError, "Neuron weights must be a list of real numbers, got str '12'"),
        ({"weights": [True, 1.0]}, TypeError, "Neuron weights: expected a real number, got bool True"),
        ({"bias": "1.5"}, TypeError, "Neuron bias: expected a real number, got str '1.5'"),
        ({"weights": [10**400, 1.0]}, OverflowError, "expected a number a float can hold, got an int of 401 digits"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0, a numpy.random.Generator or None, got -1"),
    ],
)
def test_a_neuron_refuses_weights_a_float_would_read_otherwise(settings, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        nn.Neuron(2, **settings)
    assert [w.data for w in nn.Neuron(2, weights=np.array([1.0, 2.0])).w] == [1.0, 2.0]


def test_a_layers_dtype_none_is_the_default_float32_as_for_an_mlp():
    assert nn.Linear(2, 1, dtype=None).weight.dtype == nn.MLP(2, [1], backend="numpy", dtype=None).parameters()[0].dtype
    assert nn.Linear(2, 1, dtype=None).weight.dtype == np.float32


def test_a_layers_dtype_and_a_softmax_axis_are_named_when_wrong():
    for dtype in ("x", [-1], "int32"):
        with pytest.raises(ValueError, match=re.escape(f"dtype must be one of float32, float64, got {dtype!r}")):
            nn.Linear(2, 1, dtype=dtype)
    with pytest.raises(TypeError, match=r"Softmax axis must be an int \(or a tuple of ints\), got str 'x'"):
        nn.Softmax(axis="x")
    assert nn.Softmax(axis=(0, 1)).axis == (0, 1)


@pytest.mark.parametrize(
    "call",
    [
        lambda model: model.save(5),
        lambda model: nn.load(5),
        lambda model: nn.SGD(model.parameters()).save(None),
        lambda model: nn.optim.CosineSchedule(nn.SGD(model.parameters()), 3).save(2.5),
        lambda model: nn.data.load_mnist(root=5, download=False),
        lambda model: model.save(b"model.npz"),
    ],
)
def test_a_path_that_is_no_str_or_pathlike_is_named(call):
    with pytest.raises(TypeError, match=r"a file path must be a str or a pathlib.Path, got (int 5|NoneType None|"
                                        r"float 2.5|bytes b'model.npz')$"):
        call(nn.MLP(2, [1], seed=0))


NOT_A_PARAMETER = "that takes gradients but is not a parameter, so the module would neither train nor save it: "


@pytest.mark.parametrize(
    "make, attribute, replacement, where, kind",
    [
        (lambda: nn.Linear(2, 1), "weight", lambda: Tensor(np.array([[0.5, -0.5]])), "Linear.weight", "Tensor"),
        (lambda: nn.Linear(2, 1), "bias", lambda: np.zeros(1), "Linear.bias", "ndarray"),
        (lambda: nn.Neuron(2, seed=0), "b", lambda: 0.5, "Neuron.b", "float"),
        (lambda: nn.Neuron(2, seed=0), "w", lambda: [Parameter(1.0), 0.5], "Neuron.w[1]", "float"),
        (lambda: nn.Neuron(2, seed=0), "w", lambda: 0.5, "Neuron.w", "float"),
    ],
)
def test_a_parameter_replaced_by_something_that_is_no_parameter_is_refused_as_in_pytorch(
    make, attribute, replacement, where, kind
):
    module = make()
    before = getattr(module, attribute)
    with pytest.raises(TypeError, match=re.escape(
        f"{where} was a parameter, and a {kind} that is not one would be neither trained nor saved: assign a "
        f"parameter (Tensor(x, is_parameter=True), or Parameter(x) for a Value), or set its numbers with "
        f"load_state_dict"
    )):
        setattr(module, attribute, replacement())
    assert getattr(module, attribute) is before
    other = make()
    setattr(module, attribute, getattr(other, attribute))  # other parameters: taken
    assert getattr(module, attribute) is getattr(other, attribute)


@pytest.mark.parametrize("make, name", [(lambda: nn.Neuron(2, seed=0), "b"), (lambda: nn.Neuron(2, seed=0), "w"),
                                        (lambda: nn.Perceptron(2, seed=0), "b"), (lambda: nn.Linear(2, 1), "weight")])
def test_a_parameter_a_module_computes_with_cannot_be_set_to_none(make, name):
    module = make()
    owner = type(module).__name__
    with pytest.raises(TypeError, match=re.escape(f"{owner}.{name} cannot be removed: a {owner} computes with it")):
        setattr(module, name, None)


@pytest.mark.parametrize("sample, kind, message", [
    (5, TypeError, "expected a sequence of numbers or Values (one sample), got int"),
    (np.array([[1.0, 2.0]]), ValueError, "a scalar model takes one sample, a list of numbers; got an array of shape"),
])
def test_a_perceptron_names_what_is_no_sample_as_a_neuron_does(sample, kind, message):
    for model in (nn.Perceptron(2, seed=0), nn.Neuron(2, seed=0)):
        with pytest.raises(kind, match=re.escape(message)):
            model(sample)


def test_a_non_parameter_joining_a_list_of_parameters_is_named_so():
    neuron = nn.Neuron(2, seed=0)
    with pytest.raises(TypeError, match=re.escape("Neuron.w[2] joins a list of parameters, and a float that is not "
                                                  "one would be neither trained nor saved")):
        neuron.w = [neuron.w[0], neuron.w[1], 0.5]


def test_a_parameter_set_to_none_is_removed_as_in_pytorch():
    layer = nn.Linear(2, 1)
    layer.bias = None
    assert list(layer.state_dict()) == ["weight"]
    out = layer(Tensor(np.array([[1.0, 2.0]], dtype=np.float32)))
    np.testing.assert_allclose(out.data, np.array([[1.0, 2.0]], dtype=np.float32) @ layer.weight.data.T)


def test_micrograd_style_values_given_as_weights_are_refused_not_left_untrained():
    """micrograd's modules count every Value as a weight; a Module finds Parameters only, so a plain Value put
    where a weight goes would silently never train."""
    neuron = nn.Neuron(2, nonlin=False, seed=0)
    with pytest.raises(TypeError, match=re.escape(f"Neuron.w[1] is a Value {NOT_A_PARAMETER}make it a Parameter: "
                                                  f"chainrule.autograd.Parameter(x) where micrograd has Value(x)")):
        neuron.w = [Parameter(1.0), Value(-1.0)]
    with pytest.raises(TypeError, match=re.escape(f"Neuron.b is a Value {NOT_A_PARAMETER}")):
        neuron.b = Value(0.5)
    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[0].w[0] = Value(0.25)  # in place, past the assignment's check
    with pytest.raises(TypeError, match=re.escape(f"Neuron.w[0] is a Value {NOT_A_PARAMETER}")):
        model.parameters()
    model.layers[0].neurons[0].w[0] = 0.25
    with pytest.raises(TypeError, match=r"Neuron.w holds parameters among other things \(position 0 is float\)"):
        model.parameters()
    model.layers[0].neurons[0].w[0] = Parameter(0.25)
    assert len(model.parameters()) == 13
    custom = nn.Module()
    with pytest.raises(TypeError, match=re.escape(f"Module.w is a Tensor {NOT_A_PARAMETER}make it with "
                                                  f"Tensor(x, is_parameter=True)")):
        custom.w = Tensor(np.ones(2), requires_grad=True)
    custom.w = Tensor(np.ones(2), is_parameter=True)
    x = Value(2.0)
    custom.last = [x * 3.0, Value(1.0).tanh()]  # results of ops, and numbers, are no leaves to learn
    custom.data = Tensor(np.ones(2))
    assert custom.parameters() == [custom.w]
    # A module with a parameters() of its own (micrograd's way) says itself what it learns: its Values are its own
    # affair (tests: a state dict that would leave them out is refused)


def test_parameters_where_a_module_would_not_find_them_are_refused_when_assigned():
    class InADict(nn.Module):
        def __init__(self):
            self.extra = {"b": Tensor(np.ones(1), is_parameter=True)}

    class Mixed(nn.Module):
        def __init__(self):
            self.parts = [nn.Linear(2, 1), Tensor(np.ones(1), is_parameter=True)]

    with pytest.raises(TypeError, match=r"InADict.extra is a dict holding parameters \('b'\), which a Module does not "
                                        r"look for there, so they would be neither trained nor saved"):
        InADict()
    with pytest.raises(TypeError, match=r"Mixed.parts holds parameters among other things \(position 0 is Linear\)"):
        Mixed()
    nested = nn.Module()
    with pytest.raises(TypeError, match=r"Module.ps holds parameters among other things \(position 0 is list\)"):
        nested.ps = [[Tensor(np.ones(1), is_parameter=True)]]
    with pytest.raises(TypeError, match=r"Module.groups is a dict holding parameters \('a'\)"):
        nested.groups = {"a": [Tensor(np.ones(1), is_parameter=True)]}
    model = nn.Module()
    model.blocks = {"a": nn.Linear(2, 1)}  # a dict of modules, and a list of parameters, are found
    model.offsets = [Tensor(np.ones(1), is_parameter=True)]
    assert len(model.parameters()) == 3


def test_a_list_of_tensor_parameters_of_any_shapes_saves_and_loads_back(tmp_path):
    class Holder(nn.Module):
        def __init__(self, scale):
            self.ws = [Tensor(np.full((2, 2), scale), is_parameter=True), Tensor(np.arange(3.0) * scale,
                                                                                 is_parameter=True)]

    source, target = Holder(2.0), Holder(0.0)
    assert sorted(source.state_dict()) == ["ws.0", "ws.1"]
    target.load_state_dict(nn.load(source.save(tmp_path / "ws.npz")))
    assert all(isinstance(w.data, np.ndarray) for w in target.ws)
    np.testing.assert_array_equal(target.ws[0].data, np.full((2, 2), 2.0))
    np.testing.assert_array_equal(target.ws[1].data, [0.0, 2.0, 4.0])


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_a_module_used_twice_loads_only_one_set_of_numbers(backend):
    if backend == "numpy":
        layer = nn.Linear(2, 2, seed=0)
        model, keys = nn.Sequential(layer, nn.ReLU(), layer), ("0.weight", "2.weight")
    else:
        layer = nn.Layer(2, 2, seed=0)
        model, keys = nn.Module(), ("layers.0.weight", "layers.1.weight")
        model.layers = [layer, layer]
    state = model.state_dict()
    model.load_state_dict(state)  # the same numbers under both names: fine
    state[keys[1]] = state[keys[1]] + 1
    before = model.state_dict()
    with pytest.raises(ValueError, match=re.escape(f"load_state_dict: {keys[0]!r} and {keys[1]!r} name one parameter "
                                                   f"(a module or a parameter used twice) but hold different numbers")):
        model.load_state_dict(state)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())  # all or nothing


def test_tied_weights_and_a_parameter_listed_twice_load_only_one_set_of_numbers():
    first, second = nn.Linear(2, 2, seed=0), nn.Linear(2, 2, seed=1)
    second.weight = first.weight  # tied
    tied = nn.Sequential(first, second)
    state = tied.state_dict()
    tied.load_state_dict(state)
    state["1.weight"] = state["1.weight"] + 1
    with pytest.raises(ValueError, match=r"'0.weight' and '1.weight' name one parameter"):
        tied.load_state_dict(state)
    w = Tensor(np.ones(2), is_parameter=True)
    twice = nn.Module()
    twice.ws = [w, w]
    with pytest.raises(ValueError, match=r"'ws.0' and 'ws.1' name one parameter"):
        twice.load_state_dict({"ws.0": np.zeros(2), "ws.1": np.full(2, 5.0)})
    np.testing.assert_array_equal(w.data, np.ones(2))


def test_moons_seeds_are_checked_as_every_seed_is():
    with pytest.raises(TypeError, match="seed must be an int, a numpy.random.Generator or None, got bool True"):
        nn.data.moons(seed=True)
    with pytest.raises(ValueError, match="seed must be an int >= 0, a numpy.random.Generator or None, got -1"):
        nn.data.moons(seed=-1)


def test_saving_through_a_symbolic_link_writes_its_file_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.npz"
    real.write_bytes(b"old")
    link = tmp_path / "model.npz"
    link.symlink_to(real)
    model = nn.MLP(2, [2, 1], seed=0, backend="numpy")
    assert model.save(link) == link and link.is_symlink()
    np.testing.assert_array_equal(nn.load(real)["layers.0.weight"], model.layers[0].weight.data)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.Perceptron("2"), TypeError, "nin must be a positive integer, got str '2'"),
        (lambda: nn.MLP(2.0, [1]), TypeError, "nin must be a positive integer, got float 2.0"),
        (lambda: nn.MLP(2, [np.int64(0)]), ValueError, "layer size must be a positive integer, got 0"),
        (lambda: nn.fit(nn.MLP(2, [1]), [[0.0, 1.0]], [1.0], "mse", "sgd", epochs=True), TypeError,
         "epochs must be a positive integer, got bool True"),
        (lambda: nn.Linear(2, 3, "relu"), TypeError, "bias must be True or False, got 'relu'"),
        (lambda: nn.MLP(3, [2, 1], seed=0)({0: 1.0, 1: 2.0, 2: 3.0}), TypeError,
         "expected a sequence of numbers or Values (one sample), got dict"),
        (lambda: nn.Neuron(3, seed=0)({30.0, 1.0, 2.0}), TypeError,
         "expected a sequence of numbers or Values (one sample), got set"),
        (lambda: nn.MLP(3, [2, 1], seed=0)(np.ones((2, 3))), ValueError,
         "a scalar model takes one sample, a list of numbers; got an array of shape (2, 3): call it on each row, or "
         "use nn.predict(model, X) for them all"),
        (lambda: nn.Layer(3, 2, seed=0)([[1.0, 2.0, 3.0]] * 2), ValueError,
         "a scalar model takes one sample, a list of numbers; got rows of shape (2, 3): call it on each row, or use "
         "nn.predict(model, X) for them all"),
        (lambda: nn.Softmax()([1.0, 2.0]), TypeError,
         "Softmax applies to a Tensor or an array (the NumPy backend), got list: for a list of Values, use "
         "nn.losses.softmax"),
        (lambda: nn.MLP(2, [1], dtype="foo"), ValueError, "dtype must be one of float32, float64, got 'foo'"),
        (lambda: nn.Neuron(2, weights=[float("nan"), 1.0]), ValueError,
         "Neuron weights: expected finite numbers, got nan at position 0"),
        (lambda: nn.Neuron(2, weights=[0.0, 1.0], bias=float("inf")), ValueError,
         "Neuron bias: expected finite numbers, got inf at position 0"),
    ],
)
def test_a_module_given_what_it_would_misread_or_a_size_that_is_no_positive_integer_says_so(make, error, message):
    with pytest.raises(error) as raised:
        make()
    assert str(raised.value) == message


def test_a_scalar_sample_may_hold_numpy_numbers_as_0d_arrays():
    model = nn.MLP(2, [3, 1], seed=0)
    assert model([np.array(1.0), np.array(2.0)]).data == model([1.0, 2.0]).data


def test_modules_and_parameters_where_a_module_would_not_find_them_are_refused():
    class Nested(nn.Module):
        def __init__(self, blocks):
            self.blocks = blocks

    message = "Nested.blocks holds modules inside a {} of its own, which a Module does not look into, so they would " \
              "be neither trained nor saved: keep modules in one list or dict, or in a Sequential"
    for blocks, kind in (([[nn.Linear(2, 2)], [nn.Linear(2, 2)]], "list"), ({"a": [nn.Linear(2, 2)]}, "list"),
                         ([{"a": nn.Linear(2, 2)}], "dict")):
        with pytest.raises(TypeError) as raised:
            Nested(blocks)
        assert str(raised.value) == message.format(kind)
    unordered = "Nested.blocks is a {} holding parameters or modules, which a Module does not look for there, so " \
                "they would be neither trained nor saved: keep them in a list"
    for blocks, kind in (({nn.Linear(2, 2)}, "set"), (frozenset({Parameter(1.0)}), "frozenset"),
                         (np.array([nn.Linear(2, 2), nn.Linear(2, 2)], dtype=object), "ndarray")):
        with pytest.raises(TypeError) as raised:
            Nested(blocks)
        assert str(raised.value) == unordered.format(kind)
    kept = Nested({"a": nn.Linear(2, 2), "b": nn.Linear(2, 1)})  # one level, as documented: found
    assert [name for name, _ in kept.named_parameters()] == ["blocks.a.weight", "blocks.a.bias", "blocks.b.weight",
                                                             "blocks.b.bias"]


def test_an_activation_first_in_a_nested_sequential_takes_a_list_as_a_batch():
    linear = nn.Linear(2, 1, seed=0)
    flat = nn.Sequential(nn.ReLU(), linear)([[1.0, -2.0]])
    nested = nn.Sequential(nn.Sequential(nn.ReLU()), linear)([[1.0, -2.0]])
    assert np.array_equal(nested.data, flat.data) and nested.dtype == np.float32


def test_load_state_dict_refuses_true_and_false_as_weights():
    model = nn.MLP(2, [1], seed=0, backend="numpy")
    state = model.state_dict()
    state["layers.0.bias"] = np.array([True])
    with pytest.raises(TypeError) as raised:
        model.load_state_dict(state)
    assert str(raised.value) == "load_state_dict: 'layers.0.bias' holds bool values, not numbers"


@pytest.mark.parametrize(
    ("make", "kind", "message"),
    [
        (lambda: nn.Neuron(2, weights=[0.5, 0.5], seed="not a seed"), TypeError,
         "seed must be an int, a numpy.random.Generator or None, got str 'not a seed'"),
        (lambda: nn.Neuron(2, weights=[0.5, 0.5], seed=-5), ValueError, "seed must be an int >= 0"),
        (lambda: nn.Neuron(1, weights=np.array(0.5)), TypeError,
         "Neuron weights must be a list of real numbers, got ndarray array(0.5)"),
        (lambda: nn.MLP(2, [1], seed=np.random.RandomState(0)), TypeError,
         "got RandomState: make a Generator with numpy.random.default_rng(seed)"),
        (lambda: nn.MLP(2, [1], seed=1.5), TypeError, "or None, got float 1.5"),
        (lambda: nn.data.moons(10, noise=1e308, seed=0), ValueError, "needs a noise of at most 1e+300, got 1e+308"),
        (lambda: nn.data.moons(10, noise=10**400, seed=0), ValueError, "needs a noise of at most 1e+300, got 1000"),
    ],
)
def test_seeds_weights_and_noise_are_checked_naming_the_value(make, kind, message):
    with pytest.raises(kind, match=re.escape(message)):
        make()


def test_moons_with_the_largest_noise_are_finite():
    X, _ = nn.data.moons(50, noise=1e300, seed=0)
    assert np.isfinite(X).all()


def test_a_sequential_subclass_trains_and_saves_the_modules_it_adds(tmp_path):
    class WithHead(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 3, seed=0), nn.ReLU())
            self.head = nn.Linear(3, 1, seed=1)

        def forward(self, x):
            return self.head(super().forward(x))

    model = WithHead()
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "head.weight", "head.bias"]
    before = model.head.weight.data.copy()
    X = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
    nn.fit(model, X, X[:, :1], "mse", "sgd", epochs=2, progress=False)
    assert not np.array_equal(model.head.weight.data, before)
    again = WithHead()
    again.load_state_dict(nn.load(model.save(tmp_path / "m")))
    np.testing.assert_array_equal(again.head.weight.data, model.head.weight.data)


def test_a_parameter_added_to_a_list_of_modules_or_a_dict_later_is_refused_not_lost():
    class Net(nn.Module):
        def __init__(self):
            self.items = [nn.Linear(2, 2, seed=0)]
            self.blocks = {"first": nn.Linear(2, 2, seed=1)}

    net = Net()
    net.items.append(Tensor(np.ones(2), is_parameter=True))
    with pytest.raises(TypeError, match=re.escape("Net.items holds parameters among other things (position 0 is "
                                                  "Linear)")):
        net.parameters()
    net.items.pop()
    net.blocks["scale"] = Tensor(np.ones(2), is_parameter=True)
    with pytest.raises(TypeError, match=re.escape("Net.blocks is a dict holding parameters ('scale')")):
        net.state_dict()


@pytest.mark.parametrize("kind", ["layer", "neuron"])
def test_parameters_a_layer_or_neuron_subclass_adds_are_saved_and_loaded(kind, tmp_path):
    base = nn.Layer if kind == "layer" else nn.Neuron

    class Gated(base):
        def __init__(self):
            super().__init__(2, 2, seed=0) if kind == "layer" else super().__init__(2, seed=0)
            self.gate = Parameter(0.5)

    model = Gated()
    model.gate.data = 3.0
    state = model.state_dict()
    assert set(state) == {"weight", "bias", "gate"} and state["gate"] == 3.0
    again = Gated()
    again.load_state_dict(nn.load(model.save(tmp_path / "m")))
    assert again.gate.data == 3.0


def test_handles_a_subclass_keeps_on_its_layers_or_neurons_add_no_keys(tmp_path):
    class Net(nn.Sequential):
        def __init__(self):
            self.hidden = nn.Linear(2, 4, seed=0)
            super().__init__(self.hidden, nn.ReLU(), nn.Linear(4, 1, seed=1))
            self.out = self.layers[-1]

    class Named(nn.Layer):
        def __init__(self):
            super().__init__(2, 3, seed=0)
            self.first = self.neurons[0]

    class Nested(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Sequential(nn.Linear(2, 4, seed=0)), nn.Linear(4, 1, seed=1))
            self.first = self.layers[0].layers[0]

    class TorchNamed(nn.Neuron):  # PyTorch's names as other names of the neuron's own parameters
        def __init__(self):
            super().__init__(2, seed=0)
            self.weight, self.bias = self.w, self.b

    plain = nn.Sequential(nn.Linear(2, 4, seed=0), nn.ReLU(), nn.Linear(4, 1, seed=1))
    assert list(Net().state_dict()) == list(plain.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    Net().load_state_dict(nn.load(plain.save(tmp_path / "plain")))  # a file saved without the handles loads
    assert list(Named().state_dict()) == ["weight", "bias"]
    assert list(Nested().state_dict()) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    neuron = TorchNamed()
    neuron.b.data = 2.5
    again = TorchNamed()
    again.load_state_dict(nn.load(neuron.save(tmp_path / "neuron")))
    assert list(neuron.state_dict()) == ["weight", "bias"] and again.bias.data == 2.5


@pytest.mark.parametrize("kind", ["layer", "neuron"])
@pytest.mark.parametrize("name", ["weight", "bias"])
def test_a_parameter_a_subclass_adds_under_the_name_of_its_own_arrays_is_refused(kind, name):
    base = nn.Layer if kind == "layer" else nn.Neuron

    class Shifted(base):
        def __init__(self):
            super().__init__(2, 2, seed=0) if kind == "layer" else super().__init__(2, seed=0)
            setattr(self, name, [Parameter(0.5), Parameter(1.5)])

    with pytest.raises(ValueError, match=re.escape(
        f"state_dict: Shifted.{name} holds parameters of its own, but Shifted saves its weights and biases under "
        f"'weight' and 'bias'; give the attribute another name (extra_{name}, say)"
    )):
        Shifted().state_dict()


def test_what_a_neuron_subclass_in_a_layer_adds_is_saved_and_loaded(tmp_path):
    class Gated(nn.Neuron):
        def __init__(self, nin, weights):
            super().__init__(nin, "relu", weights=weights)
            self.gate = Parameter(0.5)
            self.scale = nn.Linear(1, 1, seed=0)

    def layer():
        made = nn.Layer(2, 2, seed=0)
        made.neurons = [Gated(2, [n.w[0].data, n.w[1].data]) for n in made.neurons]
        return made

    trained = layer()
    trained.neurons[1].gate.data = 3.0
    trained.neurons[1].scale.weight.data[:] = -2.0
    state = trained.state_dict()
    assert list(state) == ["weight", "bias", "neurons.0.gate", "neurons.0.scale.weight", "neurons.0.scale.bias",
                           "neurons.1.gate", "neurons.1.scale.weight", "neurons.1.scale.bias"]
    again = layer()
    again.load_state_dict(nn.load(trained.save(tmp_path / "m")))
    assert (again.neurons[1].gate.data, again.neurons[1].scale.weight.data.item()) == (3.0, -2.0)
    assert again.neurons[0].gate.data == 0.5


def test_an_mlp_reads_its_widths_from_its_layers_as_they_are_now():
    model = nn.MLP(2, [3, 1], backend="numpy", seed=0)
    model.layers[0] = nn.Linear(4, 3, seed=0)
    assert (model.nin, model.sizes) == (4, [4, 3, 1])
    X = np.random.default_rng(0).normal(size=(8, 4))
    history = nn.fit(model, X, X[:, 0], "mse", "sgd", epochs=1, progress=False)
    assert len(history.loss) == 1
    scalar = nn.MLP(3, [2, 1], seed=0)
    scalar.layers[1] = nn.Layer(2, 4, seed=0)
    assert scalar.sizes == [3, 2, 4]

    class Transposed(nn.Module):  # weight (nin, nout), as some textbooks keep it: its widths are not read from it
        def __init__(self):
            self.weight = Tensor(np.ones((2, 3), dtype=np.float32), is_parameter=True)

        def forward(self, x):
            return Tensor(np.asarray(x, dtype=np.float32)) @ self.weight

    model.layers[0] = Transposed()  # which no width is read from: fit leaves X's width to it
    assert (model.nin, model.sizes) == (None, [None, 3, 1])
    nn.fit(model, X[:, :2], X[:, 0], "mse", "sgd", epochs=1, progress=False)


def test_a_module_cannot_be_made_its_own_descendant():
    class Head(nn.Module):
        def forward(self, x):
            return x

    class Net(nn.Module):
        def __init__(self):
            self.head = Head()

    net = Net()
    with pytest.raises(TypeError, match=re.escape("Head.owner: the Net given holds this Head inside it")):
        net.head.owner = net
    with pytest.raises(TypeError, match=re.escape("Net.me: the Net given holds this Net inside it")):
        net.me = [net]
    net.head._owner = net  # a private link back is no child
    assert net.parameters() == []
