"""Signal generators, kernel presets and their registries."""

from __future__ import annotations

import numpy as np
import pytest

import convlab.core as cc


def test_step_ramp_impulse_values():
    np.testing.assert_array_equal(cc.step(6, at=4, low=-1, high=2), [-1, -1, -1, -1, 2, 2])
    np.testing.assert_array_equal(cc.step(5), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(cc.ramp(6, at=2, slope=0.5), [0, 0, 0, 0.5, 1.0, 1.5])
    np.testing.assert_array_equal(cc.impulse(4, at=3, amplitude=-2), [0, 0, 0, -2])
    np.testing.assert_array_equal(cc.impulse(5), [0, 0, 1, 0, 0])


def test_sine_and_square_values():
    t = np.arange(12)
    np.testing.assert_allclose(cc.sine(12, period=6, amplitude=2, phase=0.3),
                               2 * np.sin(2 * np.pi * t / 6 + 0.3), rtol=1e-15)
    np.testing.assert_array_equal(cc.square(10, period=5, amplitude=3, duty=0.4),
                                  [3, 3, -3, -3, -3, 3, 3, -3, -3, -3])


def test_noise_is_seeded_and_has_the_asked_spread():
    a, b, c = cc.noise(20_000, std=2.0, seed=5), cc.noise(20_000, std=2.0, seed=5), cc.noise(
        20_000, std=2.0, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert abs(a.std() - 2.0) < 0.05 and abs(a.mean()) < 0.05
    np.testing.assert_array_equal(a, np.random.default_rng(5).normal(0, 2.0, 20_000))


@pytest.mark.parametrize("rising", [True, False])
def test_updown_line_follows_the_data_set_recipe(rising):
    for seed in range(50):
        x = cc.updown_line(7, rising=rising, noise=0.5, seed=seed)
        clean = cc.updown_line(7, rising=rising, noise=0.0, seed=seed)
        slope = clean[1] - clean[0]
        assert (1.0 <= slope < 2.0) if rising else (-2.0 <= slope < -1.0)
        assert -0.5 <= clean[0] < 0.5  # intercept b
        np.testing.assert_allclose(np.diff(clean), slope, rtol=1e-12)
        assert np.all(np.abs(x - clean) <= 0.5)
    np.testing.assert_array_equal(cc.updown_line(5, seed=3), cc.updown_line(5, seed=3))


def test_kernel_presets_values():
    np.testing.assert_array_equal(cc.DIFFERENCE, [1, -1])
    np.testing.assert_array_equal(cc.LAPLACIAN, [1, -2, 1])
    np.testing.assert_array_equal(cc.moving_average(4), [0.25] * 4)
    g = cc.gaussian_kernel(7, 1.5)
    t = np.arange(7) - 3
    expected = np.exp(-t**2 / (2 * 1.5**2))
    np.testing.assert_allclose(g, expected / expected.sum(), rtol=1e-14)
    np.testing.assert_allclose(cc.gaussian_kernel(4, 1.0), cc.gaussian_kernel(4, 1.0)[::-1])


def test_kernels_do_what_their_help_says():
    line = 3.0 * np.arange(10) + 1.0
    np.testing.assert_allclose(cc.conv1d(line, cc.LAPLACIAN), 0.0, atol=1e-12)
    np.testing.assert_allclose(cc.conv1d(line, cc.DIFFERENCE), -3.0)
    np.testing.assert_allclose(cc.conv1d(line, cc.CENTRAL_DIFFERENCE), 3.0)
    np.testing.assert_allclose(cc.conv1d(np.full(9, 2.0), cc.gaussian_kernel(5, 2.0)), 2.0)


def test_registries_describe_callable_generators_with_valid_defaults():
    assert {"step", "ramp", "sine", "square", "impulse", "noise", "rising line",
            "falling line"} <= set(cc.SIGNAL_GENERATORS)
    assert {"difference", "moving average", "gaussian", "laplacian"} <= set(cc.KERNEL_PRESETS)
    for registry in (cc.SIGNAL_GENERATORS, cc.KERNEL_PRESETS):
        for name, gen in registry.items():
            assert gen.name == name and gen.description
            out = gen()
            assert out.ndim == 1 and out.size >= 1 and np.all(np.isfinite(out))
            for p in gen.params:
                assert p.help
                assert p.kind in (int, float)
                if p.minimum is not None:
                    assert p.minimum <= p.default
                if p.maximum is not None:
                    assert p.default <= p.maximum
    for name in ("rising line", "noise", "sine"):
        length = cc.SIGNAL_GENERATORS[name].defaults()["length"]
        assert cc.SIGNAL_GENERATORS[name]().shape == (length,)


def test_registry_passes_parameters_and_positions():
    gens = cc.SIGNAL_GENERATORS
    np.testing.assert_array_equal(gens["step"](length=6), [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(gens["impulse"](length=4, where=1.0), [0, 0, 0, 1])
    np.testing.assert_array_equal(gens["impulse"](length=4, where=0.0), [1, 0, 0, 0])
    np.testing.assert_array_equal(gens["ramp"](length=4, where=0.5, slope=2), [0, 0, 0, 2])
    np.testing.assert_array_equal(gens["falling line"](length=6, seed=9),
                                  cc.updown_line(6, rising=False, noise=0.5, seed=9))
    np.testing.assert_array_equal(cc.KERNEL_PRESETS["gaussian"](k=3, sigma=0.5),
                                  cc.gaussian_kernel(3, 0.5))
    # a preset hands out a copy: editing it does not change the constant
    preset = cc.KERNEL_PRESETS["difference"]()
    preset[0] = 99
    np.testing.assert_array_equal(cc.DIFFERENCE, [1, -1])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cc.step(0), "length must be at least 1"),
        (lambda: cc.step(5, at=5), "below the length 5"),
        (lambda: cc.step(5, at=-1), "at must be at least 0"),
        (lambda: cc.step(5, high=float("nan")), "high must be a finite number"),
        (lambda: cc.sine(5, period=0), "period must be positive"),
        (lambda: cc.square(5, duty=1.5), "duty must be between 0 and 1"),
        (lambda: cc.square(5, period=0), "period must be at least 1"),
        (lambda: cc.noise(5, std=-1), "std must be zero or positive"),
        (lambda: cc.noise(5, seed=-1), "seed must be at least 0"),
        (lambda: cc.updown_line(5, noise=-0.1), "noise must be zero or positive"),
        (lambda: cc.moving_average(0), "k .number of taps. must be at least 1"),
        (lambda: cc.gaussian_kernel(3, sigma=0), "sigma must be positive"),
        (lambda: cc.SIGNAL_GENERATORS["step"](lenght=4), "has no parameter.*lenght"),
        (lambda: cc.SIGNAL_GENERATORS["step"](where=2.0),
         "parameter where of step must be a number from 0 to 1, got 2.0"),
    ],
)
def test_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
