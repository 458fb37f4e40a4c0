"""Training on real MNIST, float32 end to end, and the fused ops of the training hot path."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.autograd import Tensor, detect_anomaly, tensor_ops
from chainrule.nn import losses


@pytest.fixture(scope="module")
def trained(mnist):
    """784-100-100-10 trained for 3 epochs on the first 10,000 training images (about a second)."""
    X_train, y_train, X_test, y_test = mnist
    model = nn.MLP(784, [100, 100, 10], seed=0, backend="numpy")
    optimizer = nn.Adam(model.parameters(), lr=0.002)
    history = nn.fit(
        model,
        X_train[:10_000],
        y_train[:10_000],
        "cross_entropy",
        optimizer,
        epochs=3,
        batch_size=128,
        seed=0,
        validation_data=(X_test, y_test),
        progress=False,
    )
    return model, optimizer, history


@pytest.mark.slow
def test_a_short_run_on_a_subset_reaches_90_percent_on_the_full_test_set(mnist, trained):
    model, _, history = trained
    _, _, X_test, y_test = mnist
    accuracy = float(np.mean(nn.predict(model, X_test).argmax(axis=1) == y_test))
    assert accuracy >= 0.90
    assert history.val_accuracy[-1] == pytest.approx(accuracy)
    assert history.loss[-1] < history.loss[0]
    assert all(type(figure) is float for figures in history.history.values() for figure in figures)


def test_float64_models_stay_float64(mnist):
    X_train, y_train = mnist[0][:256], mnist[1][:256]
    model = nn.MLP(784, [16, 10], seed=0, backend="numpy", dtype="float64")
    nn.fit(model, X_train, y_train, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), batch_size=64, progress=False)
    assert all(p.data.dtype == np.float64 and p.grad.dtype == np.float64 for p in model.parameters())


# --- the fused ops against the ops they replace ---


def _composite_cross_entropy(logits, target):
    """log_softmax, gather and mean: what losses.cross_entropy computed before its fused op."""
    log_probs = logits.log_softmax(axis=-1)
    n = logits.shape[0]
    target = np.asarray(target)
    if target.ndim == 2:
        return (log_probs * target).sum() * (-1.0 / n)
    return log_probs[np.arange(n), target].sum() * (-1.0 / n)


@pytest.mark.parametrize(
    "target",
    [
        np.array([2, 0, 1, 2, 2]),
        np.eye(3)[[1, 1, 0, 2, 0]],
        np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0], [0.5, 0.25, 0.25], [0.0, 0.0, 1.0], [0.1, 0.1, 0.8]]),
    ],
    ids=["labels", "one-hot", "soft rows"],
)
def test_fused_cross_entropy_matches_log_softmax_and_gather(target):
    logits = np.random.default_rng(0).normal(0, 3, size=(5, 3))
    fused, composite = Tensor(logits, requires_grad=True), Tensor(logits, requires_grad=True)
    loss = losses.cross_entropy(fused, target)
    reference = _composite_cross_entropy(composite, target)
    assert loss.op == "cross_entropy" and loss.parents == (fused,)
    np.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-12)
    loss.backward()
    reference.backward()
    np.testing.assert_allclose(fused.grad, composite.grad, rtol=1e-10, atol=1e-14)


def test_fused_cross_entropy_gradient_against_central_differences():
    logits = np.random.default_rng(1).normal(size=(4, 6))
    labels = np.array([5, 0, 0, 3])
    z = Tensor(logits, requires_grad=True)
    (losses.cross_entropy(z, labels) * 3.0).backward()
    numeric = np.zeros_like(logits)
    h = 1e-6
    for index in np.ndindex(logits.shape):
        up, down = logits.copy(), logits.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (
            3.0
            * (losses.cross_entropy(Tensor(up), labels).item() - losses.cross_entropy(Tensor(down), labels).item())
            / (2 * h)
        )
    np.testing.assert_allclose(z.grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.uint64])
def test_fused_cross_entropy_reads_narrow_integer_labels_of_a_large_batch(dtype):
    # The op finds each label's entry at label * N + sample: 9 * 300 overflows uint8, int8 and int16.
    rng = np.random.default_rng(2)
    logits = rng.normal(0, 2, size=(300, 10))
    labels = rng.integers(0, 10, 300)
    labels[-1] = 9
    wide, narrow = Tensor(logits, requires_grad=True), Tensor(logits, requires_grad=True)
    expected = losses.cross_entropy(wide, labels)
    loss = losses.cross_entropy(narrow, labels.astype(dtype))
    reference = _composite_cross_entropy(Tensor(logits), labels)
    np.testing.assert_allclose(loss.item(), reference.item(), rtol=1e-12)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=0, atol=0)
    expected.backward()
    loss.backward()
    np.testing.assert_array_equal(narrow.grad, wide.grad)
    onehot = np.eye(10)[labels]
    softmax = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax /= softmax.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(narrow.grad, (softmax - onehot) / 300, rtol=1e-10, atol=1e-15)


def test_fused_cross_entropy_backward_twice_accumulates_and_leaves_the_forward_intact():
    z = Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    loss = losses.cross_entropy(z, [2])
    loss.backward()
    first = z.grad.copy()
    loss.backward()
    np.testing.assert_allclose(z.grad, 2 * first)


def test_fused_cross_entropy_under_no_grad_and_anomaly_mode():
    z = Tensor(np.array([[1e4, -1e4], [0.0, 1.0]], dtype=np.float32), requires_grad=True)
    with detect_anomaly():
        loss = losses.cross_entropy(z, [1, 1])
        loss.backward()
    assert loss.dtype == np.float32 and np.isfinite(z.grad).all()
    from chainrule.autograd import no_grad

    with no_grad():
        assert losses.cross_entropy(z, [1, 1]).parents == ()


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)], ids=["batch", "3-d batch", "one sample"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_layer_matches_matmul_transpose_add(x_shape, bias):
    rng = np.random.default_rng(2)
    layer = nn.Linear(4, 3, bias=bias, seed=0, dtype="float64")
    if bias:
        layer.bias.data = rng.normal(size=3)
    x_data = rng.normal(size=x_shape)
    x = Tensor(x_data, requires_grad=True)
    out = layer(x)
    assert out.op == "linear"
    weight = Tensor(layer.weight.data, requires_grad=True)
    b = Tensor(layer.bias.data, requires_grad=True) if bias else None
    x_ref = Tensor(x_data, requires_grad=True)
    reference = x_ref @ weight.T
    if bias:
        reference = reference + b
    np.testing.assert_allclose(out.data, reference.data, rtol=1e-12)
    seed = rng.normal(size=out.shape)
    out.backward(seed)
    reference.backward(seed)
    np.testing.assert_allclose(x.grad, x_ref.grad, rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, weight.grad, rtol=1e-12)
    if bias:
        np.testing.assert_allclose(layer.bias.grad, b.grad, rtol=1e-12)


def test_linear_op_rejects_inputs_that_do_not_fit():
    layer = nn.Linear(4, 3, seed=0)
    with pytest.raises(ValueError, match="Linear expected inputs with 4 features"):
        layer(np.ones((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"op 'linear': inputs \(2, 5\) do not fit weight \(3, 4\)"):
        Tensor.apply(tensor_ops.Linear(), (), np.ones((2, 5)), np.ones((3, 4)))


# --- a leaf keeps the gradient array an op made for it alone, and only that one ---


def test_a_layer_gradient_is_kept_without_a_copy_and_accumulates(monkeypatch):
    layer = nn.Linear(4, 3, seed=0, dtype="float64")
    x = Tensor(np.random.default_rng(3).normal(size=(5, 4)))
    made = []
    vjp = tensor_ops.Linear.vjp

    def recording_vjp(self, grad, needs):
        grads = vjp(self, grad, needs)
        made.extend(g for g in grads if g is not None)
        return grads

    monkeypatch.setattr(tensor_ops.Linear, "vjp", recording_vjp)
    loss = (layer(x) * 2.0).sum()
    loss.backward()
    monkeypatch.undo()
    assert any(layer.weight.grad is g for g in made) and any(layer.bias.grad is g for g in made)
    first = layer.weight.grad.copy()
    loss.backward()  # adds into the kept array
    np.testing.assert_allclose(layer.weight.grad, 2 * first)
    np.testing.assert_allclose(first, 2.0 * np.ones((5, 3)).T @ x.data)


def test_gradients_that_other_nodes_or_the_caller_hold_are_copied():
    from chainrule.autograd import backpropagate

    w = Tensor(np.ones((2, 3)), requires_grad=True)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    out = Tensor.apply(tensor_ops.Linear(), (x, w), x.data, w.data)
    held = backpropagate(out, np.ones((2, 2)))[w]  # an op made it for w, and no backward() took it
    expected = np.ones((2, 2)).T @ x.data
    np.testing.assert_array_equal(held, expected)
    (w + 0.0).backward(gradient=held)  # `+` hands w the caller's own array
    assert w.grad is not held
    w.grad += 1.0
    np.testing.assert_array_equal(held, expected)
    w.grad = None
    w.backward(gradient=held)  # a leaf's own backward: the seed is the caller's
    assert w.grad is not held
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a + b).backward(gradient=np.ones(3))  # one array for two leaves
    a.grad += 1.0
    np.testing.assert_array_equal(b.grad, np.ones(3))


def test_training_steps_leave_no_reference_cycles(mnist):
    import gc

    X, y = mnist[0][:256], mnist[1][:256]
    model = nn.MLP(784, [32, 10], seed=0, backend="numpy")
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    gc.collect()
    gc.disable()
    try:
        for start in (0, 128):
            loss = losses.cross_entropy(model(X[start : start + 128]), y[start : start + 128])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        del loss
        assert gc.collect() == 0  # every graph went with its last reference, none waits for the collector
    finally:
        gc.enable()
