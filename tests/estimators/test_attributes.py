"""The parameters and fitted attributes scikit-learn users read, with scikit-learn's meanings."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

from mlpforge.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXTRAS = {
    "rho": 0.9,
    "weight_decay": 0.01,
    "l1": 0.0,
    "dropout": 0.0,
    "clip_grad_norm": None,
    "standardize": True,
    "restore_best_weights": None,
    "dtype": None,
}


def _signature(cls: type) -> list[tuple[str, object, inspect._ParameterKind]]:
    return [
        (p.name, p.default, p.kind)
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self"
    ]


@pytest.mark.parametrize(
    ("ours", "theirs"), [(MLPClassifier, SkClassifier), (MLPRegressor, SkRegressor)]
)
def test_scikit_learns_parameters_in_its_order_then_the_extras(ours: type, theirs: type) -> None:
    mine, reference = _signature(ours), _signature(theirs)
    assert mine[: len(reference)] == reference
    assert {name: default for name, default, _ in mine[len(reference) :]} == EXTRAS


def test_history_attributes_without_early_stopping(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=7, random_state=0).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 7
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.t_ == 7 * X.shape[0]
    assert clf.n_layers_ == 3 and clf.n_outputs_ == 3 and clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])


def test_history_attributes_with_early_stopping(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(
        hidden_layer_sizes=(5,),
        max_iter=12,
        early_stopping=True,
        validation_fraction=0.2,
        random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    assert clf.t_ == clf.n_iter_ * (X.shape[0] - 30)  # the held-out fifth does not train


def test_max_iter_reached_warns_and_stopping_rule_does_not(linear) -> None:
    X, y = linear
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=500, tol=1.0, n_iter_no_change=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    # epoch 1 sets the best loss; 2, 3 and 4 fail to beat it by tol: more than 2 in a row
    assert reg.n_iter_ == 4


def test_infinite_patience_runs_every_epoch(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=6, tol=1e9, n_iter_no_change=np.inf)
    assert reg.fit(X, y).n_iter_ == 6


def test_numpy_scalars_as_parameters(linear) -> None:
    """GridSearchCV hands out numpy values (np.arange, np.logspace)."""
    X, y = linear
    reg = MLPRegressor(
        hidden_layer_sizes=np.array([4, 3]),
        max_iter=np.int64(3),
        alpha=np.float32(1e-3),
        batch_size=np.int32(16),
        random_state=np.int64(5),
        early_stopping=np.bool_(False),
    )
    assert reg.fit(X, y).n_iter_ == 3
    assert [w.shape[1] for w in reg.coefs_] == [4, 3, 1]


def test_random_state_instance_draws_a_seed_each_fit(linear) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=np.random.RandomState(0))
    first = reg.fit(X, y).coefs_[0].copy()
    assert not np.array_equal(first, reg.fit(X, y).coefs_[0])


def test_same_seed_same_weights(blobs) -> None:
    X, y = blobs
    a = MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, random_state=7).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, random_state=7).fit(X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_array_equal(wa, wb)


@pytest.mark.parametrize(
    ("X_dtype", "dtype", "expected"),
    [
        (np.float64, None, np.float64),
        (np.float32, None, np.float32),
        (np.int64, None, np.float64),
        (np.float64, "float32", np.float32),
        (np.float32, np.float64, np.float64),
    ],
)
def test_training_dtype_follows_scikit_learn(linear, X_dtype, dtype, expected) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, dtype=dtype, random_state=0)
    reg.fit(X.astype(X_dtype), y)
    assert reg.coefs_[0].dtype == expected
    assert reg.predict(X.astype(X_dtype)).dtype == expected


def test_verbose_prints_scikit_learns_lines(blobs, capsys) -> None:
    X, y = blobs
    MLPClassifier(
        hidden_layer_sizes=(3,), max_iter=2, verbose=True, early_stopping=True, random_state=0
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert lines[1].startswith("Validation score: ")
    assert lines[2].startswith("Iteration 2, loss = ")


def test_engine_choices_are_accepted(blobs) -> None:
    X, y = blobs
    clf = MLPClassifier(
        hidden_layer_sizes=(6,),
        activation="gelu",
        solver="rmsprop",
        learning_rate="cosine",
        dropout=0.1,
        l1=1e-4,
        clip_grad_norm=5.0,
        learning_rate_init=0.01,
        max_iter=50,
        random_state=0,
    )
    assert clf.fit(X, y).score(X, y) > 0.5


@pytest.mark.parametrize("hidden", [(), 3, [2, 2]])
def test_hidden_layer_sizes_like_scikit_learn(linear, hidden) -> None:
    X, y = linear
    reg = MLPRegressor(hidden_layer_sizes=hidden, max_iter=3, random_state=0).fit(X, y)
    assert reg.n_layers_ == len(np.atleast_1d(hidden)) + 2


def test_classifier_labels_of_any_type(blobs) -> None:
    X, y = blobs
    for labels in (y.astype(object), (y == "ant"), np.searchsorted(["ant", "bee", "cat"], y) - 7):
        clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, labels)
        reference = SkClassifier(hidden_layer_sizes=(5,), max_iter=1).fit(X, labels)
        np.testing.assert_array_equal(clf.classes_, reference.classes_)
        assert clf.classes_.dtype == reference.classes_.dtype
        assert clf.predict(X).dtype == reference.predict(X).dtype
        assert set(clf.predict(X)) <= set(labels)


def test_one_class_is_refused_by_name(blobs) -> None:
    X, _ = blobs
    with pytest.raises(ValueError, match="1 class"):
        MLPClassifier().fit(X, np.zeros(len(X)))


def test_invalid_parameters_name_themselves(linear) -> None:
    X, y = linear
    with pytest.raises(ValueError, match="'solver' parameter"):
        MLPRegressor(solver="newton").fit(X, y)
    with pytest.raises(ValueError, match="'dropout' parameter"):
        MLPRegressor(dropout=1.0).fit(X, y)


def test_feature_names_from_a_dataframe(linear) -> None:
    pd = pytest.importorskip("pandas")
    X, y = linear
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2).fit(frame, y)
    np.testing.assert_array_equal(reg.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.warns(UserWarning, match="feature names"):
        reg.predict(X)


def test_multilabel_targets(blobs) -> None:
    X, labels = blobs
    Y = np.column_stack([labels == "ant", labels != "cat", X[:, 0] > 0]).astype(int)
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    clf.fit(X, Y)
    reference = SkClassifier(hidden_layer_sizes=(8,), max_iter=1).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, reference.classes_)
    assert clf.out_activation_ == reference.out_activation_ == "logistic"
    assert clf.predict(X).shape == Y.shape and set(np.unique(clf.predict(X))) <= {0, 1}
    assert clf.predict_proba(X).shape == Y.shape
    assert clf.score(X, Y) > 0.5  # subset accuracy


def test_poisson_loss(linear) -> None:
    X, _ = linear
    rng = np.random.default_rng(0)
    counts = rng.poisson(np.exp(0.5 * X[:, 0]))
    reg = MLPRegressor(loss="poisson", hidden_layer_sizes=(6,), max_iter=100, random_state=0)
    reg.fit(X, counts)
    assert reg.out_activation_ == "exp"
    assert (reg.predict(X) > 0).all()


def test_lbfgs_warns_in_its_own_words(linear) -> None:
    X, y = linear
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 3 iteration"):
        MLPRegressor(solver="lbfgs", hidden_layer_sizes=(4,), max_iter=3).fit(X, y)
