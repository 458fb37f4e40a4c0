"""Parameters and optimizer state start on 64-byte cache lines, with their values, shapes and layouts intact."""

import numpy as np
import pytest

from chainrule import nn
from chainrule.nn.arrays import CACHE_LINE, aligned_copy, aligned_empty_like, aligned_zeros_like


def offset(array: np.ndarray) -> int:
    return array.ctypes.data % CACHE_LINE


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(100, 784), (7, 3), (10,), (1,), (0,), ()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_aligned_copy_keeps_values_shape_dtype_and_order(shape, dtype, order):
    source = np.asarray(np.random.default_rng(0).standard_normal(shape), dtype=dtype, order=order)
    copy = aligned_copy(source)
    assert offset(copy) == 0 or source.size == 0  # an empty array has no data to place
    assert copy.shape == source.shape and copy.dtype == source.dtype
    assert copy.flags.c_contiguous == source.flags.c_contiguous
    assert copy.flags.f_contiguous == source.flags.f_contiguous
    np.testing.assert_array_equal(copy, source)
    copy[...] = 1  # a copy, not a view of the source
    if source.size:
        assert not np.all(source == 1)


def test_aligned_copies_start_on_a_line_whatever_numpy_hands_out():
    # NumPy's own arrays start 16 bytes apart at random: of many copies, every one is on a line
    sources = [np.arange(n, dtype=np.float32) for n in range(1, 200)]
    assert {offset(aligned_copy(s)) for s in sources} == {0}
    assert {offset(aligned_empty_like(s)) for s in sources} == {0}


def test_aligned_zeros_are_zeros_in_the_arrays_layout():
    like = np.asfortranarray(np.ones((5, 4), dtype=np.float32))
    zeros = aligned_zeros_like(like)
    assert offset(zeros) == 0 and zeros.flags.f_contiguous and zeros.dtype == np.float32
    np.testing.assert_array_equal(zeros, np.zeros((5, 4)))


def test_a_models_parameters_start_on_cache_lines_and_stay_there_when_loaded():
    model = nn.MLP(784, [100, 10], seed=0, backend="numpy")
    assert [offset(p.data) for p in model.parameters()] == [0] * 4
    state = {key: value + 1 for key, value in model.state_dict().items()}
    model.load_state_dict(state)
    for p, key in zip(model.parameters(), state):
        assert offset(p.data) == 0
        np.testing.assert_array_equal(p.data, state[key])
    assert model.parameters()[0].data.flags.f_contiguous  # the weight keeps its column-major layout


@pytest.mark.parametrize("make", [lambda p: nn.SGD(p, lr=0.1, momentum=0.9), nn.Adam, nn.RMSprop, nn.Adagrad])
def test_optimizer_state_is_made_once_on_a_cache_line(make):
    model = nn.MLP(3, [4, 2], seed=0, backend="numpy")
    optimizer = make(model.parameters())
    x, y = np.ones((5, 3), np.float32), np.array([0, 1, 0, 1, 1])
    for step in range(3):
        optimizer.zero_grad()
        nn.losses.cross_entropy(model(x), y).backward()
        optimizer.step()
        arrays = [array for p in model.parameters() for name, array in optimizer.state_of(p).items()
                  if name in optimizer.STATE]  # not Adam's count of updates, a number
        if step == 0:
            first = arrays
    assert arrays and all(a is b for a, b in zip(arrays, first))  # the same arrays, updated in place
    assert {offset(a) for a in arrays} == {0}
