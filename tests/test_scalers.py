import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import MinMaxScaler, StandardScaler, normalize

from mvgraph.data import SCALERS, ViewScaler


@pytest.fixture
def train():
    rng = np.random.default_rng(0)
    dense = rng.normal(loc=3.0, scale=2.0, size=(40, 5))
    dense[:, 2] = 7.0  # a constant feature
    counts = rng.integers(0, 9, size=(40, 6)).astype(np.uint8)
    counts[4] = 0  # a zero row
    return [dense, counts.astype(np.float32)]


@pytest.fixture
def new():
    rng = np.random.default_rng(1)
    return [rng.normal(size=(7, 5)) * 4, rng.integers(0, 12, size=(7, 6)).astype(np.float32)]


def test_minmax_matches_sklearn(train, new):
    scaler = ViewScaler("minmax").fit(train)
    for view, unseen, fitted, transformed in zip(train, new, scaler.transform(train),
                                                 scaler.transform(new)):
        reference = MinMaxScaler().fit(view)
        assert fitted.dtype == np.float32 and fitted.shape == view.shape
        np.testing.assert_allclose(fitted, reference.transform(view), atol=1e-6)
        expected = reference.transform(unseen)  # training min/max, values may leave [0, 1]
        expected[:, np.ptp(view, axis=0) == 0] = 0.0  # constant training feature → 0
        np.testing.assert_allclose(transformed, expected, atol=1e-5)
    assert not scaler.transform(new)[0][:, 2].any()


def test_standard_matches_sklearn(train, new):
    scaler = ViewScaler("standard").fit(train)
    for view, unseen, fitted, transformed in zip(train, new, scaler.transform(train),
                                                 scaler.transform(new)):
        reference = StandardScaler().fit(view)
        np.testing.assert_allclose(fitted, reference.transform(view), atol=1e-5)
        np.testing.assert_allclose(transformed, reference.transform(unseen), atol=1e-5)
    np.testing.assert_allclose(scaler.center_[0], train[0].mean(axis=0))


def test_l2_and_none(train):
    l2 = ViewScaler("l2").fit_transform(train)
    for view, scaled in zip(train, l2):
        np.testing.assert_allclose(scaled, normalize(view), atol=1e-6)
    assert not l2[1][4].any()  # the zero row stays zero
    same = ViewScaler("none").fit_transform(train)
    assert same[1] is train[1] and same[0].dtype == np.float32


def test_sparse_views(train):
    sparse = sp.csr_matrix(train[1])
    l2 = ViewScaler("l2").fit_transform([sparse])[0]
    assert isinstance(l2, sp.csr_matrix) and l2.dtype == np.float32
    np.testing.assert_allclose(l2.toarray(), normalize(train[1]), atol=1e-6)
    none = ViewScaler("none").fit_transform([sparse])[0]
    assert isinstance(none, sp.csr_matrix) and none.dtype == np.float32
    for method, reference in (("minmax", MinMaxScaler()), ("standard", StandardScaler())):
        dense = ViewScaler(method).fit_transform([sparse])[0]
        assert isinstance(dense, np.ndarray) and dense.dtype == np.float32
        np.testing.assert_allclose(dense, reference.fit_transform(train[1]), atol=1e-5)


def test_blocks_cover_every_row(monkeypatch, train):
    from mvgraph.data import scalers

    views = train + [sp.csr_matrix(train[1])]
    methods = ("minmax", "standard", "l2")
    whole = {method: ViewScaler(method).fit_transform(views) for method in methods}
    monkeypatch.setattr(scalers, "_BLOCK_ELEMENTS", 12)  # blocks of 2 rows
    for method in methods:
        for blocked, reference in zip(ViewScaler(method).fit_transform(views), whole[method]):
            np.testing.assert_allclose(sp.csr_matrix(blocked).toarray(),
                                       sp.csr_matrix(reference).toarray(), atol=1e-6)


def test_errors(train):
    assert SCALERS == ("minmax", "standard", "l2", "none")
    with pytest.raises(ValueError, match="method must be one of minmax, standard, l2, none; "
                                         "got 'zscore'"):
        ViewScaler("zscore")
    scaler = ViewScaler().fit(train)
    with pytest.raises(ValueError, match=r"match the 2 views seen in fit with dims \[5, 6\]; "
                                         r"got 1 views"):
        scaler.transform(train[:1])
    with pytest.raises(ValueError, match="not fitted"):
        ViewScaler().transform(train)
