"""The scalar and NumPy backends run the same model: names, shapes, outputs and one SGD step agree."""

import numpy as np
import pytest

from chainrule import nn, viz
from chainrule.autograd import Tensor, Value


def pair(dtype="float64", seed=0):
    return nn.MLP(3, [5, 4, 2], seed=seed), nn.MLP(3, [5, 4, 2], seed=seed, backend="numpy", dtype=dtype)


def test_same_seed_same_state_dict_names_shapes_and_values():
    scalar, numpy_model = pair()
    a, b = scalar.state_dict(), numpy_model.state_dict()
    assert list(a) == list(b)
    for key in a:
        assert a[key].shape == b[key].shape
        assert np.allclose(a[key], b[key], atol=0)


def test_one_input_same_loss_and_same_state_after_one_sgd_step():
    scalar, numpy_model = pair(seed=3)
    x = np.array([[0.5, -1.2, 2.0]])
    label = [1]
    loss_scalar = nn.losses.cross_entropy([scalar(x[0].tolist())], label)
    loss_numpy = nn.losses.cross_entropy(numpy_model(x), label)
    assert loss_scalar.data == pytest.approx(loss_numpy.item(), abs=1e-12)
    for model, loss in ((scalar, loss_scalar), (numpy_model, loss_numpy)):
        loss.backward()
        nn.SGD(model.parameters(), lr=0.5).step()
    a, b = scalar.state_dict(), numpy_model.state_dict()
    assert max(np.abs(a[k] - b[k]).max() for k in a) < 1e-10


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("float64", 1e-12)])
def test_trained_numpy_model_loads_into_the_scalar_engine(dtype, tolerance):
    X, y = nn.data.moons(60, noise=0.1, seed=0)
    numpy_model = nn.MLP(2, [8, 8, 1], seed=0, backend="numpy", dtype=dtype)
    nn.fit(numpy_model, X, y, "binary_cross_entropy_with_logits", "adam", epochs=20, batch_size=10, progress=False)
    scalar = nn.MLP(2, [8, 8, 1], seed=99)
    scalar.load_state_dict(numpy_model.state_dict())
    expected = nn.predict(numpy_model, X)[:, 0]
    got = np.array([scalar(row).data for row in X.tolist()])
    assert np.abs(got - expected).max() < tolerance


def test_load_state_dict_casts_into_the_model_dtype():
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy", dtype="float32")
    model.load_state_dict({k: v.astype(np.float64) for k, v in model.state_dict().items()})
    assert {p.data.dtype for p in model.parameters()} == {np.dtype("float32")}


def test_weights_are_stored_column_by_column_and_loading_keeps_that_layout():
    """x @ weightᵀ is BLAS's plain product when weight is in Fortran order; gradients and loaded
    arrays follow the same layout, so updates never mix layouts."""
    model = nn.MLP(6, [5, 3], seed=0, backend="numpy")
    x = np.random.default_rng(1).standard_normal((4, 6))
    nn.losses.cross_entropy(model(x), [0, 1, 2, 0]).backward()
    for layer in model.layers:
        assert layer.weight.data.flags.f_contiguous and layer.weight.grad.flags.f_contiguous
    expected = {k: v + 1.0 for k, v in model.state_dict().items()}
    model.load_state_dict({k: np.ascontiguousarray(v) for k, v in expected.items()})
    for key, value in model.state_dict().items():
        assert np.array_equal(value, expected[key])
    assert all(layer.weight.data.flags.f_contiguous for layer in model.layers)


def test_tensor_layers_and_sequential():
    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.ReLU(), nn.Linear(8, 3, seed=1), nn.Softmax())
    probs = model(Tensor(np.ones((2, 4))))
    assert probs.shape == (2, 3) and np.allclose(probs.data.sum(axis=1), 1.0, atol=1e-6)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert nn.Sequential(nn.Linear(2, 2, seed=0), nn.Tanh(), nn.Sigmoid())(np.zeros((1, 2))).shape == (1, 2)
    with pytest.raises(TypeError, match="Sequential takes Modules, got int at position 1"):
        nn.Sequential(nn.ReLU(), 3)
    with pytest.raises(ValueError, match=r"Linear expected inputs with 4 features \(nin\), got shape \(2, 5\)"):
        nn.Linear(4, 2)(np.ones((2, 5)))


def test_numpy_backend_rejects_step_and_bad_dtype():
    with pytest.raises(ValueError, match="activation 'step' has no gradient"):
        nn.MLP(2, [2], activation="step", output_activation="step", backend="numpy")
    with pytest.raises(ValueError, match="dtype must be one of float32, float64, got 'int8'"):
        nn.MLP(2, [2], backend="numpy", dtype="int8")


def test_parameters_are_tagged_for_viz():
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    assert all(p.is_parameter for p in model.parameters())
    assert [p.scope for p in model.parameters()] == ["layers.0", "layers.0", "layers.1", "layers.1"]
    out = model(np.zeros((1, 2)))
    assert out.scope == "layers.1"


# --- comparing graph nodes ---


def nodes():
    return [pytest.param(lambda x: Value(x), id="Value"), pytest.param(lambda x: Tensor(x), id="Tensor")]


@pytest.mark.parametrize("make", nodes())
@pytest.mark.parametrize("op", ["==", "!="])
@pytest.mark.parametrize(
    "other", [1.0, 1, True, np.float64(1.0), np.float32(1.0), np.array(1.0), np.ones(2), [1.0], (1.0, 2.0)], ids=repr
)
def test_equality_with_a_number_is_refused_rather_than_false(make, op, other):
    node = make(1.0)  # compared as plain objects, node == 1.0 was False without a word
    kind = type(node).__name__
    name = kind[0].lower()
    expected = rf"'{op}' of a {kind} with {type(other).__name__} is refused: .* compare the numbers, {name}\.data {op}"
    with pytest.raises(TypeError, match=expected):
        node == other if op == "==" else node != other  # noqa: B015 - the comparison is the point
    with pytest.raises(TypeError, match=rf"'{op}' of a {kind}"):
        other == node if op == "==" else other != node  # noqa: B015 - the reflected comparison too


@pytest.mark.parametrize("make", nodes())
@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_graph_nodes_have_no_order(make, op):
    a, b = make(1.0), make(2.0)
    compare = {"<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]
    with pytest.raises(TypeError, match=rf"'{op}' of a {type(a).__name__} with .* graph nodes have no order"):
        compare()
    assert a.data < b.data and not a.data >= b.data  # the numbers compare


class OwnNode:
    """A node of one's own class, offering only the graph protocol's names (`autograd.graph.Node`)."""

    def __init__(self, parents):
        self.parents = tuple(parents)
        self.data = sum(p.data for p in parents) / len(parents)
        self.grad, self.label, self.scope, self.op = 1.0, "mean", "", "mean"
        self.local_grads = tuple(1 / len(parents) for _ in parents)
        self.constant = self.constant_first = None
        self.requires_grad, self.is_parameter = True, False


@pytest.mark.parametrize("make", nodes())
def test_equality_with_anything_but_numbers_is_identity(make):
    node = make(1.0)
    own = OwnNode([node])
    assert node != own and not node == own and own != node and node != "1.0" and node is not None and node != None  # noqa: E711
    assert [own, node].index(node) == 1 and node in (own, node) and own in [node, own]


def test_a_collapsed_drawing_whose_root_is_a_node_of_ones_own_class():
    # Drawing a collapsed graph looked for the root among each group's nodes with ==.
    scalar, numpy_model = pair()
    for model, x in ((scalar, [1.0, 2.0, 0.5]), (numpy_model, np.array([[1.0, 2.0, 0.5]]))):
        outputs = model(x)
        root = OwnNode([outputs[0] if isinstance(outputs, list) else outputs.sum()])
        for collapse in ("neuron", "layer"):
            assert "<svg" in str(viz.draw_graph(root, collapse=collapse).pipe(format="svg").decode())


def test_two_nodes_compare_by_identity_so_a_parameter_is_found_in_a_list():
    scalar, numpy_model = pair()
    for model in (scalar, numpy_model):
        params = model.parameters()
        assert params[3] in params and params[3] == params[3] and not params[3] != params[3]
        assert params[3] != params[4] and not params[3] == params[4]
        assert params.index(params[5]) == 5
        assert {p: i for i, p in enumerate(params)}[params[2]] == 2 and len(set(params)) == len(params)
    twin = Value(1.0), Value(1.0)
    assert twin[0] != twin[1] and Value(1.0) != Tensor(1.0)
