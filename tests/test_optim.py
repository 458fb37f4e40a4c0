"""Each optimizer's first two updates on L(w1, w2, b1) = (b1 + 2·w1 − w2 − 3)² from (1, −1, 2), worked out by hand.

At the start b1 + 2·w1 − w2 − 3 = 2, so ∇L = (8, −4, 4). Hand-worked values:
SGD (η=0.01): (0.92, −0.96, 1.96), then ∇L = (7.04, −3.52, 3.52) and (0.8496, −0.9248, 1.9248).
Momentum (γ=0.9): v = −η∇ then v = γv − η∇: (0.92, −0.96, 1.96), then (0.7776, −0.8888, 1.8888).
AdaGrad (η=0.01): h = g², step ≈ η·sign(g): (0.99, −0.99, 1.99); then ∇L = (7.84, −3.92, 3.92),
  h1 = 64 + 61.4656, w1 = 0.99 − 0.01·7.84/√125.4656 = 0.98300071.
RMSProp (η=0.001, ρ=0.9): h = 0.1·g² so w1 = 1 − 0.001·8/√6.4 = 0.99683772; then 0.99455047.
Adam (η=0.001): the first step is η·sign(g): (0.999, −0.999, 1.999); the second 0.998000053.
"""

import math
import re

import numpy as np
import pytest

from chainrule import autograd, nn
from chainrule.autograd import Parameter, Tensor
from chainrule.nn import Optimizer


def loss_and_params():
    w1, w2, b1 = Parameter(1.0, "w1"), Parameter(-1.0, "w2"), Parameter(2.0, "b1")
    return (lambda: (b1 + 2 * w1 - w2 - 3) ** 2), [w1, w2, b1]


def two_steps(make):
    loss, params = loss_and_params()
    optimizer = make(params)
    seen = []
    for _ in range(2):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        if not seen:
            assert [p.grad for p in params] == [8.0, -4.0, 4.0]
        optimizer.step()
        seen.append([p.data for p in params])
    return seen


CASES = {
    "sgd": (lambda p: nn.SGD(p, lr=0.01), [0.92, -0.96, 1.96], [0.8496, -0.9248, 1.9248]),
    "momentum": (lambda p: nn.SGD(p, lr=0.01, momentum=0.9), [0.92, -0.96, 1.96], [0.7776, -0.8888, 1.8888]),
    "adagrad": (lambda p: nn.Adagrad(p), [0.99, -0.99, 1.99], [0.98300071, -0.98300071, 1.98300071]),
    "rmsprop": (lambda p: nn.RMSprop(p), [0.99683772, -0.99683772, 1.99683772], [0.99455047, -0.99455047, 1.99455047]),
    "adam": (lambda p: nn.Adam(p), [0.999, -0.999, 1.999], [0.99800005, -0.99800005, 1.99800005]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_two_updates_match_hand_worked_values(name):
    make, first, second = CASES[name]
    got = two_steps(make)
    assert got[0] == pytest.approx(first, abs=1e-7)
    assert got[1] == pytest.approx(second, abs=1e-7)


def test_nesterov_looks_ahead():
    (first, _) = two_steps(lambda p: nn.SGD(p, lr=0.01, momentum=0.9, nesterov=True))
    # v = −0.08; w1 += γv − η∇ = −0.072 − 0.08
    assert first[0] == pytest.approx(1 - 0.152)


def test_weight_decay_adds_to_the_gradient():
    (first, _) = two_steps(lambda p: nn.SGD(p, lr=0.01, weight_decay=0.5))
    assert first[0] == pytest.approx(1 - 0.01 * (8 + 0.5 * 1))


def test_decay_shrinks_the_learning_rate_per_update():
    got = two_steps(lambda p: nn.SGD(p, lr=0.01, decay=1.0))
    assert got[0][0] == pytest.approx(0.92)
    assert got[1][0] == pytest.approx(0.92 - 0.005 * 7.04)


def test_lr_can_be_changed_between_steps():
    loss, params = loss_and_params()
    optimizer = nn.SGD(params, lr=0.01)
    loss().backward()
    optimizer.lr = 0.1
    optimizer.step()
    assert params[0].data == pytest.approx(1 - 0.8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_update_on_an_array_parameter(name):
    """The update math is written once: a Tensor-like parameter with ndarray data moves the same way."""
    make, first, _ = CASES[name]

    class ArrayParameter:
        is_parameter = True

        def __init__(self, data):
            self.data = np.array(data, dtype=np.float64)
            self.grad = np.array([8.0, -4.0, 4.0])

    p = ArrayParameter([1.0, -1.0, 2.0])
    make([p]).step()
    assert p.data == pytest.approx(first, abs=1e-7)


NOT_A_LIST = "takes a list of parameters such as model.parameters(), got"


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: nn.SGD(p, lr=-1), ValueError, "lr must be a finite number >= 0, got -1"),
        (lambda p: nn.SGD(p, lr=float("inf")), ValueError, "lr must be a finite number >= 0, got inf"),
        (lambda p: nn.Adam(p, lr=float("nan")), ValueError, "lr must be a finite number >= 0, got nan"),
        (lambda p: nn.SGD(p, lr="0.1"), TypeError, "lr must be a number, got '0.1'"),
        (lambda p: nn.SGD(p, lr=True), TypeError, "lr must be a number, got True"),
        (lambda p: nn.SGD(p, momentum=-0.5), ValueError, "momentum must be in [0, 1), got -0.5"),
        (lambda p: nn.SGD(p, momentum=1.5), ValueError, "momentum must be in [0, 1), got 1.5"),
        (lambda p: nn.SGD(p, momentum=1), ValueError, "momentum must be in [0, 1), got 1"),
        (lambda p: nn.SGD(p, nesterov=True), ValueError,
         "nesterov=True needs a momentum > 0 (Nesterov's method looks ahead along the velocity), got momentum=0.0; "
         "without momentum, nesterov must be False"),
        (lambda p: nn.SGD(p, momentum=0.9, nesterov="yes"), TypeError, "nesterov must be True or False, got 'yes'"),
        (lambda p: nn.SGD(p, weight_decay=-1e-4), ValueError, "weight_decay must be a finite number >= 0, got -0.0001"),
        (lambda p: nn.SGD(p, decay=float("inf")), ValueError, "decay must be a finite number >= 0, got inf"),
        (lambda p: nn.Adam(p, eps=-1), ValueError, "eps must be a finite number > 0, got -1"),
        (lambda p: nn.Adagrad(p, eps=0), ValueError, "eps must be a finite number > 0, got 0"),
        (lambda p: nn.RMSprop(p, eps=float("inf")), ValueError, "eps must be a finite number > 0, got inf"),
        (lambda p: nn.Adam(p, beta1=1.0), ValueError, "beta1 must be in [0, 1), got 1.0"),
        (lambda p: nn.Adam(p, beta2=-0.1), ValueError, "beta2 must be in [0, 1), got -0.1"),
        (lambda p: nn.RMSprop(p, rho=2), ValueError, "rho must be in [0, 1), got 2"),
        (lambda p: nn.SGD([]), ValueError, "SGD got an empty parameter list"),
        (lambda p: nn.SGD(p[0]), TypeError, f"SGD {NOT_A_LIST} Parameter: put it in a list, SGD([w])"),
        (lambda p: nn.Adam("w"), TypeError, f"Adam {NOT_A_LIST} str"),
        (lambda p: nn.Adam([1.0, 2.0]), TypeError,
         "Adam takes Values or Tensors (a model's parameters()), got float at position 0"),
    ],
)
def test_bad_settings_name_the_argument(make, error, message):
    _, params = loss_and_params()
    with pytest.raises(error) as raised:
        make(params)
    assert str(raised.value) == message


@pytest.mark.parametrize("kind", [nn.SGD, nn.Adagrad, nn.RMSprop, nn.Adam])
def test_a_model_instead_of_its_parameters_says_what_to_pass(kind):
    model = nn.MLP(2, [3, 1], seed=0)
    name = kind.__name__
    expected = f"{name} takes the parameters to update, not the MLP itself: {name}(model.parameters())"
    with pytest.raises(TypeError) as error:
        kind(model)
    assert str(error.value) == expected


def test_numpy_numbers_are_accepted_as_settings():
    optimizer = nn.SGD(loss_and_params()[1], lr=np.float32(0.1), momentum=np.float64(0.5), weight_decay=np.int64(0))
    assert (optimizer.lr, optimizer.momentum, optimizer.weight_decay) == (pytest.approx(0.1), 0.5, 0.0)
    assert type(optimizer.lr) is float
    adam = nn.Adam(loss_and_params()[1], lr=np.float64(0.01), beta1=np.float32(0.5), eps=np.float32(1e-7))
    assert adam.beta1 == 0.5 and adam.eps == pytest.approx(1e-7)
    (first, _) = two_steps(lambda p: nn.SGD(p, lr=np.float32(0.01)))
    assert first == pytest.approx([0.92, -0.96, 1.96])


def test_unknown_optimizer_name_lists_the_known_ones():
    from chainrule.nn.optim import make_optimizer

    expected = "unknown optimizer 'adamw'; expected one of sgd, momentum, adagrad, rmsprop, adam"
    with pytest.raises(ValueError, match=expected):
        make_optimizer("adamw", loss_and_params()[1])


def test_make_optimizer_passes_settings_and_refuses_ones_the_optimizer_lacks():
    from chainrule.nn.optim import make_optimizer

    params = loss_and_params()[1]
    sgd = make_optimizer("momentum", params, lr=0.05, decay=5e-4, weight_decay=5e-4)
    assert (type(sgd), sgd.lr, sgd.momentum, sgd.decay, sgd.weight_decay) == (nn.SGD, 0.05, 0.9, 5e-4, 5e-4)
    assert make_optimizer("SGD", params).momentum == 0.0
    assert make_optimizer("adam", params).lr == 0.001  # the optimizer's own default rate
    with pytest.raises(TypeError) as error:
        make_optimizer("adam", params, weight_decay=0.01)
    assert str(error.value) == "adam takes no weight_decay; its settings are lr, beta1, beta2, eps, decay"


def test_the_cosine_schedule_falls_from_the_rate_to_zero_along_a_cosine():
    w = Parameter(1.0)
    optimizer = nn.SGD([w], lr=0.2)
    schedule = nn.optim.CosineSchedule(optimizer, steps=4)
    rates = []
    for step in range(1, 6):
        schedule(step, {})
        rates.append(optimizer.lr)
    expected = [0.2 * 0.5 * (1 + math.cos(math.pi * min(k, 4) / 4)) for k in range(1, 6)]
    assert rates == pytest.approx(expected) and rates[1] == pytest.approx(0.1) and rates[-1] == 0.0
    with pytest.raises(ValueError, match=r"steps must be a positive integer \(the updates the schedule spans\), got 0"):
        nn.optim.CosineSchedule(optimizer, 0)
    with pytest.raises(TypeError, match="CosineSchedule needs an Optimizer, got list"):
        nn.optim.CosineSchedule([w], 10)


def test_fit_with_a_cosine_schedule_ends_at_rate_zero():
    X, y = nn.data.logic_gate("and")
    model = nn.MLP(2, [1], seed=0, backend="numpy")
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    nn.fit(model, X, y, "mse", optimizer, epochs=10, batch_size=2, progress=False,
           on_step_end=nn.optim.CosineSchedule(optimizer, steps=20))
    assert optimizer.lr == 0.0 and optimizer.iterations == 20


def test_a_parameter_given_twice_is_refused():
    params = loss_and_params()[1]
    with pytest.raises(ValueError, match=r"Adam got the same parameter twice \(positions 0 and 3\)"):
        nn.Adam(params + params[:1])


@pytest.mark.parametrize("value, error, message", [
    (-5, ValueError, "lr must be a finite number >= 0, got -5"),
    (float("nan"), ValueError, "lr must be a finite number >= 0, got nan"),
    ("0.1", TypeError, "lr must be a number, got '0.1'"),
])
def test_a_learning_rate_set_between_steps_is_checked_as_in_the_constructor(value, error, message):
    optimizer = nn.SGD(nn.MLP(2, [1], seed=0).parameters(), lr=0.1)
    with pytest.raises(error, match=re.escape(message)):
        optimizer.lr = value
    optimizer.lr = np.float32(0.5)  # a schedule's new rate
    assert optimizer.lr == 0.5 and type(optimizer.lr) is float and repr(optimizer).startswith("SGD(lr=0.5, ")


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_state_of_gives_the_arrays_the_rule_keeps_for_a_parameter(backend):
    model = nn.MLP(2, [3, 1], seed=0, backend=backend)
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    first = model.parameters()[0]
    assert optimizer.state_of(first) == {}
    X, y = np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([1.0, 0.0])
    nn.fit(model, X, y, "mse", optimizer, epochs=1, progress=False)
    velocity = optimizer.state_of(first)["velocity"]
    moved = (first.data - nn.MLP(2, [3, 1], seed=0, backend=backend).parameters()[0].data)
    if backend == "scalar":  # the Values share one array, one entry each
        assert velocity.shape == (len(model.parameters()),) and velocity[0] == pytest.approx(moved, rel=1e-12)
    else:
        np.testing.assert_allclose(velocity, moved, atol=1e-7)  # one step from rest: v = -lr g = the move (float32)
    with pytest.raises(ValueError, match="this SGD does not update that parameter \\(Parameter\\)"):
        optimizer.state_of(Parameter(1.0))


@pytest.mark.parametrize(
    ("make", "name", "value", "message"),
    [
        (lambda ps: nn.Adam(ps), "beta1", 1.0, "beta1 must be in [0, 1), got 1.0"),
        (lambda ps: nn.Adam(ps), "eps", 0, "eps must be a finite number > 0, got 0"),
        (lambda ps: nn.SGD(ps, momentum=0.5), "momentum", 1.5, "momentum must be in [0, 1), got 1.5"),
        (lambda ps: nn.SGD(ps), "weight_decay", -0.1, "weight_decay must be a finite number >= 0, got -0.1"),
        (lambda ps: nn.RMSprop(ps), "rho", float("nan"), "rho must be in [0, 1), got nan"),
        (lambda ps: nn.Adagrad(ps), "decay", -1, "decay must be a finite number >= 0, got -1"),
    ],
)
def test_a_setting_changed_after_construction_is_checked_as_in_the_constructor(make, name, value, message):
    optimizer = make([Parameter(1.0)])
    before = getattr(optimizer, name)
    with pytest.raises(ValueError, match=re.escape(message)):
        setattr(optimizer, name, value)
    assert getattr(optimizer, name) == before
    with pytest.raises(TypeError, match=f"{name} must be a number, got 'x'"):
        setattr(optimizer, name, "x")


def test_one_parameter_not_in_a_list_or_the_result_of_an_op_is_refused():
    from chainrule.autograd import Tensor

    weight = nn.MLP(2, [3, 1], seed=0, backend="numpy").layers[0].weight  # iterable: its rows would be taken
    with pytest.raises(TypeError) as error:
        nn.SGD(weight)
    assert str(error.value) == "SGD takes a list of parameters such as model.parameters(), got Tensor: put it " \
                               "in a list, SGD([w])"
    with pytest.raises(TypeError, match=re.escape("got Tensor: put it in a list, Adam([w])")):
        nn.Adam(Tensor(np.zeros(2), requires_grad=True))
    not_leaves = "got the result of op {!r} at position {}, not a leaf: the next forward pass computes it again " \
                 "from its inputs, so its update would be lost; pass the parameters it is computed from"
    with pytest.raises(ValueError) as error:
        nn.SGD([weight, weight * 2.0], weight_decay=0.5)
    assert str(error.value) == "SGD " + not_leaves.format("*", 1)
    with pytest.raises(ValueError) as error:
        nn.Adam([Parameter(1.0).tanh()])
    assert str(error.value) == "Adam " + not_leaves.format("tanh", 0)


def test_a_number_too_large_for_a_float_and_a_saved_number_read_back():
    from chainrule.nn.optim import make_optimizer

    params = loss_and_params()[1]
    with pytest.raises(ValueError) as error:
        nn.SGD(params, lr=10**400)
    assert str(error.value).startswith("lr must be a finite number >= 0, got 1000") and len(str(error.value)) < 90
    optimizer = nn.SGD(params, lr=0.1)
    optimizer.lr = np.asarray(0.01)  # what nn.load gives for a number that was saved
    assert optimizer.lr == 0.01 and type(optimizer.lr) is float
    with pytest.raises(TypeError, match=re.escape("lr must be a number, got array([0.01])")):
        optimizer.lr = np.asarray([0.01])
    with pytest.raises(TypeError, match=re.escape("the optimizer's name must be a str such as 'adam', got list ['x']")):
        make_optimizer(["x"], params)
    for steps in (10.0, "5"):
        with pytest.raises(TypeError, match=re.escape(f"steps must be an integer (the updates the schedule spans), "
                                                      f"got {steps!r}")):
            nn.optim.CosineSchedule(optimizer, steps)


def test_a_setting_may_change_between_steps():
    w = Parameter(1.0)
    optimizer = nn.SGD([w], lr=0.1, momentum=0.5)
    optimizer.momentum = 0.0
    w.grad = 2.0
    optimizer.step()
    assert w.data == pytest.approx(1.0 - 0.1 * 2.0)
    assert "momentum=0.0" in repr(optimizer)


def test_an_optimizer_refuses_what_takes_no_gradient_but_keeps_a_frozen_parameter_still():
    from chainrule.autograd import Tensor, no_grad

    trained = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="SGD got a Tensor that takes no gradient at position 1, so it would never "
                                         "move: make it with requires_grad=True"):
        nn.SGD([trained, Tensor(np.ones(2))])
    with no_grad():
        constant = Parameter(1.0) * 2.0
    with pytest.raises(ValueError, match="Adam got a Unrecorded that takes no gradient at position 0, so it would "
                                         "never move: make it a Parameter, or a leaf Value made outside no_grad"):
        nn.Adam([constant])
    model = nn.MLP(2, [2, 1], seed=0, backend="numpy")
    frozen = model.parameters()[0]
    frozen.requires_grad = False
    before = frozen.data.copy()
    history = nn.fit(model, [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], "mse",
                     nn.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1), epochs=3, progress=False)
    assert np.array_equal(frozen.data, before) and frozen.grad is None
    assert not np.array_equal(model.parameters()[1].data, np.zeros(2)) and len(history.loss) == 3


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_a_parameter_the_loss_does_not_reach_moves_alike_on_both_backends(backend):
    """It has gradient 0 on both (a Value's grad is 0.0, a Tensor's None): momentum and weight decay still act."""
    model = nn.MLP(1, [1], seed=0, backend=backend, dtype="float64") if backend == "numpy" else nn.MLP(1, [1], seed=0)
    weight = model.parameters()[0]
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    start = float(np.asarray(weight.data).ravel()[0])
    expected, velocity = start, 0.0
    for _ in range(3):
        optimizer.zero_grad()
        optimizer.step()  # no backward: no parameter got a gradient
        velocity = 0.9 * velocity - 0.1 * (0.0 + 0.1 * expected)
        expected += velocity
        assert float(np.asarray(weight.data).ravel()[0]) == pytest.approx(expected, rel=1e-12)
    assert expected != start


def test_nesterov_set_after_construction_must_be_a_bool():
    optimizer = nn.SGD([Parameter(1.0)], momentum=0.5)
    with pytest.raises(TypeError, match="nesterov must be True or False, got 'no'"):
        optimizer.nesterov = "no"
    assert optimizer.nesterov is False
    optimizer.nesterov = np.bool_(True)
    assert optimizer.nesterov is True


# --- saving and resuming an optimizer ---

RESUMABLE = {
    "momentum": lambda params: nn.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adagrad": lambda params: nn.Adagrad(params, lr=0.05),
    "rmsprop": lambda params: nn.RMSprop(params, lr=0.01, rho=0.8),
    "adam": lambda params: nn.Adam(params, lr=0.01, beta1=0.8, decay=0.1),
}


def small_problem(backend):
    """A 2-3-2 MLP on four fixed samples with cross-entropy, and one training step for it."""
    X = np.array([[0.0, 1.0], [1.0, 0.5], [-1.0, 2.0], [0.5, -0.5]])
    y = np.array([0, 1, 1, 0])
    model = nn.MLP(2, [3, 2], seed=4, backend=backend, **({"dtype": "float64"} if backend == "numpy" else {}))

    def step(optimizer):
        optimizer.zero_grad()
        outputs = model(X) if backend == "numpy" else [model(row) for row in X.tolist()]
        nn.losses.cross_entropy(outputs, y).backward()
        optimizer.step()

    return model, step


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
@pytest.mark.parametrize("name", sorted(RESUMABLE))
def test_training_resumed_from_saved_files_goes_on_exactly_as_if_never_stopped(tmp_path, backend, name):
    model, step = small_problem(backend)
    optimizer = RESUMABLE[name](model.parameters())
    for _ in range(3):
        step(optimizer)
    model.save(tmp_path / "model")
    written = optimizer.save(tmp_path / "optimizer")
    assert written == tmp_path / "optimizer.npz"
    for _ in range(2):
        step(optimizer)
    expected = model.state_dict()

    resumed, resumed_step = small_problem(backend)  # the same start, then the saved weights and state
    resumed.load_state_dict(nn.load(tmp_path / "model"))
    again = RESUMABLE[name](resumed.parameters())
    again.lr, again.decay = 123.0, 0.5  # overwritten by the saved settings
    again.load_state_dict(nn.load(tmp_path / "optimizer"))
    assert again.iterations == 3 and again.lr == optimizer.lr and again.decay == optimizer.decay
    for _ in range(2):
        resumed_step(again)
    for key, array in resumed.state_dict().items():
        np.testing.assert_array_equal(array, expected[key], err_msg=key)


def test_without_its_state_adam_would_resume_differently():
    """The check above can fail: a fresh Adam (first-step bias correction, no moments) moves the weights otherwise."""
    model, step = small_problem("numpy")
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        step(optimizer)
    saved = model.state_dict()
    step(optimizer)
    resumed, resumed_step = small_problem("numpy")
    resumed.load_state_dict(saved)
    resumed_step(nn.Adam(resumed.parameters(), lr=0.01))
    assert not np.array_equal(resumed.state_dict()["layers.0.weight"], model.state_dict()["layers.0.weight"])


def test_state_dict_names_settings_steps_and_each_parameters_arrays_and_gives_copies():
    model, step = small_problem("numpy")
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    assert set(optimizer.state_dict()) == {"lr", "decay", "beta1", "beta2", "eps", "iterations", "arrays"}
    step(optimizer)
    state = optimizer.state_dict()
    params = model.parameters()
    assert set(state) == {"lr", "decay", "beta1", "beta2", "eps", "iterations", "arrays"} | {
        f"state.{i}.{name}" for i in range(len(params)) for name in ("m", "v", "steps")
    }
    assert state["iterations"] == 1 and state["lr"] == 0.01 and state["beta1"].shape == ()
    assert all(state[f"state.{i}.steps"] == 1 for i in range(len(params)))
    assert state["arrays"] == len(params)
    for i, p in enumerate(params):
        np.testing.assert_array_equal(state[f"state.{i}.m"], optimizer.state_of(p)["m"])
    state["state.0.m"][...] = 7.0
    assert not (optimizer.state_of(params[0])["m"] == 7.0).any()


def test_a_frozen_parameter_without_state_loads_as_it_was_saved():
    model, step = small_problem("numpy")
    model.layers[0].bias.requires_grad = False
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
    step(optimizer)
    state = optimizer.state_dict()
    assert "state.1.velocity" not in state and "state.0.velocity" in state
    again = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
    again.load_state_dict(state)
    assert again.state_of(model.layers[0].bias) == {}
    np.testing.assert_array_equal(again.state_of(model.layers[0].weight)["velocity"], state["state.0.velocity"])
    assert again.state_of(model.layers[0].weight)["velocity"].flags.f_contiguous  # the weight's own layout


def adam_state():
    model, step = small_problem("numpy")
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    step(optimizer)
    return model, optimizer, optimizer.state_dict()


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s.pop("beta1"), KeyError, "missing keys ['beta1'], unexpected keys []"),
        (lambda s: s.update(momentum=np.asarray(0.9)), KeyError, "missing keys [], unexpected keys ['momentum']"),
        (lambda s: s.update({"state.9.m": s["state.0.m"]}), KeyError, "unexpected keys ['state.9.m']"),
        (lambda s: s.pop("state.2.v"), KeyError, "missing keys ['state.2.v'] (a parameter's arrays come all together)"),
        (lambda s: s.update({"state.0.m": s["state.0.m"].T}), ValueError,
         "'state.0.m' has shape (2, 3), the parameter has shape (3, 2)"),
        (lambda s: s.update({"state.1.v": np.array([1.0, np.nan, 0.0])}), ValueError, "'state.1.v' holds NaN or inf"),
        (lambda s: s.update({"state.1.v": np.array(["a", "b", "c"])}), TypeError, "'state.1.v' holds <U1 values"),
        (lambda s: s.update(beta1=np.asarray(1.0)), ValueError, "beta1 must be in [0, 1), got 1.0"),
        (lambda s: s.update(lr=np.array([0.1, 0.2])), TypeError,
         "'lr' must be a single number, got float64 of shape (2,)"),
        (lambda s: s.update(iterations=np.asarray(-1)), ValueError, "'iterations' must be >= 0 (the steps taken)"),
        (lambda s: s.update(iterations=np.asarray(2.0)), TypeError, "'iterations' must be an int (the steps taken)"),
        (lambda s: s.update(iterations=True), TypeError, "'iterations' must be an int (the steps taken), got True"),
        (lambda s: s.update({"state.1.v": -s["state.1.v"] - 1.0}), ValueError,
         "'state.1.v' sums squared gradients, so it cannot hold a negative number"),
        (lambda s: s.update({"state.0.m": [[1.0, 2.0], [3.0]]}), TypeError,
         "'state.0.m' must be numbers in an array, got list [[1.0, 2.0], [3.0]]"),
        (lambda s: s.update({0: 1.0, "extra": 2.0}), KeyError, "missing keys [], unexpected keys [0, 'extra']"),
        (lambda s: s.update(arrays=np.asarray(7)), ValueError,
         "the state is of an optimizer that updates 7 arrays, this one updates 4"),
        (lambda s: s.update(arrays=np.asarray(0)), ValueError, "'arrays' must be >= 1"),
    ],
)
def test_a_state_that_does_not_fit_is_refused_and_nothing_changes(change, error, message):
    model, optimizer, state = adam_state()
    before = optimizer.state_dict()
    broken = {key: value.copy() for key, value in state.items()}
    broken["lr"] = np.asarray(0.5)
    change(broken)
    with pytest.raises(error) as raised:
        optimizer.load_state_dict(broken)
    text = raised.value.args[0]
    assert text.startswith("Adam.load_state_dict: ") and text.count("load_state_dict") == 1 and message in text
    after = optimizer.state_dict()
    assert after.keys() == before.keys() and all(np.array_equal(after[k], before[k]) for k in before)


def test_load_state_dict_takes_a_mapping_not_a_file_name(tmp_path):
    _, optimizer, _ = adam_state()
    hint = "not a file name: read the file first, as in optimizer.load_state_dict(nn.load('adam.npz'))"
    with pytest.raises(TypeError, match=re.escape(hint)):
        optimizer.load_state_dict("adam.npz")
    with pytest.raises(TypeError, match="takes a state dict \\(a mapping of names to arrays\\), got list"):
        optimizer.load_state_dict([1, 2])


def test_a_state_of_another_kind_of_optimizer_is_refused_by_its_keys():
    _, _, state = adam_state()
    model, _ = small_problem("numpy")
    missing = "SGD.load_state_dict: missing keys ['momentum', 'nesterov', 'weight_decay']"
    with pytest.raises(KeyError, match=re.escape(missing)):
        nn.SGD(model.parameters(), lr=0.1).load_state_dict(state)


def test_saving_an_optimizer_into_a_folder_or_a_missing_folder_is_refused(tmp_path):
    _, optimizer, _ = adam_state()
    with pytest.raises(IsADirectoryError, match="cannot save the optimizer's state to .*: it is a folder"):
        optimizer.save(tmp_path)
    with pytest.raises(FileNotFoundError, match="the folder .* does not exist"):
        optimizer.save(tmp_path / "missing" / "adam.npz")


@pytest.mark.parametrize("kind", [nn.Adagrad, nn.RMSprop])
def test_a_negative_sum_of_squares_is_refused_for_adagrad_and_rmsprop(kind):
    model, step = small_problem("numpy")
    optimizer = kind(model.parameters(), lr=0.01)
    step(optimizer)
    state = optimizer.state_dict()
    state["state.3.h"] = -state["state.3.h"] - 1e-3
    with pytest.raises(ValueError, match=r"'state.3.h' sums squared gradients, so it cannot hold a negative number"):
        optimizer.load_state_dict(state)


def test_nesterov_without_momentum_is_refused_however_it_comes():
    params = loss_and_params()[1]
    message = r"nesterov=True needs a momentum > 0 \(.*\), got momentum=0.0; without momentum, nesterov must be False"
    with pytest.raises(ValueError, match=message):
        nn.SGD(params, nesterov=True)
    optimizer = nn.SGD(params, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match=message):
        optimizer.momentum = 0.0
    assert optimizer.momentum == 0.9
    plain = nn.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=message):
        plain.nesterov = True
    assert plain.nesterov is False
    state = optimizer.state_dict()
    state["momentum"] = np.asarray(0.0)
    with pytest.raises(ValueError, match="SGD.load_state_dict: " + message):
        plain.load_state_dict(state)
    assert plain.nesterov is False and plain.momentum == 0.0


def test_a_cosine_schedule_resumed_from_its_state_goes_on_as_if_never_stopped(tmp_path):
    def run(stop_after, keep_schedule=True):
        model, step = small_problem("numpy")
        optimizer = nn.Adam(model.parameters(), lr=0.05, decay=0.1)
        schedule = nn.optim.CosineSchedule(optimizer, 10)
        for number in range(7):
            if number == stop_after:
                optimizer.save(tmp_path / "adam")
                schedule.save(tmp_path / "cosine")
                model.save(tmp_path / "model")
                model, step = small_problem("numpy")
                model.load_state_dict(nn.load(tmp_path / "model"))
                optimizer = nn.Adam(model.parameters(), lr=0.05, decay=0.1)
                optimizer.load_state_dict(nn.load(tmp_path / "adam"))
                schedule = nn.optim.CosineSchedule(optimizer, 10)
                if keep_schedule:
                    schedule.load_state_dict(nn.load(tmp_path / "cosine"))
            step(optimizer)
            schedule.step()
        return model.state_dict()["layers.0.weight"], schedule

    never_stopped, _ = run(stop_after=None)
    resumed, schedule = run(stop_after=3)
    np.testing.assert_array_equal(resumed, never_stopped)
    assert schedule.done == 7 and schedule.initial_lr == 0.05 and schedule.steps == 10
    # without its state, a new schedule would start again from the lowered rate
    assert not np.array_equal(run(stop_after=3, keep_schedule=False)[0], never_stopped)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda s: s.pop("done"), KeyError, "missing keys ['done'], unexpected keys []"),
        (lambda s: s.update(extra=1), KeyError, "unexpected keys ['extra']"),
        (lambda s: s.update(initial_lr=np.asarray(-0.1)), ValueError, "initial_lr must be a finite number >= 0"),
        (lambda s: s.update(steps=np.asarray(0)), ValueError, "'steps' must be >= 1 (the updates the schedule spans)"),
        (lambda s: s.update(done=np.asarray(1.5)), TypeError, "'done' must be an int (the updates done), got 1.5"),
        (lambda s: s.update(done=np.array([1, 2])), TypeError, "'done' must be a single number"),
    ],
)
def test_a_schedule_state_that_does_not_fit_is_refused_and_nothing_changes(change, error, message):
    schedule = nn.optim.CosineSchedule(nn.SGD(loss_and_params()[1], lr=0.1), 10)
    schedule.step()
    state = schedule.state_dict()
    state["initial_lr"] = np.asarray(0.3)
    change(state)
    with pytest.raises(error) as raised:
        schedule.load_state_dict(state)
    assert raised.value.args[0].startswith("CosineSchedule.load_state_dict: ") and message in raised.value.args[0]
    assert (schedule.initial_lr, schedule.steps, schedule.done) == (0.1, 10, 1)


def test_a_schedule_takes_a_state_dict_not_a_file_name():
    schedule = nn.optim.CosineSchedule(nn.SGD(loss_and_params()[1], lr=0.1), 10)
    with pytest.raises(TypeError, match=re.escape("schedule.load_state_dict(nn.load('cosine.npz'))")):
        schedule.load_state_dict("cosine.npz")


def test_an_sgd_subclass_may_set_nesterov_before_momentum():
    class LookAhead(nn.SGD):
        def __init__(self, params):
            Optimizer.__init__(self, params, 0.1)
            self.nesterov = True
            self.momentum = 0.9
            self.weight_decay = 0.0

    optimizer = LookAhead(loss_and_params()[1])
    assert optimizer.nesterov and optimizer.momentum == 0.9


def test_a_schedule_loaded_alone_sets_the_optimizers_rate_for_the_next_update():
    params = loss_and_params()[1]
    schedule = nn.optim.CosineSchedule(nn.SGD(params, lr=0.5), 10)
    for _ in range(4):
        schedule.step()
    fresh = nn.SGD(params, lr=0.5)
    nn.optim.CosineSchedule(fresh, 10).load_state_dict(schedule.state_dict())
    assert fresh.lr == schedule.optimizer.lr == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.4)))


def test_backward_through_a_tensor_graph_built_before_an_optimizer_step_is_refused():
    X = np.random.default_rng(0).normal(size=(8, 3))
    y = np.arange(8) % 2
    model = nn.MLP(3, [4, 2], seed=0, backend="numpy", dtype="float64")
    model.layers[1].bias.requires_grad = False  # frozen: never stepped, never counted
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    loss = nn.losses.cross_entropy(model(X), y)
    loss.backward()
    loss.backward()  # twice before the step: gradients add up, as in PyTorch
    assert [p.version for p in model.parameters()] == [0, 0, 0, 0]
    optimizer.step()
    assert [p.version for p in model.parameters()] == [1, 1, 1, 0]
    grads = [None if p.grad is None else p.grad.copy() for p in model.parameters()]
    message = (r"backward\(\) through a graph built before an optimizer step changed 'weight' of layers.1 in place: "
               r"op 'linear' saved its old numbers and would mix them with the new")
    with pytest.raises(RuntimeError, match=message):
        loss.backward()
    with autograd.detect_anomaly(), pytest.raises(RuntimeError, match=message):
        loss.backward()
    for before, p in zip(grads, model.parameters()):  # nothing written by the refused passes
        assert (before is None and p.grad is None) or np.array_equal(before, p.grad)
    optimizer.zero_grad()
    nn.losses.cross_entropy(model(X), y).backward()  # a new forward pass is fine


def test_a_state_for_fewer_parameters_is_refused_and_one_saved_before_arrays_was_kept_still_loads():
    saved = nn.Adam([Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)])
    for p in saved.params:
        p.grad = np.ones_like(p.data)
    saved.step()
    state = saved.state_dict()
    more = [Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True),
            Tensor(np.zeros((5, 5)), requires_grad=True)]
    with pytest.raises(ValueError, match="updates 2 arrays, this one updates 3"):
        nn.Adam(more).load_state_dict(state)
    older = {key: value for key, value in state.items() if key != "arrays"}
    same = nn.Adam([Tensor(np.zeros((2, 3)), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)])
    same.load_state_dict(older)
    np.testing.assert_array_equal(same.state_of(same.params[1])["v"], state["state.1.v"])


def test_parameters_whose_arrays_share_memory_are_refused():
    zeros = np.zeros(4)
    with pytest.raises(ValueError, match="parameters at positions 0 and 2 whose arrays share memory"):
        nn.Adam([Tensor(zeros, requires_grad=True), Tensor(np.ones(2), requires_grad=True),
                 Tensor(zeros[1:3], requires_grad=True)])
    halves = np.zeros(4)
    apart = [Tensor(halves[:2], requires_grad=True), Tensor(halves[2:], requires_grad=True)]  # one buffer, no overlap
    optimizer = nn.SGD(apart, lr=0.5)
    for p in apart:
        p.grad = np.ones(2)
    optimizer.step()
    np.testing.assert_array_equal(halves, [-0.5] * 4)  # each number moved once


def test_a_read_only_parameter_is_refused_before_anything_changes():
    frozen_array = np.zeros(3)
    frozen_array.flags.writeable = False
    first, second = Tensor(np.zeros(2), requires_grad=True), Tensor(frozen_array, requires_grad=True)
    optimizer = nn.Adam([first, second, Parameter(2.0)], lr=0.1)  # the Value goes first in the optimizer's order
    first.grad, second.grad = np.ones(2), np.ones(3)
    with pytest.raises(ValueError, match=re.escape("Adam.step: the parameter at position 1 (shape (3,)) holds a "
                                                   "read-only array")):  # position 1 in the list given
        optimizer.step()
    assert optimizer.iterations == 0 and optimizer.state_of(first) == {}
    np.testing.assert_array_equal(first.data, [0.0, 0.0])


def test_a_gradient_of_another_shape_is_refused_before_anything_changes_naming_the_position_given():
    first, second = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    optimizer = nn.Adam([first, Parameter(1.0), second], lr=0.1)  # the Value first, in the optimizer's own order
    first.grad, second.grad = np.ones(2), np.ones((3, 1))
    with pytest.raises(ValueError, match=re.escape("Adam.step: the parameter at position 2 (shape (3,)) has a gradient "
                                                   "of shape (3, 1): a gradient must have its parameter's shape")):
        optimizer.step()
    assert optimizer.iterations == 0 and optimizer.state_of(first) == {}
    np.testing.assert_array_equal(first.data, [0.0, 0.0])


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_optimizer_names_the_position_of_a_parameter_it_cannot_update(how):
    import copy
    import pickle

    w = Tensor(np.zeros((2, 3)), requires_grad=True)
    again = copy.deepcopy if how == "deepcopy" else lambda objects: pickle.loads(pickle.dumps(objects))
    w2, optimizer = again((w, nn.SGD([w], lr=0.1)))
    w2.grad = np.ones(3)
    with pytest.raises(ValueError, match=re.escape("SGD.step: the parameter at position 0 (shape (2, 3)) has a "
                                                   "gradient of shape (3,)")):
        optimizer.step()


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [(10.0, TypeError, "iterations must be an int (the steps taken), got 10.0"),
     (True, TypeError, "iterations must be an int (the steps taken), got True"),
     (-2, ValueError, "iterations must be >= 0 (the steps taken), got -2")],
)
def test_iterations_set_by_hand_is_checked(value, error, message):
    optimizer = nn.SGD([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, decay=0.5)
    with pytest.raises(error, match=re.escape(message)):
        optimizer.iterations = value
    optimizer.iterations = np.int64(3)
    assert type(optimizer.iterations) is int and optimizer.iterations == 3


def test_a_momentum_set_to_zero_replaces_the_velocity_as_the_formula_says():
    w = Tensor(np.array([0.0]), requires_grad=True)
    optimizer = nn.SGD([w], lr=0.1, momentum=0.9)
    velocity = position = 0.0
    for grad, momentum in zip([10.0, 0.0, 0.0], [0.9, 0.0, 0.9]):
        optimizer.momentum = momentum
        w.grad = np.array([grad])
        optimizer.step()
        velocity = momentum * velocity - 0.1 * grad  # v = γv − η∇, w += v
        position += velocity
        assert w.data[0] == pytest.approx(position) and optimizer.state_of(w)["velocity"][0] == pytest.approx(velocity)
    assert w.data[0] == pytest.approx(-1.0)


def test_nesterov_takes_a_flag_read_back_by_nn_load(tmp_path):
    optimizer = nn.SGD([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, momentum=0.9)
    optimizer.nesterov = np.asarray(True)
    assert optimizer.nesterov is True
    with pytest.raises(TypeError, match="nesterov must be True or False, got array"):
        optimizer.nesterov = np.asarray([True])


@pytest.mark.parametrize("backend", ["numpy", "scalar"])
def test_adam_counts_each_parameters_own_updates_so_one_trained_late_moves_by_lr(backend):
    """With a constant gradient Adam moves a parameter by exactly lr a step, from its first update on: the bias
    correction reads that parameter's own count (the optimizer's would make it overshoot: 3 to 6 times lr)."""
    if backend == "numpy":
        head, late = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
        optimizer = nn.Adam([head, late], lr=0.001)
        late.requires_grad = False
    else:
        head, late = Parameter(0.0), Tensor(np.zeros(3), requires_grad=True)
        optimizer = nn.Adam([head, late], lr=0.001)
        late.requires_grad = False
    for _ in range(300):
        optimizer.zero_grad()
        head.grad = np.ones(2) if backend == "numpy" else 1.0
        optimizer.step()
    late.requires_grad = True
    for _ in range(5):
        optimizer.zero_grad()
        head.grad = np.ones(2) if backend == "numpy" else 1.0
        late.grad = np.ones(3)
        before = late.data.copy()
        optimizer.step()
        np.testing.assert_allclose(before - late.data, 0.001, rtol=1e-6)
    assert int(optimizer.state_of(late)["steps"]) == 5 and int(optimizer.state_of(head)["steps"]) == 305
    saved = optimizer.state_dict()
    assert saved["iterations"] == 305 and saved[f"state.{1}.steps"] == 5


def test_an_adam_state_saved_before_each_parameter_had_its_count_resumes_from_the_optimizers():
    model, step = small_problem("numpy")
    optimizer = nn.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        step(optimizer)
    state = {key: value for key, value in optimizer.state_dict().items() if not key.endswith(".steps")}
    resumed = nn.Adam(model.parameters(), lr=0.01)
    resumed.load_state_dict(state)
    assert all(int(resumed.state_of(p)["steps"]) == 3 for p in model.parameters())
    state["state.0.steps"] = np.asarray(0)
    with pytest.raises(ValueError, match=r"'state.0.steps' must be >= 1 \(the updates of that parameter\), got 0"):
        resumed.load_state_dict(state)
    with pytest.raises(KeyError, match=r"unexpected keys \['state.0.steps'\]"):
        nn.SGD(model.parameters(), lr=0.1, momentum=0.9).load_state_dict(
            {**nn.SGD(model.parameters(), lr=0.1).state_dict(), "state.0.steps": np.asarray(1)})


def test_a_step_over_a_parameter_resized_after_its_state_was_made_changes_nothing():
    first = Tensor(np.zeros(2), requires_grad=True)
    resized = Tensor(np.zeros(4), requires_grad=True)
    optimizer = nn.Adam([first, resized], lr=0.1)
    first.grad, resized.grad = np.ones(2), np.ones(4)
    optimizer.step()
    before = first.data.copy()
    resized.data, resized.grad = np.zeros(1), np.ones(1)
    with pytest.raises(ValueError, match=r"Adam.step: the parameter at position 1 \(shape \(1,\)\) was given an array "
                                         r"of another shape after the optimizer kept its state for shape \(4,\)"):
        optimizer.step()
    assert optimizer.iterations == 1
    np.testing.assert_array_equal(first.data, before)
