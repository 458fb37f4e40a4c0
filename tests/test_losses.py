"""Losses against hand-computed values on both backends, and their gradients against finite differences."""

import math
import re

import numpy as np
import pytest

from chainrule import nn
from chainrule.autograd import Parameter, Tensor, Value, gradcheck
from chainrule.nn import losses, softmax


def values(*xs):
    return [Value(x) for x in xs]


def tensor(rows):
    return Tensor(np.array(rows, dtype=np.float64), requires_grad=True)


def test_mse_value_and_gradient():
    p = values(1.0, 2.0)
    loss = losses.mse(p, [0.0, 4.0])
    assert loss.data == 2.5  # ((1-0)² + (2-4)²) / 2
    loss.backward()
    assert [v.grad for v in p] == [1.0, -2.0]  # 2(p - t)/n


def test_mse_on_a_tensor_matches():
    p = tensor([[1.0], [2.0]])
    loss = losses.mse(p, [0.0, 4.0])
    assert loss.item() == 2.5
    loss.backward()
    assert p.grad.ravel().tolist() == [1.0, -2.0]


def test_binary_cross_entropy_known_values():
    assert losses.binary_cross_entropy(Value(0.8), 1).data == pytest.approx(-math.log(0.8))
    assert losses.binary_cross_entropy(values(0.25, 0.8), [0, 1]).data == pytest.approx(
        -(math.log(0.75) + math.log(0.8)) / 2
    )
    assert losses.binary_cross_entropy(tensor([0.25, 0.8]), [0, 1]).item() == pytest.approx(
        -(math.log(0.75) + math.log(0.8)) / 2
    )


def test_binary_cross_entropy_clips_certain_wrong_answers():
    assert losses.binary_cross_entropy(Value(0.0), 1).data == pytest.approx(-math.log(1e-7))
    p = tensor([1.0, 0.0])
    loss = losses.binary_cross_entropy(p, [0, 1])
    assert loss.item() == pytest.approx(-math.log(1e-7), rel=1e-9)  # each term -log(1e-7), averaged
    loss.backward()
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])  # no gradient outside the clip
    v = Value(0.0)
    losses.binary_cross_entropy([v], [1.0]).backward()
    assert v.grad == 0.0


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_binary_cross_entropy_with_soft_targets_value_and_gradient(backend):
    p, t = np.array([0.3, 0.8, 0.5]), np.array([0.2, 0.9, 0.5])
    expected = float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))
    expected_grad = (p - t) / (p * (1 - p)) / len(p)
    pred = tensor(p) if backend == "numpy" else values(*p)
    loss = losses.binary_cross_entropy(pred, t)
    assert float(loss.data) == pytest.approx(expected, rel=1e-12)
    loss.backward()
    grads = pred.grad if backend == "numpy" else [v.grad for v in pred]
    np.testing.assert_allclose(grads, expected_grad, rtol=1e-12)


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_binary_cross_entropy_with_logits_and_soft_targets(backend):
    z, t = np.array([-1.5, 0.0, 2.0]), np.array([0.2, 0.9, 0.5])
    s = 1 / (1 + np.exp(-z))
    expected = float(np.mean(-(t * np.log(s) + (1 - t) * np.log(1 - s))))
    pred = tensor(z) if backend == "numpy" else values(*z)
    loss = losses.binary_cross_entropy_with_logits(pred, t)
    assert float(loss.data) == pytest.approx(expected, rel=1e-12)
    loss.backward()
    grads = pred.grad if backend == "numpy" else [v.grad for v in pred]
    np.testing.assert_allclose(grads, (s - t) / len(z), rtol=1e-12)


def test_cross_entropy_with_soft_rows_on_values_matches_numpy_and_central_differences():
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    rows = np.array([[0.1, 0.8, 0.1], [0.25, 0.25, 0.5]])
    log_softmax = z - z.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    expected = float(-(rows * log_softmax).sum() / len(z))
    logits = [values(*row) for row in z]
    assert losses.cross_entropy(logits, rows).data == pytest.approx(expected, rel=1e-12)
    assert gradcheck(lambda *flat: losses.cross_entropy([list(flat[:3]), list(flat[3:])], rows), z.ravel().tolist())


def test_bce_with_logits_known_values_and_stability():
    assert losses.binary_cross_entropy_with_logits(Value(0.0), 1).data == pytest.approx(math.log(2))
    assert losses.binary_cross_entropy_with_logits(Value(2.0), 1).data == pytest.approx(math.log(1 + math.exp(-2)))
    assert losses.binary_cross_entropy_with_logits(Value(1e4), 0).data == pytest.approx(1e4)
    assert losses.binary_cross_entropy_with_logits(Value(-1e4), 0).data == pytest.approx(0.0, abs=1e-12)
    assert losses.binary_cross_entropy_with_logits(tensor([1e4, -1e4]), [0, 1]).item() == pytest.approx(1e4)


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_bce_with_logits_gradient_at_zero_is_sigmoid_minus_target(target):
    z = Value(0.0)
    losses.binary_cross_entropy_with_logits(z, target).backward()
    assert z.grad == pytest.approx(0.5 - target)
    zs = tensor([[0.0], [0.0]])
    losses.binary_cross_entropy_with_logits(zs, [target, 1 - target]).backward()
    assert zs.grad.ravel().tolist() == pytest.approx([(0.5 - target) / 2, (target - 0.5) / 2])


def test_cross_entropy_known_value_integer_and_one_hot():
    expected = math.log(1 + math.exp(-1) + math.exp(-2))  # -log softmax([1, 2, 3])[2]
    assert losses.cross_entropy(values(1.0, 2.0, 3.0), 2).data == pytest.approx(expected)
    assert losses.cross_entropy([values(1.0, 2.0, 3.0)], [[0, 0, 1]]).data == pytest.approx(expected)
    assert losses.cross_entropy(tensor([[1.0, 2.0, 3.0]]), [2]).item() == pytest.approx(expected)
    assert losses.cross_entropy(tensor([[1.0, 2.0, 3.0]]), np.array([[0, 0, 1]])).item() == pytest.approx(expected)


def test_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    labels = [2, 0]
    z = tensor(logits)
    losses.cross_entropy(z, labels).backward()
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected = (shifted / shifted.sum(axis=1, keepdims=True) - np.eye(3)[labels]) / 2
    assert np.allclose(z.grad, expected, atol=1e-12)
    rows = [values(*row) for row in logits]
    losses.cross_entropy(rows, labels).backward()
    assert np.allclose([[v.grad for v in row] for row in rows], expected, atol=1e-12)


def test_cross_entropy_is_stable_for_huge_logits():
    assert losses.cross_entropy(values(1e4, -1e4), 1).data == pytest.approx(2e4)
    z = tensor([[1e4, -1e4], [-1e4, 1e4]])
    loss = losses.cross_entropy(z, [1, 1])
    loss.backward()
    assert loss.item() == pytest.approx(1e4) and np.isfinite(z.grad).all()


def test_cross_entropy_with_target_rows_leaves_out_masked_logits_it_gives_no_weight():
    """A logit of -inf (a masked class) with target weight 0 adds nothing, as with a label; 0 · (-inf) is no NaN."""
    z = np.array([[0.0, -np.inf, 1.0]])
    log_total = np.log(1.0 + np.e)
    for target, expected in (([0], log_total), ([[1.0, 0.0, 0.0]], log_total), ([[0.5, 0.0, 0.5]], log_total - 0.5)):
        logits = tensor(z)
        loss = losses.cross_entropy(logits, np.array(target))
        loss.backward()
        weights = np.array(target, dtype=float) if np.ndim(target) == 2 else np.array([[1.0, 0.0, 0.0]])
        softmax_of_z = np.array([[1.0, 0.0, np.e]]) / (1.0 + np.e)
        assert loss.item() == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(logits.grad, softmax_of_z - weights, rtol=1e-12)


def test_hinge_known_value():
    assert losses.hinge(values(0.5, -2.0), [1, -1]).data == 0.25  # relu(1 - 0.5), relu(1 - 2)
    with pytest.raises(ValueError, match=r"hinge needs targets of -1 or \+1, got \[0\.0, 1\.0\]"):
        losses.hinge(values(0.5, -2.0), [1, 0])


def test_l2_is_the_sum_of_squares():
    assert losses.l2(values(1.0, -2.0, 3.0)).data == 14.0
    assert losses.l2([tensor([1.0, -2.0]), tensor([[3.0]])]).item() == 14.0


def test_softmax_of_plain_numbers_is_an_array():
    probs = softmax(np.array([[1.0, 2.0], [1000.0, 1000.0]]))
    assert probs[1].tolist() == [0.5, 0.5]
    assert probs[0, 1] == pytest.approx(1 / (1 + math.exp(-1)))
    assert softmax([0.0, 0.0, 0.0]).tolist() == pytest.approx([1 / 3] * 3)


def test_one_sample_cross_entropy_graph_has_no_extra_nodes():
    loss = losses.cross_entropy(values(1.0, 2.0, 3.0), 2)
    assert loss.op == "-"  # log-sum-exp − z_target, with no × 1 or one-term Σ on top


def test_softmax_sums_to_one_and_is_stable():
    probs = softmax(values(1000.0, 1000.0, 999.0))
    assert sum(p.data for p in probs) == pytest.approx(1.0)
    assert probs[0].data == pytest.approx(1 / (2 + math.exp(-1)))
    assert softmax(tensor([[1000.0, 1000.0]])).data.tolist() == [[0.5, 0.5]]


@pytest.mark.parametrize(
    "loss, targets, inputs",
    [
        (losses.mse, [0.5, -1.0], [0.3, 0.7]),
        (losses.binary_cross_entropy, [1, 0], [0.3, 0.6]),
        (losses.binary_cross_entropy_with_logits, [1, 0], [0.3, -1.7]),
        (losses.hinge, [1, -1], [0.3, -0.2]),
        (lambda p, t: losses.cross_entropy(p, t), 1, [0.3, -1.2]),
    ],
)
def test_loss_gradients_match_finite_differences(loss, targets, inputs):
    assert gradcheck(lambda *p: loss(list(p), targets), inputs)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losses.mse(values(1.0, 2.0), [1.0]),
         r"mse: predictions have shape \(2,\) but targets have shape \(1,\)"),
        # a target with the right number of entries in another shape would be read in the wrong order
        (lambda: losses.mse(tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.zeros((2, 3))),
         r"mse: predictions have shape \(3, 2\) but targets have shape \(2, 3\)"),
        (lambda: losses.mse(tensor([[1.0, 2.0], [3.0, 4.0]]), np.zeros(4)),
         r"mse: predictions have shape \(2, 2\) but targets have shape \(4,\)"),
        (lambda: losses.hinge([values(1.0, 2.0), values(3.0, 4.0)], [1, -1, 1, -1]),
         r"hinge: predictions have shape \(2, 2\) but targets have shape \(4,\)"),
        (lambda: losses.binary_cross_entropy(tensor([[0.3]]), [[-1.0]]),
         r"binary_cross_entropy takes targets in \[0, 1\], got -1"),
        (lambda: losses.binary_cross_entropy_with_logits(tensor([[2.0]]), [[3.0]]),
         r"binary_cross_entropy_with_logits takes targets in \[0, 1\], got 3"),
        (lambda: losses.binary_cross_entropy(values(-0.5), [0.0]),
         r"takes probabilities \(a sigmoid's outputs\) in \[0, 1\], got -0.5; "
         r"for raw scores use binary_cross_entropy_with_logits"),
        (lambda: losses.binary_cross_entropy(tensor([[0.5], [1.5]]), [[0.0], [1.0]]), r"in \[0, 1\], got 1.5"),
        (lambda: losses.cross_entropy(tensor([[1.0, 2.0], [0.0, 1.0]]), [[2.0, -1.0], [0.0, 1.0]]),
         r"each one-hot row must be non-negative and sum to 1 .*, but row 0 is \[2.0, -1.0\]"),
        (lambda: losses.cross_entropy([values(1.0, 2.0), values(0.0, 1.0)], [[0.0, 1.0], [0.0, 0.0]]),
         r"each one-hot row must be non-negative and sum to 1 .*, but row 1 is \[0.0, 0.0\]"),
        (lambda: losses.mse(tensor([[1.0, 2.0]]), [1.0]), r"mse: predictions have shape \(1, 2\) but targets"),
        (lambda: losses.cross_entropy(values(1.0, 2.0), 2), r"class targets must lie in \[0, 1\], got 2\.\.2"),
        (lambda: losses.cross_entropy(values(1.0, 2.0), 0.5), "class targets must be integers"),
        (lambda: losses.cross_entropy(tensor([[1.0, 2.0]]), [0, 1]), r"1 samples but targets have shape \(2,\)"),
        (lambda: losses.cross_entropy([Value(1.0)], 0), "at least two"),
    ],
)
def test_bad_loss_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unknown_loss_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown loss 'nll'; expected one of mse, binary_cross_entropy"):
        losses.get_loss("nll")
    with pytest.raises(TypeError, match=r"loss must be a name such as 'mse' or a callable, got list \['mse'\]"):
        losses.get_loss(["mse"])
    with pytest.raises(TypeError, match="class targets must be integers 0, 1, ..., got an array of <U1"):
        losses.cross_entropy(tensor([[1.0, 2.0], [0.0, 1.0]]), np.array(["a", "b"]))


@pytest.mark.parametrize("backend", ["scalar", "numpy"])
def test_cross_entropy_refuses_a_model_with_one_output_on_both_backends(backend):
    X, y = nn.data.logic_gate("xor")
    model = nn.MLP(2, [4, 1], seed=0, backend=backend)
    before = model.state_dict()
    message = r"cross_entropy needs at least two logits per sample \(one per class\), but the model gives one; " \
              r"for two classes and one output use binary_cross_entropy_with_logits"
    with pytest.raises(ValueError, match=message):
        nn.fit(model, X, y, "cross_entropy", "adam", epochs=5, progress=False)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_a_flat_list_of_logits_is_one_sample_and_wants_one_label():
    with pytest.raises(ValueError, match=r"one sample's 3 logits but targets of shape \(2,\); pass one label"):
        losses.cross_entropy(values(1.0, 2.0, 3.0), [0, 1])


def test_a_loss_of_plain_numbers_names_what_it_got():
    with pytest.raises(TypeError, match=r"predictions must be Values \(a model's outputs\) or a Tensor, got float 1"):
        losses.mse([1.0, 2.0], [1.0, 2.0])


def test_cross_entropy_reads_a_column_of_labels_as_labels_on_both_backends():
    logits = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]])
    labels = np.array([0, 1, 2])
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[[0, 1, 2], labels]))
    for column in (labels.reshape(-1, 1), labels.reshape(-1, 1).astype(float)):
        assert losses.cross_entropy(Tensor(logits, dtype=np.float64), column).item() == pytest.approx(expected, 1e-12)
        rows = [values(*row) for row in logits.tolist()]
        assert losses.cross_entropy(rows, column).data == pytest.approx(expected, 1e-12)


def test_elementwise_losses_take_targets_that_differ_only_by_axes_of_length_one():
    pred = np.array([[0.25], [0.5], [0.75]])
    target = np.array([0.0, 1.0, 1.0])
    expected = float(np.mean((pred[:, 0] - target) ** 2))
    assert losses.mse(Tensor(pred, dtype=np.float64), target).item() == pytest.approx(expected, 1e-12)
    assert losses.mse([values(p) for p in pred[:, 0]], target.reshape(1, 3)).data == pytest.approx(expected, 1e-12)
    assert losses.mse(values(0.5)[0], [[1.0]]).data == pytest.approx(0.25, 1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: losses.cross_entropy(tensor([1.0, 2.0, 3.0]), [0]),
         r"cross_entropy: logits must have shape \(N, classes\), got \(3,\)"),
        (lambda: losses.cross_entropy(tensor([[1.0, 2.0, 3.0], [0.0, 1.0, 2.0]]), [[0.0, 1.0], [1.0, 0.0]]),
         r"cross_entropy: one-hot targets must have shape \(2, 3\), got \(2, 2\)"),
        (lambda: losses.cross_entropy([values(1.0, 2.0), values(0.0, 1.0)], [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]),
         r"cross_entropy: one-hot targets must have shape \(2, 2\), got \(2, 3\)"),
        (lambda: losses.cross_entropy([values(1.0, 2.0), values(0.0, 1.0, 2.0)], [0, 1]),
         "cross_entropy needs the same number of logits for every sample"),
    ],
)
def test_cross_entropy_shape_errors_name_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    with pytest.raises(TypeError, match="cross_entropy: one-hot targets must be numbers, got an array of dtype object"):
        losses.cross_entropy(tensor([[1.0, 2.0]]), np.array([[True, "x"]], dtype=object))


def test_softmax_of_a_batch_of_value_rows_normalizes_each_row():
    rows = softmax([[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]])
    expected = softmax(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert np.allclose([[p.data for p in row] for row in rows], expected, rtol=0, atol=1e-15)
    assert np.allclose([p.data for p in softmax([Value(1.0), Value(2.0)], axis=0)], expected[0], rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="softmax of a batch of Value rows normalizes each row: axis 1 or -1, got 0"):
        softmax([[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]], axis=0)
    with pytest.raises(ValueError, match="softmax of one sample's logits \\(a list of Values\\) takes axis 0 or -1"):
        softmax([Value(1.0), Value(2.0)], axis=1)
    with pytest.raises(TypeError, match="softmax takes one sample's logits as a list of Values, or a batch as rows"):
        softmax([[Value(1.0), [Value(2.0)]], [Value(3.0), Value(4.0)]])


@pytest.mark.parametrize(
    "rows, targets, lengths",
    [
        ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0, 100.0]], "a row of 1, a row of 2"),
        ([[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]], np.ones((3, 2)), "a row of 1, a row of 2, a row of 3"),  # as many
        ([[1.0], [2.0, 3.0]], np.ones(3), "a row of 1, a row of 2"),
        ([1.0, [2.0]], [0.0, 1.0], "a Value, a row of 1"),
    ],
)
def test_rows_of_predictions_of_different_lengths_are_refused_not_paired_in_the_wrong_order(rows, targets, lengths):
    pred = [values(*row) if isinstance(row, list) else Value(row) for row in rows]
    message = f"mse: the predictions' rows differ in shape \\({lengths}\\), but each prediction needs its own target"
    with pytest.raises(ValueError, match=message):
        losses.mse(pred, targets)


@pytest.mark.parametrize("name", ["mse", "binary_cross_entropy_with_logits", "hinge"])
def test_value_predictions_given_as_a_generator_are_read_once(name):
    w = Value(0.5)
    targets = [1.0, -1.0, 1.0] if name == "hinge" else [1.0, 0.0, 1.0]
    from_list = losses.LOSSES[name]([w * x for x in (1.0, 2.0, 3.0)], targets)
    from_generator = losses.LOSSES[name]((w * x for x in (1.0, 2.0, 3.0)), targets)
    assert from_generator.data == from_list.data


def test_a_list_of_tensors_as_predictions_is_named():
    rows = [Tensor([0.5], requires_grad=True), Tensor([0.2], requires_grad=True)]
    with pytest.raises(TypeError, match=re.escape("mse: predictions must be Values or one Tensor, got a list holding "
                                                  "Tensors: pass the model's output for the whole batch")):
        losses.mse(rows, [0.0, 1.0])
    logits = [Tensor([0.5, 0.1, 0.2], requires_grad=True), Tensor([0.2, 0.1, 0.3], requires_grad=True)]
    with pytest.raises(TypeError, match=re.escape("cross_entropy: predictions must be Values or one Tensor, got a")):
        losses.cross_entropy(logits, [1, 2])


def test_an_empty_list_of_value_predictions_is_an_empty_batch():
    with pytest.raises(ValueError, match="mse: an empty batch \\(no predictions\\) has no mean loss"):
        losses.mse([], [])


@pytest.mark.parametrize("name", ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge"])
@pytest.mark.parametrize("backend", ["value", "tensor"])
def test_targets_that_are_strings_are_refused_not_read_as_numbers(name, backend):
    pred = values(0.5, 0.5) if backend == "value" else Tensor([0.5, 0.5], requires_grad=True)
    with pytest.raises(TypeError, match=f"{name}: targets must be numbers, got an array of <U1 such as '1'"):
        losses.LOSSES[name](pred, ["1", "0"])
    with pytest.raises(TypeError, match=f"{name}: targets must be numbers, got str '1' among them"):
        losses.LOSSES[name](pred, np.array(["1", 0], dtype=object))


@pytest.mark.parametrize("targets, shown", [(None, "NoneType None"), ([None, 1.0], "NoneType None"),
                                             (np.array([0.0, "1"], dtype=object), "str '1'")])
def test_targets_that_hold_no_number_are_refused_not_read_as_nan(targets, shown):
    pred = Value(0.5) if targets is None else values(0.5, 0.5)
    with pytest.raises(TypeError, match=f"mse: targets must be numbers, got {shown} among them"):
        losses.mse(pred, targets)


def test_targets_of_python_number_objects_are_still_numbers():
    from fractions import Fraction

    loss = losses.mse(values(0.5, 1.0), np.array([Fraction(1, 2), 2], dtype=object))
    assert loss.data == 0.5  # ((0.5 - 0.5)² + (1 - 2)²) / 2


@pytest.mark.parametrize("labels", [[1e20, 0.0], np.array([2**63, 0], dtype=np.uint64), [2**63, 0]])
@pytest.mark.parametrize("backend", ["value", "tensor"])
def test_a_class_label_beyond_int64_is_named_as_given(labels, backend):
    logits = [values(0.0, 1.0, 2.0), values(0.0, 1.0, 2.0)] if backend == "value" else tensor([[0, 1, 2], [0, 1, 2]])
    shown = "100000000000000000000" if isinstance(labels[0], float) else "9223372036854775808"
    with pytest.raises(ValueError, match=f"cross_entropy: class targets must lie in \\[0, 2\\], got 0..{shown}\\b"):
        losses.cross_entropy(logits, labels)


@pytest.mark.parametrize("logits, label", [([1.0, math.nan], 0), ([1.0, 2.0, math.nan], 1), ([math.nan, 1.0], 1),
                                           ([1.0, math.inf], 0)])
def test_cross_entropy_of_value_logits_with_nan_or_inf_is_nan_as_for_a_tensor(logits, label):
    assert math.isnan(losses.cross_entropy([values(*logits)], [label]).data)
    assert math.isnan(losses.cross_entropy(tensor([logits]), [label]).data.item())


def test_cross_entropy_of_value_logits_far_apart_is_the_tensors_and_its_gradient_too():
    for far in (1e308, 1e4):
        z = values(-far, far)
        loss = losses.cross_entropy([z], [1])
        loss.backward()
        t = tensor([[-far, far]])
        expected = losses.cross_entropy(t, [1])
        expected.backward()
        assert loss.data == expected.data.item() == 0.0
        assert [v.grad for v in z] == t.grad[0].tolist() == [0.0, 0.0]
    z = values(-1e4, 1e4)  # the far logit as the label: its loss is 2e4, its gradient -1
    loss = losses.cross_entropy([z], [0])
    loss.backward()
    assert (loss.data, z[0].grad, z[1].grad) == (2e4, -1.0, 1.0)


@pytest.mark.parametrize("first", ["tensor", "value"])
def test_l2_refuses_a_list_mixing_tensors_and_values(first):
    mixed = [Tensor([1.0], requires_grad=True), Value(2.0)]
    if first == "value":
        mixed.reverse()
    kinds = ["Tensor", "Value"] if first == "tensor" else ["Value", "Tensor"]
    with pytest.raises(
        TypeError, match=f"l2 takes the parameters of one backend, Tensors or Values, but parameter 0 is a "
                         f"{kinds[0]} and parameter 1 a {kinds[1]}"
    ):
        losses.l2(mixed)


@pytest.mark.parametrize("name", ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge"])
def test_an_empty_batch_has_no_mean_loss(name):
    with pytest.raises(ValueError, match=f"{name}: an empty batch \\(no predictions\\) has no mean loss"):
        losses.LOSSES[name](Tensor(np.zeros((0, 1)), requires_grad=True), np.zeros(0))


@pytest.mark.parametrize("target", [np.zeros(0, dtype=int), np.zeros((0, 3))])
def test_cross_entropy_of_an_empty_batch_is_refused_on_both_backends(target):
    with pytest.raises(ValueError, match="op 'cross_entropy': an empty batch \\(no rows of logits\\) has no mean loss"):
        losses.cross_entropy(Tensor(np.zeros((0, 3)), requires_grad=True), target)
    with pytest.raises(ValueError, match="cross_entropy: an empty batch \\(no logits\\) has no mean loss"):
        losses.cross_entropy([], target)


@pytest.mark.parametrize("name", ["mse", "cross_entropy"])
def test_targets_that_require_grad_are_refused_naming_the_targets(name):
    pred = Tensor([[0.3, 0.7], [0.6, 0.4]], requires_grad=True)
    with pytest.raises(TypeError, match=f"{name}: the targets are numbers to fit, but a Tensor that requires grad "
                                        f"was given; pass its numbers \\(target.data\\)"):
        losses.LOSSES[name](pred, Tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True))
    assert float(losses.LOSSES[name](pred, Tensor([[1.0, 0.0], [0.0, 1.0]])).data) > 0  # a constant Tensor is fine


def test_cross_entropy_of_a_flat_list_as_long_as_its_targets_names_both_readings():
    logits = [Value(0.5), Value(-0.2), Value(0.1)]
    with pytest.raises(ValueError, match=r"but the model gives one; .* \(read as 3 samples, since there are 3 "
                                         r"targets\); if the 3 Values are one sample's logits, pass one label"):
        losses.cross_entropy(logits, [0, 1, 0])
    assert losses.cross_entropy(logits, [[0, 1, 0]]).data == pytest.approx(losses.cross_entropy(logits, 1).data)


def test_softmax_of_no_numbers_is_empty_as_for_a_tensor():
    assert softmax([]).shape == (0,)
    assert softmax(np.zeros((0, 3))).shape == (0, 3)
    assert softmax(Tensor(np.zeros((0, 3)))).shape == (0, 3)


def test_a_masked_array_of_predictions_or_logits_is_refused():
    with pytest.raises(TypeError, match=r"mse: predictions must be Values \(a model's outputs\) or a Tensor, got an "
                                        r"ndarray; a loss of plain numbers has no gradient to follow"):
        losses.mse(np.ma.array([5.0, 3.0], mask=[1, 0]), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"softmax's logits cannot be a masked array with masked entries \(1 here\)"):
        softmax(np.ma.array([1.0, 2.0], mask=[1, 0]))
    with pytest.raises(ValueError, match="op 'softmax': axis 5 is out of range for a tensor with 2 dimensions"):
        softmax(np.zeros((0, 3)), axis=5)


@pytest.mark.parametrize("logits", [np.array([[1.0, 2.0], [3.0, 4.0]]), np.ma.array([[1.0, 2.0]], mask=[[0, 1]])])
def test_cross_entropy_refuses_logits_that_are_plain_numbers(logits):
    with pytest.raises(TypeError, match=r"cross_entropy: predictions must be Values \(a model's outputs\) or a "
                                        r"Tensor, got an ndarray"):
        losses.cross_entropy(logits, [0] * len(logits))


@pytest.mark.parametrize("logits", [[[1.0, 2.0]], 3.0, [1.0, 2.0]])
def test_cross_entropy_refuses_plain_numbers_as_it_refuses_them_for_other_losses(logits):
    with pytest.raises(TypeError, match=r"predictions must be Values \(a model's outputs\) or a Tensor, got float "
                                        r"[13]\.0; a loss of plain numbers has no gradient to follow"):
        losses.cross_entropy(logits, [0])


def test_l2_names_what_is_no_list_of_parameters():
    with pytest.raises(TypeError, match=r"l2 takes a list of parameters such as model\.parameters\(\), got int"):
        losses.l2(1)
    w = Parameter(3.0)
    model = nn.MLP(2, [1], seed=0)
    for given, shown in (([w.data], "float 3.0 at position 0"), ([w, 2.0], "float 2.0 at position 1"),
                         (model.named_parameters(), r"tuple \('layers.0.neurons.0.w.0', .* at position 0"),
                         ({"w": w}, "str 'w' at position 0")):
        expected = rf"l2 takes parameters \(Values or Tensors\) such as model\.parameters\(\), got {shown}"
        with pytest.raises(TypeError, match=expected):
            losses.l2(given)


@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy", "hinge"])
def test_a_target_too_large_for_the_predictions_dtype_is_refused(loss):
    pred = Tensor([0.5], requires_grad=True)  # float32
    with pytest.raises(OverflowError, match=f"{loss}: the target 1e\\+39 overflows float32"):
        getattr(losses, loss)(pred, [1e39])


def test_cross_entropy_takes_one_label_for_one_sample_on_both_backends():
    z = [1.0, 2.0, 0.5]
    from_tensor = losses.cross_entropy(tensor([z]), 1)
    from_values = losses.cross_entropy(values(*z), 1)
    expected = math.log(sum(math.exp(v) for v in z)) - 2.0
    assert from_tensor.data == pytest.approx(expected, rel=1e-12)
    assert from_values.data == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r"cross_entropy: class targets must lie in \[0, 2\], got 3\.\.3"):
        losses.cross_entropy(tensor([z]), 3)


def test_a_tensor_loss_whose_sum_overflows_but_whose_mean_fits_is_computed():
    pred = Tensor(np.full(3, 1.2e154), requires_grad=True)  # squares of 1.44e308: their sum overflows float64
    loss = nn.losses.mse(pred, np.zeros(3))
    assert loss.item() == pytest.approx(1.44e308, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(pred.grad, np.full(3, 2 * 1.2e154 / 3), rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "scalar"])
def test_whole_number_labels_numpy_reads_as_objects_are_read_or_named(backend):
    from fractions import Fraction

    def logits():
        if backend == "numpy":
            return Tensor(np.zeros((2, 3)), requires_grad=True)
        return [[Value(0.0) for _ in range(3)] for _ in range(2)]

    assert float(losses.cross_entropy(logits(), [Fraction(1), 0]).data) == pytest.approx(np.log(3))
    with pytest.raises(ValueError, match=r"class targets must lie in \[0, 2\], got 0\.\.18446744073709551616"):
        losses.cross_entropy(logits(), [2**64, 0])
    with pytest.raises(ValueError, match=r"class targets must be integers \(or pass one-hot rows\)"):
        losses.cross_entropy(logits(), [Fraction(1, 2), 0])
