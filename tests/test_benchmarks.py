"""The references `benchmarks/mnist.py` times `nn.fit` against do the same training: a ratio to a loop that
computed something else would mean nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule import nn

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "mnist.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mnist_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    X = rng.random((1000, 784), dtype=np.float32)  # 7 full batches of 128 and a last one of 104
    y = rng.integers(0, 10, 1000)
    return X, y


def test_hand_loop_and_bare_engine_train_exactly_as_nn_fit(bench, data):
    X, y = data
    model = bench.course_model(0)
    initial = [p.data.copy(order="K") for p in model.parameters()]
    history = nn.fit(model, X, y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=1,
                     batch_size=bench.BATCH, seed=np.random.default_rng(0), progress=False)
    order = np.random.default_rng(0).permutation(len(X))  # the batches nn.fit drew
    hand = bench.hand_weights(initial)
    hand_loss, hand_accuracy = bench.hand_epoch(hand, X, y, order, 0.1)
    bare = [bench._BareNode(a.copy(order="K")) for a in initial]
    bare_loss, bare_accuracy = bench.bare_epoch(bare, X, y, order, 0.1)
    assert hand_loss == pytest.approx(history.loss[0], rel=1e-5)
    assert bare_loss == pytest.approx(history.loss[0], rel=1e-5)
    assert hand_accuracy == pytest.approx(history.accuracy[0], abs=1e-12)  # the same count of right answers
    assert bare_accuracy == pytest.approx(history.accuracy[0], abs=1e-12)
    for param, hand_array, bare_node in zip(model.parameters(), hand, bare):
        trained = param.data
        np.testing.assert_allclose(hand_array.T if trained.ndim == 2 else hand_array, trained, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(bare_node.data, trained, rtol=1e-4, atol=1e-6)
        assert trained.ndim == 1 or not np.shares_memory(hand_array, trained)


def test_hand_loop_runs_on_nn_fit_s_memory_layout(bench):
    initial = [p.data for p in bench.course_model(0).parameters()]
    for weight, copy in zip(initial[::2], bench.hand_weights(initial)[::2]):
        assert weight.flags.f_contiguous and copy.flags.c_contiguous  # the same memory order, read as Wᵀ
        assert copy.shape == weight.shape[::-1] and copy.ctypes.data % 64 == 0
        np.testing.assert_array_equal(copy, weight.T)


def test_hand_weights_refuses_a_row_major_weight(bench):
    initial = [p.data for p in bench.course_model(0).parameters()]
    initial[0] = np.ascontiguousarray(initial[0])
    with pytest.raises(ValueError, match=r"a weight of shape \(100, 784\) is not column-major as nn.Linear's are"):
        bench.hand_weights(initial)


def test_one_blas_thread_runs_the_trainer_on_one_thread_or_is_none_without_threadpoolctl(bench, monkeypatch):
    run = bench.one_blas_thread()
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        assert run is None
    else:
        def blas_threads_now() -> tuple:
            return tuple(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")

        before = blas_threads_now()
        assert run(lambda: ("result", blas_threads_now())) == ("result", tuple(1 for _ in before))
        assert blas_threads_now() == before
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    assert bench.one_blas_thread() is None
