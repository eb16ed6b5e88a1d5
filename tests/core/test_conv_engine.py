"""The engine's planner: kernels computed side by side, row sums reused, blocks when parallel.

Every bank here is built so that the planner stacks its kernels (or reuses the
box's row sums); the results must still equal scipy, the integer threshold and
the per-class counts of plain numpy.
"""

import numpy as np
import pytest
import scipy.signal

from convlab.core import _conv_engine as engine
from convlab.core import _conv_program as compiler
from convlab.core import threads as threads_module
from convlab.core.conv2d import CONV2D_MODES, Convolution, conv2d
from convlab.core.detector_stats import detector_masks, detector_statistics
from convlab.core.detectors import LINE_DETECTORS

RNG = np.random.default_rng(2026)
DETECTORS = np.stack([np.asarray(k, dtype=np.float64) for k in LINE_DETECTORS.values()])


def reference(images, kernels, mode, flip):
    fn = scipy.signal.convolve2d if flip else scipy.signal.correlate2d
    return np.array([[fn(x, k, mode=mode) for k in kernels] for x in images])


def shifted_bank(pattern: np.ndarray, count: int, step: tuple[int, int]) -> np.ndarray:
    """``count`` kernels: ``pattern`` moved by ``step`` each time inside a larger kernel."""
    ph, pw = pattern.shape
    kh, kw = ph + step[0] * (count - 1), pw + step[1] * (count - 1)
    bank = np.zeros((count, kh, kw))
    for k in range(count):
        i, j = step[0] * k, step[1] * k
        bank[k, i : i + ph, j : j + pw] = pattern
    return bank


def test_the_line_detectors_compile_to_one_stack_of_three_and_ten_calls():
    flipped = DETECTORS[:, ::-1, ::-1]
    program = compiler.build_program(flipped, 30, integer=True)
    names = list(LINE_DETECTORS)
    stacked = [tuple(names[k] for k in stack) for stack in program.stacks]
    assert sorted(map(len, stacked)) == [1, 3]
    assert ("horizontal",) in stacked
    # 1 multiply, 4 box additions, 1 multiply of the row sums, 3 stacked calls, 1 for horizontal
    assert len(program.steps) == 10
    assert sorted(program.rows) == [0, 1, 2, 3]


@pytest.mark.parametrize("mode", CONV2D_MODES)
@pytest.mark.parametrize("flip", [True, False])
@pytest.mark.parametrize("step", [(0, 1), (1, 0), (1, 1), (1, -1)])
def test_stacked_kernels_equal_scipy(mode, flip, step):
    pattern = RNG.normal(size=(2, 2))
    bank = shifted_bank(pattern, 3, (abs(step[0]), abs(step[1])))
    if step[1] < 0:
        bank = bank[::-1, :, ::-1].copy()  # offsets stepping the other way
    program = compiler.build_program(bank[:, ::-1, ::-1] if flip else bank, 16, integer=False)
    assert max(map(len, program.stacks)) == 3
    images = RNG.normal(size=(5, 9, 11))
    got = conv2d(images, bank, mode=mode, flip=flip, dtype=np.float64)
    np.testing.assert_allclose(got, reference(images, bank, mode, flip), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", CONV2D_MODES)
@pytest.mark.parametrize("flip", [True, False])
def test_stacked_integer_kernels_are_exact(mode, flip):
    pattern = RNG.integers(-4, 5, size=(2, 3)).astype(np.float64)
    bank = np.concatenate([shifted_bank(pattern, 3, (1, 0)),
                           RNG.integers(-3, 4, size=(1, 4, 3)).astype(np.float64)])
    images = RNG.integers(0, 256, size=(7, 10, 9), dtype=np.uint8)
    got = conv2d(images, bank, mode=mode, flip=flip, dtype=np.int32)
    want = reference(images.astype(np.int64), bank.astype(np.int64), mode, flip)
    np.testing.assert_array_equal(got, want)


def test_a_row_of_equal_weights_reads_the_row_sums():
    bank = np.array([[[-1, -1, -1, -1], [5, 5, 5, 5], [-1, -1, -1, -1]],
                     [[-1, 2, -1, -1], [-1, 2, -1, -1], [-1, 2, -1, -1]]], dtype=np.float64)
    program = compiler.build_program(bank, 12, integer=True)
    row_multiplies = [st for st in program.steps if st.code == compiler._MUL and st.scalar == 6.0]
    assert len(row_multiplies) == 1  # 6·(row sums): the row of fives on a box of −1
    images = RNG.integers(0, 256, size=(4, 8, 9), dtype=np.uint8)
    for mode in CONV2D_MODES:
        got = conv2d(images, bank, mode=mode, dtype=np.int32)
        np.testing.assert_array_equal(got, reference(images.astype(np.int64), bank, mode, True))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("mode", CONV2D_MODES)
def test_stacked_thresholds_and_counts_equal_numpy(threads, mode):
    bank = np.concatenate([shifted_bank(np.array([[3.0, 3.0]]), 3, (1, 1)) - 1,
                           [[[1, -1, 0, 2], [0, 1, 1, -1], [2, 0, -1, 1]]]])
    assert 3 in map(len, compiler.build_program(bank[:, ::-1, ::-1], 20, True).stacks)
    images = RNG.integers(0, 256, size=(300, 12, 12), dtype=np.uint8)
    labels = RNG.integers(0, 10, size=300).astype(np.uint8)
    level = 1.2
    exact = reference(images.astype(np.int64), bank, mode, True)
    want_masks = exact > level * 255
    masks = detector_masks(images, bank, level, mode, True, block=37, threads=threads)
    np.testing.assert_array_equal(masks, want_masks)
    stats = detector_statistics(images, labels, bank, level, mode, True, block=29,
                                threads=threads)
    for c in range(10):
        mine = labels == c
        np.testing.assert_array_equal(
            stats.fraction_above[c], want_masks[mine].mean(axis=(0, 2, 3)))
        np.testing.assert_allclose(stats.mean_response[c], exact[mine].mean(axis=0) / 255,
                                   rtol=1e-12)


def test_blocks_are_bigger_when_several_workers_share_the_work(monkeypatch):
    monkeypatch.setattr(threads_module, "available_cores", lambda: 4)
    images = np.zeros((5000, 28, 28), np.uint8)
    one = Convolution(images, DETECTORS, "full", True, threads=1)
    two = Convolution(images, DETECTORS, "full", True, threads=2)
    assert two.block == engine.PARALLEL_BLOCK_FACTOR * one.block
    small = Convolution(images[:300], DETECTORS, "full", True, threads=2)
    assert small.block <= 150  # never one block for everything: both workers get work
    assert Convolution(images, DETECTORS, "full", True, block=10, threads=2).block == 10
