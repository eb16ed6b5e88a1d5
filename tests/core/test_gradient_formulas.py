"""The notebook's wrong gradients as a lesson: hand-computed values, a Trainer that follows them."""

import numpy as np
import pytest

import convlab.core as cc

# three signals of length 3 (rows are signals), labels 0, 1, 0
X = np.array([[0.0, 1.0, 2.0],
              [4.0, 5.0, 6.0],
              [1.0, 3.0, 8.0]])
Y = np.array([0.0, 1.0, 0.0])


def split(x=X, y=Y):
    return (x, y), (x, y)


def test_notebook_gradient_slices_rows_by_hand():
    # X[:-1] = rows 0, 1: (0+1+2+4+5+6)/6 = 3; X[1:] = rows 1, 2: (4+5+6+1+3+8)/6 = 27/6
    g = cc.formula_gradient(X, Y, [0.3, -0.7], formula="notebook")
    np.testing.assert_allclose(g, [3.0, 4.5], rtol=0, atol=1e-15)
    # with a bias, ∂p/∂b = 1 without the chain rule
    g = cc.formula_gradient(X, Y, [0.3, -0.7, 2.0], bias=True, formula="notebook")
    np.testing.assert_allclose(g, [3.0, 4.5, 1.0], rtol=0, atol=1e-15)


def test_no_chain_rule_slices_columns_by_hand():
    # x[:, :-1] = 0,1,4,5,1,3 → 14/6; x[:, 1:] = 1,2,5,6,3,8 → 25/6
    g = cc.formula_gradient(X, Y, [0.3, -0.7], formula="no_chain_rule")
    np.testing.assert_allclose(g, [14 / 6, 25 / 6], rtol=0, atol=1e-15)


def test_chain_rule_is_the_exact_gradient_by_hand():
    # F = window means: (0.5, 1.5), (4.5, 5.5), (2, 5.5); θ = (1, 0): p = (0.5, 4.5, 2)
    # p − y = (0.5, 3.5, 2); ∇ = Fᵀ(p − y)/3
    expected = np.array([0.5 * 0.5 + 4.5 * 3.5 + 2 * 2, 1.5 * 0.5 + 5.5 * 3.5 + 5.5 * 2]) / 3
    g = cc.formula_gradient(X, Y, [1.0, 0.0], formula="chain_rule")
    np.testing.assert_allclose(g, expected, rtol=1e-15)


def test_unknown_formula_is_refused_by_name():
    with pytest.raises(ValueError, match=r"gradient formula.*chain_rule"):
        cc.formula_gradient(X, Y, [0.0, 0.0], formula="backprop")
    with pytest.raises(ValueError, match="gradient formula"):
        cc.Trainer(split(), gradient="nope")


def test_notebook_gradient_on_seed_0_is_the_issue_constant():
    (x, _y), _ = cc.updown_dataset(seed=0)
    g = cc.notebook_gradient(x, 2)
    np.testing.assert_allclose(g, [x[:-1].mean(), x[1:].mean()], rtol=0, atol=0)
    np.testing.assert_allclose(g, [0.178, 0.116], atol=1e-3)


@pytest.mark.parametrize("formula, g", [("notebook", [3.0, 4.5]),
                                        ("no_chain_rule", [14 / 6, 25 / 6])])
def test_trainer_walks_a_straight_line_with_a_wrong_gradient(formula, g):
    trainer = cc.Trainer(split(), initial_params=[0.5, 0.5], learning_rates=[0.1, 0.01],
                         gradient=formula)
    trainer.step(7)
    expected = np.array([0.5, 0.5]) - 7 * np.array([0.1, 0.01]) * np.array(g)
    np.testing.assert_allclose(trainer.params, expected, rtol=1e-13)
    np.testing.assert_allclose(trainer.direction(), g, rtol=1e-15)


def test_the_check_catches_the_notebook_gradient():
    check = cc.check_gradient(X, Y, [1.0, 0.0], formula="notebook")
    np.testing.assert_allclose(check.analytic, [3.0, 4.5])
    np.testing.assert_allclose(check.numeric, cc.loss_gradient(X, Y, [1.0, 0.0]), rtol=1e-8)
    assert check.relative_error > 0.1
    assert cc.check_gradient(X, Y, [1.0, 0.0]).relative_error < 1e-8


def test_switching_formula_mid_run_matches_two_hand_phases():
    data = cc.updown_dataset(seed=0)
    (x, _), _ = data
    trainer = cc.Trainer(data, learning_rates=0.01)
    trainer.step(50)
    middle = trainer.params
    trainer.set_gradient_formula("notebook")
    trainer.step(30)
    g = np.array([x[:-1].mean(), x[1:].mean()])
    np.testing.assert_allclose(trainer.params, middle - 30 * 0.01 * g, rtol=1e-12)
    # the notebook's run: the loss falls first, then grows (it walks off the valley)
    nb = cc.Trainer(data, gradient="notebook")
    nb.step(1000)
    loss = nb.history.train_loss
    low = int(np.argmin(loss))
    assert 0 < low < 1000 and loss[-1] > loss[0] > loss[low]


def test_mini_batch_no_chain_rule_uses_the_batch_mean():
    trainer = cc.Trainer(split(), initial_params=[0.0, 0.0], learning_rates=1.0,
                         batch_size=1, seed=3, gradient="no_chain_rule")
    trainer.step(3)  # one epoch of single signals: each row's window means once
    f = cc.window_means(X, 2)
    np.testing.assert_allclose(trainer.params, -f.sum(axis=0), rtol=1e-14)
