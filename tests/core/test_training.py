"""The k-tap model, its exact loss and gradient, the optimizers and the Trainer."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import convlab.core as cc
from convlab.core import tap_model

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def reference_predict(x, params, bias):
    """The model written the slow, obvious way: numpy's valid correlation, then its mean."""
    params = np.asarray(params, dtype=float)
    w, b = (params[:-1], params[-1]) if bias else (params, 0.0)
    return np.array([np.mean(np.correlate(row, w, mode="valid")) + b for row in x])


def reference_loss(x, y, params, bias):
    return 0.5 * np.mean((y - reference_predict(x, params, bias)) ** 2)


@st.composite
def models(draw, max_taps=4):
    n = draw(st.integers(2, 7))
    taps = draw(st.integers(1, min(n, max_taps)))
    batch = draw(st.integers(1, 6))
    bias = draw(st.booleans())
    x = draw(arrays(float, (batch, n), elements=finite))
    y = draw(arrays(float, (batch,), elements=st.sampled_from([0.0, 1.0])))
    params = draw(arrays(float, (taps + bias,), elements=finite))
    return x, y, params, bias


@pytest.fixture(scope="module")
def data():
    return cc.updown_dataset(seed=0)


# -- the model -------------------------------------------------------------------------------
@given(models())
def test_predict_and_loss_match_numpy_correlate(model):
    x, y, params, bias = model
    np.testing.assert_allclose(
        cc.predict(x, params, bias), reference_predict(x, params, bias), atol=1e-12
    )
    assert cc.loss(x, y, params, bias) == pytest.approx(
        reference_loss(x, y, params, bias), abs=1e-12
    )


@given(models())
def test_model_is_the_mean_of_the_shared_conv1d(model):
    x, _, params, bias = model
    taps = params.size - bias
    # F is the conv1d Jacobian averaged over output positions
    np.testing.assert_allclose(
        cc.window_means(x, taps), cc.conv1d_weight_jacobian(x, taps).mean(axis=1), atol=1e-12
    )
    expected = cc.conv1d(x, params[:taps]).mean(axis=1) + (params[-1] if bias else 0.0)
    np.testing.assert_allclose(cc.predict(x, params, bias), expected, atol=1e-12)


def test_window_means_by_hand():
    x = np.array([[0.0, 1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 1.0, -1.0, 1.0]])
    np.testing.assert_allclose(cc.window_means(x, 2), [[1.5, 2.5], [0.0, 0.0]])
    np.testing.assert_allclose(cc.window_means(x, 3), [[1.0, 2.0, 3.0], [1 / 3, -1 / 3, 1 / 3]])
    np.testing.assert_allclose(cc.window_means(x, 5), x)  # one window: the signal itself
    np.testing.assert_allclose(
        cc.design_matrix(x, 1, bias=True), [[2.0, 1.0], [0.2, 1.0]]
    )


def test_gradient_by_hand():
    # x = (0, 1, 2), w = (1, 1): F = (0.5, 1.5), p = 2, y = 1 → ∇ = (p − y)·F = (0.5, 1.5)
    x, y = [[0.0, 1.0, 2.0]], [1.0]
    np.testing.assert_allclose(cc.loss_gradient(x, y, [1.0, 1.0]), [0.5, 1.5])
    np.testing.assert_allclose(
        cc.loss_gradient(x, y, [1.0, 1.0, 0.5], bias=True), [0.75, 2.25, 1.5]
    )
    assert cc.loss(x, y, [1.0, 1.0]) == pytest.approx(0.5)


@given(models())
@settings(max_examples=60)
# A gradient only ~5e4 times the differences' rounding noise (found by a random run):
@example((np.array([[5.96046448e-08, 0.0], [0.0, 0.0], [0.0, 0.0]]), np.zeros(3),
          np.array([5.96046448e-08, 0.0]), True))
def test_gradient_matches_finite_differences(model):
    x, y, params, bias = model
    check = cc.check_gradient(x, y, params, bias)
    np.testing.assert_allclose(check.analytic, cc.loss_gradient(x, y, params, bias))
    # central differences of a quadratic are exact up to rounding: the difference is
    # within 1e-6 of the gradient, or within the rounding noise the check reports
    diff = float(np.linalg.norm(check.numeric - check.analytic))
    noise = 10 * check.resolution * np.sqrt(check.numeric.size)
    assert diff <= 1e-6 * float(np.linalg.norm(check.analytic)) + noise
    assert check.relative_error < 1e-6 or diff <= noise


def test_check_gradient_catches_a_wrong_gradient(monkeypatch, data):
    (x, y), _ = data
    right = tap_model.loss_gradient
    monkeypatch.setattr(tap_model, "loss_gradient", lambda *a: 1.01 * right(*a))
    assert cc.check_gradient(x, y, [0.5, 0.5]).relative_error == pytest.approx(0.01 / 2.01)


def test_accuracy_by_hand():
    x = [[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    # w = (-1, 1) gives p = 1, -1, 0 → classes 1, 0, 0
    assert cc.accuracy(x, [1.0, 0.0, 0.0], [-1.0, 1.0]) == 1.0
    assert cc.accuracy(x, [0.0, 0.0, 0.0], [-1.0, 1.0]) == pytest.approx(2 / 3)
    # with b = 0.6: p = 1.6, -0.4, 0.6 → classes 1, 0, 1
    assert cc.accuracy(x, [0.0, 0.0, 1.0], [-1.0, 1.0, 0.6], bias=True) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cc.predict([1.0, 2.0], [1.0]), "2-D"),
        (lambda: cc.predict([[1.0, 2.0]], [1.0, 1.0, 1.0]), "does not fit"),
        (lambda: cc.predict([[1.0, np.nan]], [1.0]), "NaN"),
        (lambda: cc.loss([[1.0, 2.0]], [0.0, 1.0], [1.0]), "labels for 1 signals"),
        (lambda: cc.predict([[1.0, 2.0]], [1.0], bias=True), "at least one weight"),
        (lambda: cc.loss_surface([[1.0, 2.0]], [0.0], [1.0, 1.0], [0.0], [0.0], axes=(0, 0)),
         "two different"),
        (lambda: cc.loss_surface([[1.0, 2.0]], [0.0], [1.0, 1.0], [0.0], [0.0], axes=(0, 2)),
         "two different"),
    ],
)
def test_bad_input_raises_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- the exact quadratic, its landscape and optimum ---------------------------------------
@given(models(), arrays(float, (5,), elements=finite))
@settings(max_examples=40)
def test_quadratic_form_equals_the_loss(model, other):
    x, y, params, bias = model
    q = cc.QuadraticLoss.from_data(x, y, params.size - bias, bias)
    assert q(params) == pytest.approx(reference_loss(x, y, params, bias), abs=1e-9)
    np.testing.assert_allclose(q.gradient(params), cc.loss_gradient(x, y, params, bias),
                               atol=1e-9)
    many = np.stack([params, other[: params.size]])
    np.testing.assert_allclose(q(many), [q(params), q(other[: params.size])])


@pytest.mark.parametrize(
    ("taps", "bias", "axes"),
    [(2, False, (0, 1)), (2, False, (1, 0)), (2, True, (0, 2)), (3, True, (1, 3)),
     (1, True, (1, 0))],
)
def test_loss_surface_equals_direct_evaluation(data, taps, bias, axes):
    (x, y), _ = data
    rng = np.random.default_rng(taps)
    params = rng.normal(size=taps + bias)
    u, v = np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)
    z = cc.loss_surface(x, y, params, u, v, axes=axes, bias=bias)
    assert z.shape == (7, 5)
    for i, ui in enumerate(u):
        for j, vj in enumerate(v):
            point = params.copy()
            point[axes[0]], point[axes[1]] = ui, vj
            assert z[i, j] == pytest.approx(reference_loss(x, y, point, bias), rel=1e-10)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("seed", range(5))
def test_least_squares_optimum_is_the_minimum(seed, bias):
    (x, y), _ = cc.updown_dataset(seed=seed)
    opt = cc.least_squares_optimum(x, y, bias=bias)
    # the normal equations H θ = g, solved independently
    q = cc.QuadraticLoss.from_data(x, y, 2, bias)
    np.testing.assert_allclose(opt, np.linalg.solve(q.hessian, q.linear), rtol=1e-7)
    np.testing.assert_allclose(cc.loss_gradient(x, y, opt, bias), 0, atol=1e-12)
    # every 2-D slice through the optimum has its minimum there
    n = opt.size
    for a in range(n):
        for b in range(a + 1, n):
            du = np.linspace(-0.05, 0.05, 21)
            z = cc.loss_surface(x, y, opt, opt[a] + du, opt[b] + du, axes=(a, b), bias=bias)
            assert np.unravel_index(np.argmin(z), z.shape) == (10, 10)
            assert z[10, 10] == pytest.approx(cc.loss(x, y, opt, bias), rel=1e-12)


def test_surface_minimum_found_on_a_grid_is_near_least_squares(data):
    (x, y), _ = data
    opt = cc.least_squares_optimum(x, y)
    u, v = np.linspace(-1, 1, 401), np.linspace(-1, 1, 401)
    z = cc.loss_surface(x, y, [0.5, 0.5], u, v)
    i, j = np.unravel_index(np.argmin(z), z.shape)
    # the valley is flat along w1 + w2: the grid minimum is within a few cells
    assert abs(u[i] - opt[0]) < 0.03 and abs(v[j] - opt[1]) < 0.03


# -- what training converges to, over many seeds ----------------------------------------------
@pytest.fixture(scope="module")
def optima():
    rows = []
    for seed in range(200):
        (x, y), (xt, yt) = cc.updown_dataset(seed=seed)
        w = cc.least_squares_optimum(x, y)
        wb = cc.least_squares_optimum(x, y, bias=True)
        rows.append((*w, *wb, cc.accuracy(x, y, w), cc.accuracy(xt, yt, w),
                     cc.accuracy(xt, yt, wb, bias=True)))
    return np.array(rows)


def test_without_bias_the_slope_response_settles_near_minus_one_third(optima):
    w1, w2 = optima[:, 0], optima[:, 1]
    response = 1.5 * w1 + 2.5 * w2
    assert np.median(response) == pytest.approx(-1 / 3, abs=0.02)
    assert np.all(np.abs(response + 1 / 3) < 0.1)
    # w1 + w2 is barely determined: it wanders over a range several times wider
    spread = np.percentile(w1 + w2, 95) - np.percentile(w1 + w2, 5)
    assert spread > 0.3 and spread > 4 * (np.percentile(response, 95) - np.percentile(response, 5))


def test_without_bias_accuracy_stays_mediocre(optima):
    train_acc, test_acc = optima[:, 5], optima[:, 6]
    assert 0.6 <= np.median(test_acc) <= 0.8
    assert np.mean((test_acc >= 0.5) & (test_acc <= 0.9)) >= 0.85
    assert np.all((train_acc > 0.5) & (train_acc < 0.9))


def test_with_bias_the_kernel_becomes_a_difference_filter(optima):
    w1, w2, b, test_acc = optima[:, 2], optima[:, 3], optima[:, 4], optima[:, 7]
    assert np.all(test_acc == 1.0)
    assert np.all(np.abs(b - 0.5) < 0.06)
    assert np.all(w2 < 0) and np.all(w1 > w2)
    assert np.mean(w1 > 0) >= 0.95  # a few seeds have w1 slightly below 0
    # w1 ≈ −w2: the sum is small next to the difference
    assert np.median(np.abs(w1 + w2)) < 0.25 * np.median(w1 - w2)


def test_ill_conditioned_valley_without_bias(data):
    (x, y), _ = data
    eig = np.linalg.eigvalsh(cc.QuadraticLoss.from_data(x, y, 2).hessian)
    assert eig[-1] / eig[0] > 300


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_sgd_reaches_the_least_squares_optimum(seed, bias):
    data = cc.updown_dataset(seed=seed)
    trainer = cc.Trainer(data, bias=bias)
    trainer.step(100_000)
    np.testing.assert_allclose(trainer.params, trainer.optimum(), atol=1e-4)
    np.testing.assert_allclose(
        trainer.optimum(), cc.least_squares_optimum(*data[0], bias=bias), rtol=1e-12
    )
    assert not trainer.diverged


# -- optimizers: the first steps by hand ------------------------------------------------------
G1, G2 = np.array([1.0, -2.0]), np.array([0.5, 4.0])
LR = np.array([0.1, 0.01])


def two_updates(name, **options):
    opt = cc.make_optimizer(name, 2, LR, **options)
    theta = np.array([1.0, 1.0])
    opt.update(theta, G1)
    first = theta.copy()
    opt.update(theta, G2)
    return first, theta


def test_sgd_by_hand():
    first, second = two_updates("sgd")
    np.testing.assert_allclose(first, [1 - 0.1, 1 + 0.02])
    np.testing.assert_allclose(second, [1 - 0.1 - 0.05, 1 + 0.02 - 0.04])


def test_momentum_by_hand():
    first, second = two_updates("momentum", momentum=0.5)
    # v1 = g1 = (1, -2); v2 = 0.5·v1 + g2 = (1, 3)
    np.testing.assert_allclose(first, [0.9, 1.02])
    np.testing.assert_allclose(second, [0.9 - 0.1, 1.02 - 0.03])


def test_nesterov_by_hand():
    first, second = two_updates("nesterov", momentum=0.5)
    # v1 = (1, -2), step g1 + 0.5·v1 = (1.5, -3); v2 = (1, 3), step g2 + 0.5·v2 = (1, 5.5)
    np.testing.assert_allclose(first, [1 - 0.15, 1 + 0.03])
    np.testing.assert_allclose(second, [1 - 0.15 - 0.1, 1 + 0.03 - 0.055])


def test_adam_by_hand():
    first, second = two_updates("adam", beta1=0.5, beta2=0.75, eps=1e-300)
    # t=1: m̂ = g1, ŝ = g1² → step = α·sign(g1)
    np.testing.assert_allclose(first, [0.9, 1.01])
    # t=2: m = (0.5·g1 + 0.5·g2)/2... written out: m = 0.25·g1 + 0.5·g2, m̂ = m/0.75
    m = 0.5 * (0.5 * G1) + 0.5 * G2
    s = 0.75 * (0.25 * G1**2) + 0.25 * G2**2
    m_hat, s_hat = m / (1 - 0.25), s / (1 - 0.75**2)
    np.testing.assert_allclose(second, first - LR * m_hat / np.sqrt(s_hat))


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("rmsprop", {}, "one of"),
        ("sgd", {"momentum": 0.9}, "no option"),
        ("momentum", {"momentum": 1.0}, r"\[0, 1\)"),
        ("adam", {"eps": 0.0}, "eps"),
    ],
)
def test_bad_optimizer_settings(name, options, match):
    with pytest.raises(ValueError, match=match):
        cc.make_optimizer(name, 2, 0.01, **options)


@pytest.mark.parametrize(("lr", "match"), [([0.1, 0.1, 0.1], "one learning rate"), (-1, ">= 0")])
def test_bad_learning_rates(lr, match):
    with pytest.raises(ValueError, match=match):
        cc.make_optimizer("sgd", 2, lr)


# -- the Trainer ---------------------------------------------------------------------------
def test_trainer_defaults_reproduce_the_notebook(data):
    trainer = cc.Trainer(data)
    np.testing.assert_array_equal(trainer.params, [0.5, 0.5])
    np.testing.assert_array_equal(trainer.learning_rates, [0.01, 0.01])
    assert trainer.names == ["w1", "w2"] and trainer.optimizer.name == "sgd"
    assert trainer.batch_size is None and trainer.step_count == 0
    biased = cc.Trainer(data, bias=True)
    np.testing.assert_array_equal(biased.params, [0.5, 0.5, 0.0])


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("name", list(cc.OPTIMIZERS))
def test_trainer_first_step_is_one_optimizer_update_on_the_full_gradient(data, name, bias):
    (x, y), (xt, yt) = data
    trainer = cc.Trainer(data, bias=bias, optimizer=name, learning_rates=0.05)
    theta0 = trainer.params
    assert trainer.step(1) == 1
    expected = theta0.copy()
    optimizer = cc.make_optimizer(name, theta0.size, 0.05)
    optimizer.update(expected, cc.loss_gradient(x, y, theta0, bias))
    np.testing.assert_allclose(trainer.params, expected, rtol=1e-12)
    h = trainer.history
    np.testing.assert_array_equal(h.steps, [0, 1])
    np.testing.assert_allclose(h.params, [theta0, expected], rtol=1e-12)
    for i, theta in enumerate([theta0, expected]):
        assert h.train_loss[i] == pytest.approx(cc.loss(x, y, theta, bias), rel=1e-12)
        assert h.test_loss[i] == pytest.approx(cc.loss(xt, yt, theta, bias), rel=1e-12)
        assert h.train_accuracy[i] == cc.accuracy(x, y, theta, bias)
        assert h.test_accuracy[i] == cc.accuracy(xt, yt, theta, bias)


def test_minibatch_step_uses_the_shuffled_batch(data):
    (x, y), _ = data
    trainer = cc.Trainer(data, batch_size=16, seed=7)
    trainer.step(1)
    order = np.random.default_rng(7).permutation(80)
    batch = order[:16]
    expected = np.array([0.5, 0.5]) - 0.01 * cc.loss_gradient(x[batch], y[batch], [0.5, 0.5])
    np.testing.assert_allclose(trainer.params, expected, rtol=1e-12)


def test_minibatches_cover_an_epoch_then_reshuffle(data):
    (x, y), _ = data
    trainer = cc.Trainer(data, batch_size=30, seed=3, optimizer="momentum")
    trainer.step(4)
    # 80 signals in batches of 30: 30, 30, the remaining 20, then a new permutation
    rng = np.random.default_rng(3)
    first, second = rng.permutation(80), rng.permutation(80)
    batches = [first[:30], first[30:60], first[60:], second[:30]]
    opt = cc.make_optimizer("momentum", 2, 0.01)
    theta = np.array([0.5, 0.5])
    for batch in batches:
        opt.update(theta, cc.loss_gradient(x[batch], y[batch], theta))
    np.testing.assert_allclose(trainer.params, theta, rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"batch_size": 8, "optimizer": "adam"},
                                     {"optimizer": "nesterov", "bias": True}])
def test_reset_and_same_seed_reproduce_the_run(data, options):
    trainer = cc.Trainer(data, seed=5, **options)
    trainer.step(3000)
    first = (trainer.params, trainer.history.params.copy(), trainer.history.test_loss.copy())
    trainer.reset()
    assert trainer.step_count == 0 and len(trainer.history) == 1
    np.testing.assert_array_equal(trainer.params, trainer.initial_params)
    trainer.step(1000)
    trainer.step(2000)  # the same run, stepped in other portions
    other = cc.Trainer(data, seed=5, **options)
    other.step(3000)
    for run in (trainer, other):
        np.testing.assert_array_equal(run.params, first[0])
        np.testing.assert_array_equal(run.history.params, first[1])
        np.testing.assert_array_equal(run.history.test_loss, first[2])


@pytest.mark.parametrize("bias", [False, True])
def test_history_does_not_depend_on_how_the_steps_were_grouped(data, bias):
    one_by_one = cc.Trainer(data, bias=bias, optimizer="adam")
    for _ in range(300):
        one_by_one.step(1)
    at_once = cc.Trainer(data, bias=bias, optimizer="adam")
    at_once.step(300)
    for name in ("params", "train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        np.testing.assert_array_equal(getattr(one_by_one.history, name),
                                      getattr(at_once.history, name))


def test_set_params_restarts_from_that_point(data):
    trainer = cc.Trainer(data)
    trainer.step(50)
    trainer.set_params([-1.0, 2.0])
    assert trainer.step_count == 0 and len(trainer.history) == 1
    np.testing.assert_array_equal(trainer.params, [-1.0, 2.0])
    trainer.step(10)
    trainer.reset()
    np.testing.assert_array_equal(trainer.params, [-1.0, 2.0])
    with pytest.raises(ValueError, match="give 2 parameters"):
        trainer.set_params([1.0, 2.0, 3.0])


def test_learning_rate_change_applies_from_the_next_step(data):
    (x, y), _ = data
    trainer = cc.Trainer(data, optimizer="momentum", momentum=0.5)
    trainer.step(3)
    opt = cc.make_optimizer("momentum", 2, 0.01, momentum=0.5)
    theta = np.array([0.5, 0.5])
    for _ in range(3):
        opt.update(theta, cc.loss_gradient(x, y, theta))
    np.testing.assert_allclose(trainer.params, theta, rtol=1e-12)
    trainer.set_learning_rates([0.02, 0.001])
    opt.set_learning_rates([0.02, 0.001])  # the velocity is kept
    trainer.step(2)
    for _ in range(2):
        opt.update(theta, cc.loss_gradient(x, y, theta))
    np.testing.assert_allclose(trainer.params, theta, rtol=1e-12)
    trainer.set_optimizer("adam")
    np.testing.assert_array_equal(trainer.learning_rates, [0.02, 0.001])
    adam = cc.make_optimizer("adam", 2, [0.02, 0.001])
    trainer.step(1)
    adam.update(theta, cc.loss_gradient(x, y, theta))
    np.testing.assert_allclose(trainer.params, theta, rtol=1e-12)


@pytest.mark.parametrize("name", list(cc.OPTIMIZERS))
def test_divergence_stops_at_the_last_finite_state(data, name):
    lr = 1e6 if name == "adam" else 1.0  # Adam moves at most ~α per step
    trainer = cc.Trainer(data, optimizer=name, learning_rates=lr, bias=True)
    done = trainer.step(10_000)
    assert trainer.diverged and done == trainer.step_count < 10_000
    assert f"diverged at step {done + 1}" in trainer.status
    assert "lower the learning rate" in trainer.status
    h = trainer.history
    assert len(h) == done + 1
    for column in (h.params, h.train_loss, h.test_loss, h.train_accuracy, h.test_accuracy):
        assert np.all(np.isfinite(column))
    np.testing.assert_array_equal(h.params[-1], trainer.params)
    # the kept state (optimizer memory included) is exactly that of a run stopped in time
    clean = cc.Trainer(data, optimizer=name, learning_rates=lr, bias=True)
    clean.step(done)
    np.testing.assert_array_equal(clean.params, trainer.params)
    assert clean.optimizer.get_state().keys() == trainer.optimizer.get_state().keys()
    for key, value in clean.optimizer.get_state().items():
        np.testing.assert_array_equal(value, trainer.optimizer.get_state()[key])
    # stuck until something changes
    assert trainer.step(5) == 0
    trainer.set_learning_rates(0.001)
    assert not trainer.diverged and trainer.step(5) == 5
    trainer.reset()
    assert not trainer.diverged and trainer.status == "step 0"


def test_divergence_on_the_first_step_keeps_the_start(data):
    trainer = cc.Trainer(data, learning_rates=1e12)
    assert trainer.step(100) == 0
    assert trainer.diverged and "diverged at step 1" in trainer.status
    np.testing.assert_array_equal(trainer.params, [0.5, 0.5])
    assert len(trainer.history) == 1


def test_stable_learning_rate_does_not_trip_the_explosion_check(data):
    # a far-away start has a huge but finite, *decreasing* loss: not a divergence
    trainer = cc.Trainer(data, initial_params=[300.0, -200.0])
    assert trainer.step(5000) == 5000 and not trainer.diverged


@pytest.mark.parametrize("portions", [(1, 37, 500, 3000, 1), (3539,), (7,) * 500])
def test_history_cap_keeps_evenly_spaced_points_and_the_latest(data, portions):
    full = cc.Trainer(data, history_cap=100_000)
    capped = cc.Trainer(data, history_cap=64)
    for n in portions:
        full.step(n)
        capped.step(n)
        h = capped.history
        assert len(h) <= 64
        assert h.steps[0] == 0 and h.steps[-1] == capped.step_count
        # evenly spaced on the stride grid, except the latest point
        np.testing.assert_array_equal(h.steps[:-1] % h.stride, 0)
        np.testing.assert_array_equal(np.diff(h.steps[:-1]), h.stride)
        np.testing.assert_array_equal(h.params[-1], capped.params)
    total = sum(portions)
    assert capped.step_count == total
    assert len(capped.history) >= 32  # never thinned below half the cap
    assert capped.history.stride == 64  # 3539 steps on ≤ 64 points: every 64th step
    steps = capped.history.steps
    # every kept point is the true one at its step
    np.testing.assert_array_equal(capped.history.params, full.history.params[steps])
    np.testing.assert_array_equal(capped.history.train_loss, full.history.train_loss[steps])
    np.testing.assert_array_equal(capped.history.test_accuracy,
                                  full.history.test_accuracy[steps])


def test_history_reset_goes_back_to_every_step(data):
    trainer = cc.Trainer(data, history_cap=16)
    trainer.step(100)
    assert trainer.history.stride > 1
    trainer.reset()
    trainer.step(5)
    np.testing.assert_array_equal(trainer.history.steps, np.arange(6))


def test_history_rejects_a_tiny_cap(data):
    with pytest.raises(ValueError, match="history cap"):
        cc.Trainer(data, history_cap=2)


def test_metrics_and_gradient_at_the_current_point(data):
    (x, y), (xt, yt) = data
    trainer = cc.Trainer(data, bias=True)
    trainer.step(123)
    theta = trainer.params
    np.testing.assert_allclose(trainer.gradient(), cc.loss_gradient(x, y, theta, True),
                               atol=1e-14)
    m = trainer.metrics()
    assert m["train_loss"] == pytest.approx(cc.loss(x, y, theta, True), rel=1e-12)
    assert m["test_accuracy"] == cc.accuracy(xt, yt, theta, True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"taps": 6}, "does not fit"),
        ({"initial_params": [1.0]}, "give 2 parameters"),
        ({"optimizer": "lbfgs"}, "one of"),
        ({"batch_size": 0}, "at least 1"),
        ({"explode_factor": 0.5}, "explode_factor"),
    ],
)
def test_trainer_bad_settings(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cc.Trainer(data, **kwargs)


def test_batch_as_large_as_the_training_set_is_full_batch(data):
    trainer = cc.Trainer(data, batch_size=500)
    assert trainer.batch_size is None


def test_gradient_check_at_the_optimum_is_not_noise_over_noise(data):
    (x, y), _ = data
    opt = cc.least_squares_optimum(x, y)
    check = cc.check_gradient(x, y, opt)
    assert np.linalg.norm(check.analytic) < 1e-12
    assert 0 < check.resolution < 1e-9
    assert check.relative_error < 1e-3
