"""nn.Recorder's numbers and viz.film's page, without a browser (tests/test_browser.py plays the pages)."""

import base64
import gzip
import html
import json
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from chainrule import autograd, nn, viz
from chainrule.viz.film import colour_scale, quantize

XOR = nn.data.logic_gate("xor")


def xor_model(backend="scalar", seed=0):
    return nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=seed, backend=backend,
                  dtype="float64")


def moons_model(backend="scalar", seed=0):
    return nn.MLP(2, [5, 4, 1], seed=seed, backend=backend, dtype="float64")


@pytest.fixture(scope="module")
def moons():
    X, y = nn.data.moons(30, noise=0.1, seed=1)
    return X, y * 2 - 1


def record_xor(backend="scalar", steps=12, **options):
    X, y = XOR
    model = xor_model(backend)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", **options)
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=steps, shuffle=False,
           progress=False, on_step_end=recorder)
    return model, recorder.recording


def record_moons_by_hand(moons, backend="scalar", steps=6, alpha=1e-3):
    """micrograd's loop (hinge + alpha·L2, SGD with a falling learning rate), recorded after each step."""
    X, y = moons
    model = moons_model(backend)
    optimizer = nn.SGD(model.parameters(), lr=0.5)

    def penalty():
        return alpha * nn.losses.l2(model.parameters())

    recorder = nn.Recorder(model, X, y, "hinge", penalty=penalty)
    rates = []
    for k in range(steps):
        optimizer.zero_grad()
        outputs = model(X) if backend == "numpy" else [model(row) for row in X.tolist()]
        (nn.losses.hinge(outputs, y) + penalty()).backward()
        optimizer.lr = 0.5 - 0.05 * k
        rates.append(optimizer.lr)
        optimizer.step()
        recorder.record_step()
    return model, recorder.recording, rates


def model_at(recording, frame, make):
    """A fresh model holding the weights the recording has at `frame`."""
    model = make()
    state = {}
    for layer, (w, b) in enumerate(zip(recording.weights, recording.biases)):
        state[f"layers.{layer}.weight"] = w[frame]
        state[f"layers.{layer}.bias"] = b[frame]
    model.load_state_dict(state)
    return model


def grads_by_layer(model, grads):
    """Gradients of a scalar MLP's parameters (in parameters() order) as (weight, bias) arrays per layer."""
    result, position = [], 0
    for layer in model.layers:
        nout, nin = len(layer.neurons), len(layer.neurons[0].w)
        weight, bias = np.zeros((nout, nin)), np.zeros(nout)
        for j in range(nout):
            weight[j] = grads[position:position + nin]
            bias[j] = grads[position + nin]
            position += nin + 1
        result.append((weight, bias))
    return result


# --- the recorder's numbers ---


def test_frame_k_is_the_model_after_k_steps_and_its_gradient_is_the_one_the_next_step_follows():
    _, r = record_xor(steps=12)
    assert r.frames == 13 and r.steps.tolist() == list(range(13))
    for layer in range(2):
        stepped = r.weights[layer][:-1] - 0.5 * r.weight_gradients[layer][:-1]
        assert np.allclose(r.weights[layer][1:], stepped, rtol=0, atol=1e-12)
        assert np.allclose(r.biases[layer][1:], r.biases[layer][:-1] - 0.5 * r.bias_gradients[layer][:-1],
                           rtol=0, atol=1e-12)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_each_samples_gradient_is_the_engines_gradient_of_that_samples_loss_alone(backend):
    X, y = XOR
    _, r = record_xor(backend, steps=8)
    for frame in (0, 4, 8):
        model = model_at(r, frame, xor_model)  # a scalar copy: autograd.grad on one sample's loss
        for i in range(4):
            loss = nn.losses.binary_cross_entropy(model(X[i].tolist()), [y[i]])
            expected = grads_by_layer(model, autograd.grad(loss, model.parameters()))
            for (dw, db), (ew, eb) in zip(r.sample_gradients(frame, i), expected):
                assert np.allclose(dw, ew, rtol=1e-9, atol=1e-12) and np.allclose(db, eb, rtol=1e-9, atol=1e-12)
            assert r.sample_loss[frame, i] == pytest.approx(loss.data, rel=1e-12)


def test_a_samples_gradient_matches_a_central_difference(moons):
    X, y = moons
    _, r, _ = record_moons_by_hand(moons, steps=3)
    frame, sample, eps = 3, 7, 1e-6
    recorded = r.sample_gradients(frame, sample)
    state = model_at(r, frame, moons_model).state_dict()
    for key, (layer, part) in {"layers.0.weight": (0, 0), "layers.1.bias": (1, 1), "layers.2.weight": (2, 0)}.items():
        for index in np.ndindex(state[key].shape):
            def loss_with(delta):
                model = moons_model()
                changed = {k: v.copy() for k, v in state.items()}
                changed[key][index] += delta
                model.load_state_dict(changed)
                return nn.losses.hinge(model(X[sample].tolist()), [y[sample]]).data

            numerical = (loss_with(eps) - loss_with(-eps)) / (2 * eps)
            assert recorded[layer][part][index] == pytest.approx(numerical, abs=1e-6)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_batch_gradient_is_the_mean_of_the_samples_plus_the_penalty_and_the_loss_is_the_training_loss(
    moons, backend
):
    X, y = moons
    alpha = 1e-3
    _, r, rates = record_moons_by_hand(moons, backend, steps=4, alpha=alpha)
    for frame in range(r.frames):
        per_sample = [r.sample_gradients(frame, i) for i in range(len(X))]
        for layer in range(3):
            mean_w = np.mean([g[layer][0] for g in per_sample], axis=0)
            mean_b = np.mean([g[layer][1] for g in per_sample], axis=0)
            w, b = r.weights[layer][frame], r.biases[layer][frame]
            assert np.allclose(r.weight_gradients[layer][frame], mean_w + 2 * alpha * w, atol=1e-10)
            assert np.allclose(r.bias_gradients[layer][frame], mean_b + 2 * alpha * b, atol=1e-10)
        model = model_at(r, frame, moons_model)
        outputs = [model(row) for row in X.tolist()]
        expected = nn.losses.hinge(outputs, y).data + alpha * nn.losses.l2(model.parameters()).data
        assert r.loss[frame] == pytest.approx(expected, rel=1e-10)
    for frame, lr in enumerate(rates):  # and the step the hand-written loop took followed that gradient
        assert np.allclose(r.weights[0][frame + 1], r.weights[0][frame] - lr * r.weight_gradients[0][frame], atol=1e-10)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_the_maps_are_the_models_outputs_over_the_grid(moons, backend):
    model, r, _ = record_moons_by_hand(moons, backend, steps=2)
    grid = nn.recorder.plane(r.extent, r.output_map.shape[-1])
    assert np.allclose(r.output_map[-1].ravel(), nn.predict(model, grid)[:, 0], rtol=1e-10, atol=1e-12)
    coarse = nn.recorder.plane(r.extent, r.neuron_maps[0].shape[-1])
    twin = model_at(r, r.frames - 1, lambda: moons_model("numpy"))
    with autograd.no_grad():
        hidden = twin.layers[0](coarse).data
    assert np.allclose(r.neuron_maps[0][-1].reshape(5, -1), hidden.T, rtol=1e-10, atol=1e-12)
    assert np.allclose(r.neuron_maps[-1][-1, 0].ravel(), nn.predict(model, coarse)[:, 0], rtol=1e-10, atol=1e-12)
    assert np.array_equal(r.input_maps.reshape(2, -1).T, coarse)


def test_samples_activations_and_correctness_follow_the_model():
    X, y = XOR
    model, r = record_xor(steps=30)
    hidden = np.array([[v.data for v in model.layers[0](row.tolist())] for row in X])
    assert np.allclose(r.sample_activations[0][-1], hidden, rtol=1e-12)
    assert np.allclose(r.sample_local_gradients[0][-1], 1 - hidden**2, rtol=1e-9)
    outputs = nn.predict(model, X)[:, 0]
    assert np.allclose(r.sample_activations[1][-1, :, 0], outputs, rtol=1e-12)
    assert r.sample_correct[-1].tolist() == ((outputs > 0.5) == (y > 0.5)).tolist()
    assert r.accuracy[-1] == np.mean(r.sample_correct[-1])
    assert r.labels.tolist() == [0, 1, 1, 0] and r.threshold == 0.5


def test_recording_does_not_change_the_training():
    X, y = XOR
    for backend in ("scalar", "numpy"):
        runs = []
        for record in (False, True):
            model = xor_model(backend, seed=4)
            optimizer = nn.Adam(model.parameters(), lr=0.05)
            recorder = nn.Recorder(model, X, y, "binary_cross_entropy") if record else None
            history = nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=20, batch_size=2, seed=1,
                             progress=False, on_step_end=recorder)
            grads = [np.array(p.grad, dtype=float) for p in model.parameters()]
            runs.append((model.state_dict(), history.loss, grads))
        (state_a, loss_a, grads_a), (state_b, loss_b, grads_b) = runs
        assert all(np.array_equal(state_a[k], state_b[k]) for k in state_a)
        assert loss_a == loss_b and all(np.array_equal(a, b) for a, b in zip(grads_a, grads_b))


def test_every_kth_step_and_the_last_one_and_several_fits_continue_one_film():
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", every=4)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    for _ in range(2):
        nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=5, progress=False, on_step_end=recorder)
    assert recorder.frames == 3  # steps 0, 4, 8
    recording = recorder.recording
    assert recording.steps.tolist() == [0, 4, 8, 10]
    assert np.allclose(recording.weights[0][-1], model.state_dict()["layers.0.weight"])
    assert recorder.recording.frames == 4  # nothing new to add


def test_max_frames_thins_a_long_recording_to_evenly_spaced_frames():
    """max_frames=4: at step 5 the frames 0..5 become 0, 2, 4 (every 2); at step 10, 0, 4, 8 (every 4)."""
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", max_frames=4)
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=10, progress=False,
           on_step_end=recorder)
    assert (recorder.frames, recorder.every) == (3, 4)
    recording = recorder.recording
    assert recording.steps.tolist() == [0, 4, 8, 10] and recording.info["every"] == 4
    assert np.allclose(recording.weights[0][-1], model.state_dict()["layers.0.weight"])
    with pytest.raises(ValueError, match="max_frames must be a positive integer, got 0"):
        nn.Recorder(model, X, y, "binary_cross_entropy", max_frames=0)


def test_a_recording_is_thinned_by_default_so_that_a_long_training_fits_in_memory():
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", grid=4, neuron_grid=2)
    assert recorder.max_frames == nn.recorder.DEFAULT_MAX_FRAMES == 600
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=1300, progress=False,
           on_step_end=recorder)
    assert (recorder.frames, recorder.every) == (326, 4)  # thinned at steps 601 and 1202: 0, 4, ..., 1300
    assert recorder.recording.steps[-1] == 1300
    everything = nn.Recorder(model, X, y, "binary_cross_entropy", grid=4, neuron_grid=2, max_frames=None)
    assert everything.max_frames is None


def test_looking_at_a_recording_mid_training_changes_neither_its_frames_nor_their_spacing():
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", every=2, max_frames=4)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    seen = []
    for _ in range(4):
        nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=5, progress=False, on_step_end=recorder)
        seen.append(recorder.recording.steps.tolist())
    assert seen[0] == [0, 2, 4, 5] and seen[-1] == [0, 8, 16, 20]  # the last step's frame is only added
    assert recorder.every == 8 and recorder.recording.info["every"] == 8


def test_a_perceptron_is_filmed_one_step_of_its_rule_per_frame_with_zero_gradients():
    X, y = nn.data.logic_gate("and")
    model = nn.Perceptron(2, seed=0)
    recorder = nn.Recorder(model, X, y, "mse")
    result = model.fit(X, y, epochs=20, lr=0.1, on_step_end=recorder)
    r = recorder.recording
    assert result.converged and r.frames == 4 * result.epochs + 1
    assert r.activations == ["step"] and r.accuracy[-1] == 1.0
    assert np.array_equal(r.output_map[-1].ravel(), model.predict(nn.recorder.plane(r.extent, 64)))
    assert not np.any(r.weight_gradients[0]) and not np.any(r.sample_deltas[0])
    assert r.loss[0] == np.mean((model_free_perceptron_outputs(r, 0) - y) ** 2)


def model_free_perceptron_outputs(r, frame):
    return (r.X @ r.weights[0][frame][0] + r.biases[0][frame][0] > 0).astype(float)


def test_a_sequential_of_linear_and_activation_layers_is_filmed():
    X, y = XOR
    model = nn.Sequential(nn.Linear(2, 3, seed=0, dtype="float64"), nn.Tanh(),
                          nn.Linear(3, 1, seed=1, dtype="float64"), nn.Sigmoid())
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", grid=8)
    nn.fit(model, X, y, "binary_cross_entropy", "adam", epochs=3, progress=False, on_step_end=recorder)
    r = recorder.recording
    assert r.activations == ["tanh", "sigmoid"] and r.sizes == [2, 3, 1]
    grid = nn.recorder.plane(r.extent, 8)
    assert np.allclose(r.output_map[-1].ravel(), nn.predict(model, grid)[:, 0], rtol=1e-12)


def test_recording_keeps_what_reproduces_the_film():
    import chainrule

    _, r = record_xor(steps=1, seed=7, hyperparameters={"lr": 0.5}, title="XOR")
    assert r.info["seed"] == 7 and r.info["hyperparameters"] == {"lr": 0.5} and r.info["title"] == "XOR"
    assert r.info["chainrule"] == chainrule.__version__ and r.info["loss"] == "binary_cross_entropy"
    assert repr(r).startswith("Recording(2-3-1, 2 frames")


def test_a_film_writes_nan_and_inf_among_the_hyperparameters_as_text():
    _, r = record_xor(steps=1, hyperparameters={"lr": float("nan"), "clip": np.float32("inf"), "n": np.int64(3)})
    payload, _ = page_data(viz.film(r).html)
    assert payload["info"]["hyperparameters"] == {"lr": "nan", "clip": "inf", "n": 3}


@pytest.mark.parametrize(
    "make, args, error, message",
    [
        (lambda: nn.MLP(3, [2, 1]), {}, ValueError, "Recorder films models with 2 inputs (a point of the plane); "
                                                     "this one has 3"),
        (lambda: nn.MLP(2, [2, 2]), {}, ValueError,
         "Recorder films models with 1 output (two classes); this one has 2"),
        (lambda: object(), {}, TypeError, "expected an nn.Module (a model with parameters()), got object"),
        (lambda: nn.Sequential(nn.Linear(2, 1), nn.Softmax()), {}, TypeError,
         "Recorder films a Sequential of Linear layers, each followed by at most one ReLU, Tanh or Sigmoid; "
         "module 1 is Softmax"),
        (lambda: xor_model(), {"every": 0}, ValueError, "every must be a positive integer, got 0"),
        (lambda: xor_model(), {"grid": 100_000}, ValueError,
         "grid must be at most 256 (points along each side of its map), got 100000"),
        (lambda: xor_model(), {"neuron_grid": 65}, ValueError,
         "neuron_grid must be at most 64 (points along each side of its map), got 65"),
        (lambda: xor_model(), {"grid": 0}, ValueError, "grid must be a positive integer, got 0"),
        (lambda: xor_model(), {"extent": (0, 0, 0, 1)}, ValueError, "extent must be (x1 min, x1 max, x2 min, x2 max)"),
        (lambda: xor_model(), {"penalty": 0.1}, TypeError, "penalty must be a function of no arguments, got float"),
        (lambda: xor_model(), {"loss": lambda out, t: nn.losses.mse(out, t) * len(t)}, ValueError,
         "Recorder needs a loss that is the mean of the samples' losses"),
        (lambda: ScaledMLP(2, [3, 1], seed=0), {}, TypeError,
         "Recorder films an nn.MLP by running its layers itself, but ScaledMLP has a forward of its own, so the film "
         "would show another model than the one that trains"),
        (lambda: nn.Sequential(DoubledLinear(2, 1)), {}, TypeError,
         "Recorder films an nn.Linear by running its layers itself, but DoubledLinear has a forward of its own"),
        (lambda: nn.Sequential(nn.Linear(2, 2), SteepTanh(), nn.Linear(2, 1)), {}, TypeError,
         "Recorder films an nn.Tanh by running its layers itself, but SteepTanh has a forward of its own"),
        (lambda: xor_model(), {"hyperparameters": ["lr", 0.1]}, TypeError,
         "Recorder: hyperparameters must be a dict such as {'lr': 0.1} (or None), got list ['lr', 0.1]"),
    ],
)
def test_what_the_recorder_refuses(make, args, error, message):
    X, y = XOR
    loss = args.pop("loss", "mse")
    with pytest.raises(error, match=re.escape(message)):
        nn.Recorder(make(), X, y, loss, **args)


class ScaledMLP(nn.MLP):
    def forward(self, x):
        return super().forward(x) * 3.0


class SteepTanh(nn.Tanh):
    def forward(self, x):
        return super().forward(x * 2.0)


class DoubledLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * 2.0


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_a_recorder_refuses_to_film_under_no_grad_rather_than_film_zero_gradients(backend):
    X, y = XOR
    model = xor_model(backend)
    with autograd.no_grad():
        with pytest.raises(RuntimeError, match=re.escape("Recorder: a frame is filmed by a forward and backward pass "
                                                         "of its own, which no_grad() switches off")):
            nn.Recorder(model, X, y, "binary_cross_entropy")
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    with autograd.no_grad():
        with pytest.raises(RuntimeError, match=re.escape("call record_step() (and make the Recorder) outside")):
            recorder.record_step()


@pytest.mark.parametrize("change", ["weight", "bias added", "activation", "activation name"])
def test_a_model_changed_after_the_recorder_was_made_is_refused_not_filmed_as_it_was(change):
    X, y = XOR
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    first = model.layers[0]
    if change == "weight":
        first.weight = autograd.Tensor(np.ones((3, 2), dtype=np.float32), is_parameter=True)
    elif change == "bias added":
        first.bias = autograd.Tensor(np.ones(3, dtype=np.float32), is_parameter=True)
    elif change == "activation name":
        first.activation = "relu"
    else:
        model.layers[1] = nn.ReLU()
    with pytest.raises(ValueError, match="Recorder: a module, an activation or a parameter of the model was replaced, "
                                         "added or removed after the Recorder was made"):
        recorder.record_step()


def test_a_summed_loss_is_refused_even_when_it_is_tiny():
    X = np.array([[0.5, -1.0], [1.5, 2.0], [-1.0, 0.3], [0.2, 0.9]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=1, backend="numpy", dtype="float64")
    nn.fit(model, X, y, "mse", nn.Adam(model.parameters(), lr=0.05), epochs=100, progress=False)  # loss ~ 1e-6
    summed = lambda out, t: nn.losses.mse(out, t) * len(t)  # noqa: E731 - n times the mean
    assert nn.losses.mse(model(autograd.Tensor(X)), y).data < 1e-4
    with pytest.raises(ValueError, match="Recorder needs a loss that is the mean of the samples' losses"):
        nn.Recorder(model, X, y, summed, grid=4, neuron_grid=4)


def test_targets_must_be_two_classes_and_frames_must_exist():
    X, _ = XOR
    message = "Recorder films two classes: targets must be 0/1 or -1/+1 (or two values of your own, with threshold=), "
    with pytest.raises(ValueError, match=re.escape(message + "got 0, 1, 2")):
        nn.Recorder(xor_model(), X, [0, 1, 2, 1], "mse")
    with pytest.raises(ValueError, match=re.escape(message + "got 0, 1, 2")):  # three classes, whatever the threshold
        nn.Recorder(xor_model(), X, [0, 1, 2, 1], "mse", threshold=1.0)
    recorder = nn.Recorder(xor_model(), X, [1, 2, 2, 1], "mse", threshold=1.5)  # two of your own, parting at 1.5
    assert recorder.recording.labels.tolist() == [0, 1, 1, 0]
    _, r = record_xor(steps=1)
    with pytest.raises(IndexError, match="frame 2 is out of range: the recording has 2 frames"):
        r.sample_gradients(2, 0)
    with pytest.raises(IndexError, match="sample 4 is out of range: the recording has 4 samples"):
        r.sample_gradients(0, 4)


def test_a_float32_models_local_derivatives_are_those_its_pass_used_at_relus_kink():
    """z = 6e-8 in float32 is 0 or below when worked out again in float64: the film keeps the pass's own da/dz."""
    x1, x2, b = 0.22309055633594177, 0.6973153653960794, -0.920405924320221
    X, y = np.array([[x1, x2], [1.0, 0.0], [0.0, 1.0], [0.5, 0.9]]), np.array([1.0, 0.0, 1.0, 0.0])
    model = nn.MLP(2, [1, 1], "relu", "linear", seed=0, backend="numpy")
    model.layers[0].weight.data[...] = [[1.0, 1.0]]
    model.layers[0].bias.data[...] = [b]
    model.layers[1].weight.data[...] = [[1.0]]
    model.layers[1].bias.data[...] = [0.0]
    r = nn.Recorder(model, X, y, "mse", grid=4, neuron_grid=4).recording
    assert r.sample_activations[0][0, 0, 0] > 0 and r.sample_local_gradients[0][0, 0, 0] == 1.0
    per_sample = np.mean([r.sample_gradients(0, i)[0][0] for i in range(len(X))], axis=0)
    np.testing.assert_allclose(per_sample, r.weight_gradients[0][0], rtol=1e-6)


def test_a_recorder_of_a_model_with_nan_weights_blames_them_not_the_training():
    model = nn.MLP(2, [3, 1], seed=0, backend="numpy")
    model.layers[0].weight.data[0, 0] = np.nan
    with pytest.raises(ValueError) as raised:
        nn.Recorder(model, *XOR, "mse")
    assert str(raised.value) == "Recorder: the loss is nan before any step: the model's parameters hold NaN or inf " \
                                "(layers.0.weight): load or set finite weights"


# --- the page ---


def page_data(page):
    """The JSON the page embeds and its arrays, decoded as the page's script decodes them."""
    text = re.search(r'<script type="application/json" id="film-data">(.*?)</script>', page, re.DOTALL).group(1)
    payload = json.loads(text)
    blob = gzip.decompress(base64.b64decode(payload["data"]))
    kinds = {"f8": "<f8", "f4": "<f4", "u1": "u1", "i4": "<i4"}
    arrays = {}
    for name, spec in payload["arrays"].items():
        count = int(np.prod(spec["shape"]))
        arrays[name] = np.frombuffer(blob, kinds[spec["type"]], count, spec["offset"]).reshape(spec["shape"])
    return payload, arrays


def test_the_page_holds_the_recording():
    _, r = record_xor(steps=20, extent=(-0.5, 1.5, -0.5, 1.5))
    film = viz.film(r)
    payload, arrays = page_data(film.html)
    assert payload["frames"] == 21 and payload["sizes"] == [2, 3, 1] and payload["extent"] == [-0.5, 1.5, -0.5, 1.5]
    assert np.array_equal(arrays["weights0"], r.weights[0].astype(np.float32))
    assert np.array_equal(arrays["deltas1"], r.sample_deltas[1].astype(np.float32))
    assert np.array_equal(arrays["correct"], r.sample_correct.astype(np.uint8))
    assert np.array_equal(arrays["outputMap"] >= 128, r.output_map > r.threshold)  # the decision is exact
    assert np.array_equal(arrays["steps"], r.steps)


def test_numbers_beyond_float32_reach_the_page_as_they_are_not_as_inf():
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's overflow warning on a cast included
        nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=1e300), epochs=3, shuffle=False,
               progress=False, on_step_end=recorder)
        r = recorder.recording
        assert np.isfinite(r.weights[0]).all() and np.abs(r.weights[0]).max() > 1e39  # the run's own numbers
        payload, arrays = page_data(viz.film(r).html)
    assert payload["arrays"]["weights0"]["type"] == "f8" and np.array_equal(arrays["weights0"], r.weights[0])
    assert payload["arrays"]["y"]["type"] == "f4"  # where the numbers fit, float32 as before


def test_numbers_below_float32s_smallest_reach_the_page_as_they_are_not_as_zero():
    """A saturated sigmoid's loss on a sample can be 1e-53, which float32 would show as 0."""
    _, r = record_xor(steps=2)
    r.sample_loss[0, 3] = 7.668e-53
    r.weights[0][0, 0, 0] = 1e-320  # a subnormal float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's underflow warning on a cast included
        payload, arrays = page_data(viz.film(r).html)
    assert payload["arrays"]["sampleLoss"]["type"] == "f8" and arrays["sampleLoss"][0, 3] == 7.668e-53
    assert payload["arrays"]["weights0"]["type"] == "f8" and arrays["weights0"][0, 0, 0] == 1e-320
    assert payload["arrays"]["y"]["type"] == "f4"


def test_the_page_is_self_contained():
    _, r = record_xor(steps=2)
    page = viz.film(r).html
    assert page.startswith("<!DOCTYPE html>") and "{{" not in page
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"<script[^>]*\bsrc=", page) and "@import" not in page and "url(" not in page
    assert not re.search(r"\bfetch\(|XMLHttpRequest|import\(", page)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never requested


def test_quantize_keeps_the_side_of_the_centre_and_saturates():
    values = np.array([-5.0, -1.0, -0.5, -1e-12, 0.0, 1e-12, 0.5, 1.0, 5.0, np.nan])
    assert quantize(values, 0.0, 1.0).tolist() == [0, 0, 64, 127, 127, 128, 191, 255, 255, 127]
    assert colour_scale(np.array([0.2, 0.9]), "sigmoid") == (0.5, 0.5)
    assert colour_scale(np.zeros(5), "relu") == (0.0, 1.0)  # a dead neuron still gets a scale


def test_jupyter_shows_the_page_in_an_iframe_and_save_writes_it(tmp_path):
    _, r = record_xor(steps=2)
    film = viz.film(r, tmp_path / "xor.html")
    shown = film._repr_html_()
    source = re.fullmatch(r'<iframe srcdoc="([^"]*)" .*</iframe>', shown, re.DOTALL).group(1)
    assert html.unescape(source) == film.html
    assert 'sandbox="allow-scripts"' in shown
    assert (tmp_path / "xor.html").read_text(encoding="utf-8") == film.html
    assert film.save(tmp_path / "again.html").read_text(encoding="utf-8") == film.html
    assert repr(film).startswith("<Film: 3 frames")


def test_a_recorder_can_be_passed_and_anything_else_is_refused():
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "mse")
    assert viz.film(recorder).frames == 1
    with pytest.raises(TypeError, match="viz.film needs a recording such as nn.Recorder\\(...\\).recording; "
                                        "dict has no sizes, activations"):
        viz.film({})


def test_the_drawings_do_not_load_the_network_layer():
    code = "import sys, chainrule.viz; print(any(m.startswith('chainrule.nn') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_frozen_parameter_is_filmed_with_its_true_gradient_and_stays_frozen():
    X, y = XOR
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0, backend="numpy",
                   dtype="float64")
    assert "frozen" not in nn.Recorder(model, X, y, "binary_cross_entropy").recording.info
    weight = model.parameters()[0]
    weight.requires_grad = False
    model.layers[1].bias.requires_grad = False
    recording = nn.Recorder(model, X, y, "binary_cross_entropy").recording
    assert recording.info["frozen"] == [[0, "weights"], [1, "biases"]]  # the film page says so
    filmed = recording.weight_gradients[0][0]
    assert not weight.requires_grad and weight.grad is None
    weight.requires_grad = True
    nn.losses.binary_cross_entropy(model(X), y).backward()
    assert np.allclose(filmed, weight.grad) and np.abs(filmed).max() > 1e-3


@pytest.mark.parametrize("every", [1, 2])
def test_a_recording_refuses_a_model_changed_without_a_counted_step(every):
    """Its last frame would show weights the model no longer has (at a regular frame's step or between two)."""
    X, y = XOR
    model = xor_model()
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", every=every)
    nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model.parameters(), lr=0.5), epochs=3, progress=False,
           on_step_end=recorder)
    assert recorder.recording.steps.tolist()[-1] == 3
    model.parameters()[0].data += 5.0
    with pytest.raises(ValueError, match=r"the model changed after step 3 was filmed, with no step counted: call "
                                         r"recorder\.record_step\(\) after each optimizer\.step\(\)"):
        recorder.recording


@pytest.mark.parametrize("extent", [3, [0, 1, 0, "1"], "abcd"])
def test_an_extent_that_is_no_four_numbers_is_refused(extent):
    X, y = XOR
    with pytest.raises(TypeError, match=r"extent must be four numbers \(x1 min, x1 max, x2 min, x2 max\)"):
        nn.Recorder(xor_model(), X, y, "binary_cross_entropy", extent=extent)


def test_a_film_of_a_recorder_builds_its_recording_once(monkeypatch):
    recorder = nn.Recorder(xor_model(), *XOR, "binary_cross_entropy")
    built = []
    recording = nn.Recorder.recording.fget
    monkeypatch.setattr(nn.Recorder, "recording", property(lambda self: built.append(1) or recording(self)))
    viz.film(recorder)
    assert built == [1]


def test_a_parameter_frozen_for_part_of_the_training_is_not_called_frozen():
    X, y = XOR
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0, backend="numpy")
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy")
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=3, progress=False, on_step_end=recorder)
    model.layers[0].weight.requires_grad = False
    nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=3, progress=False, on_step_end=recorder)
    recording = recorder.recording
    assert "frozen" not in recording.info
    moved = np.abs(np.diff(recording.weights[0], axis=0)).max(axis=(1, 2))
    assert (moved[:3] > 0).all() and (moved[3:] == 0).all()  # it moved, then stayed: neither "frozen" nor not


def test_frozen_means_frozen_at_every_step_counted_whatever_frames_are_kept():
    X, y = XOR

    def film_of(freeze_before, thaw_at, **settings):
        model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0, backend="numpy")
        weight = model.layers[0].weight
        recorder = nn.Recorder(model, X, y, "binary_cross_entropy", **settings)
        weight.requires_grad = not freeze_before  # frozen after the Recorder's frame 0, before any step
        optimizer = nn.SGD(model.parameters(), lr=0.5)
        for step in range(1, 9):
            weight.requires_grad = step in thaw_at
            optimizer.zero_grad()
            nn.losses.binary_cross_entropy(model(X), y).backward()
            optimizer.step()
            recorder.record_step()
        return recorder.recording

    assert film_of(True, thaw_at=()).info["frozen"] == [[0, "weights"]]
    thawed_between_frames = film_of(True, thaw_at=(4, 5), every=3)  # frames at steps 0, 3, 6 and 8
    assert "frozen" not in thawed_between_frames.info
    thinned = film_of(True, thaw_at=(3,), max_frames=2)  # the frame of step 3 is dropped as the film thins
    assert 3 not in thinned.steps.tolist() and "frozen" not in thinned.info


def test_a_title_that_utf8_cannot_hold_is_shown_as_its_escape(tmp_path):
    _, recording = record_xor(steps=1, title="run \udcff")  # os.fsdecode of a file name that is not UTF-8
    page = viz.film(recording, tmp_path / "film.html")
    text = (tmp_path / "film.html").read_text(encoding="utf-8")
    assert "<title>run \\udcff</title>" in text and repr(page).startswith("<Film: 2 frames")


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_recorder_copied_with_its_model_films_the_copy(how):
    import copy
    import pickle

    X, y = XOR
    model = xor_model("scalar")
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    recorder = nn.Recorder(model, X, y, "binary_cross_entropy", grid=8, neuron_grid=4)
    nn.fit(model, X, y, "binary_cross_entropy", optimizer, epochs=2, on_step_end=recorder, progress=False)
    again = copy.deepcopy if how == "deepcopy" else lambda objects: pickle.loads(pickle.dumps(objects))
    model2, optimizer2, recorder2 = again((model, optimizer, recorder))
    nn.fit(model2, X, y, "binary_cross_entropy", optimizer2, epochs=1, on_step_end=recorder2, progress=False)
    assert recorder2.recording.steps.tolist() == [0, 1, 2, 3] and recorder.recording.steps.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(recorder2.recording.weights[0][-1], [[n.w[i].data for i in range(2)]
                                                                        for n in model2.layers[0].neurons])
    for module in (nn.Neuron(2, "sigmoid", seed=0), nn.Perceptron(2, seed=0)):
        single = pickle.loads(pickle.dumps(nn.Recorder(module, X, y, "binary_cross_entropy", grid=8, neuron_grid=4)))
        assert single.recording.steps.tolist() == [0]


def test_a_hand_made_recording_with_a_number_or_title_a_film_cannot_show_is_named():
    import dataclasses

    _, r = record_xor(steps=1)
    cases = [
        (dataclasses.replace(r, threshold=float("nan")), ValueError, "the recording's threshold must be a finite "
                                                                     "number, got nan"),
        (dataclasses.replace(r, extent=(0.0, float("inf"), 0.0, 1.0)), ValueError,
         r"the recording's extent must be four finite numbers \(x0, x1, y0, y1\) with x0 < x1 and y0 < y1, got "
         r"\(0.0, inf, 0.0, 1.0\)"),
        (dataclasses.replace(r, info={**r.info, "title": 5}), TypeError,
         r"the recording's info\['title'\] must be a str, got int 5; or pass title="),
    ]
    for recording, error, message in cases:
        with pytest.raises(error, match=message):
            viz.film(recording)
    assert viz.film(dataclasses.replace(r, info={**r.info, "title": 5}), title="XOR").frames == len(r.steps)
    weights = [np.array(w, dtype=np.float64) for w in r.weights]
    weights[0][0, 0, 0] = np.inf  # the widest edge is drawn as wide as the widest finite one
    payload, _ = page_data(viz.film(dataclasses.replace(r, weights=weights)).html)
    finite = np.concatenate([np.abs(w[np.isfinite(w)]) for w in weights])
    assert payload["largestWeight"] == pytest.approx(float(finite.max()))
