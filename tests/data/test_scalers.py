import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import MinMaxScaler, StandardScaler, normalize

from mvgraph.data import SCALERS, ViewScaler
from mvgraph.data.scalers import is_sparse_view


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
    assert SCALERS == ("auto", "sparse-l2", "minmax", "standard", "l2", "none")
    with pytest.raises(ValueError, match="method must be one of auto, sparse-l2, minmax, "
                                         "standard, l2, none; got 'zscore'"):
        ViewScaler("zscore")
    scaler = ViewScaler().fit(train)
    with pytest.raises(ValueError, match=r"match the 2 views seen in fit with dims \[5, 6\]; "
                                         r"got 1 views"):
        scaler.transform(train[:1])
    with pytest.raises(ValueError, match="not fitted"):
        ViewScaler().transform(train)


def test_sparse_view_detection():
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.05, size=(200, 50)).astype(np.float32)  # ≈ 5 % non-zero
    assert is_sparse_view(counts) and is_sparse_view(sp.csr_matrix(counts))
    assert not is_sparse_view(-counts)  # negative entries: not counts
    assert not is_sparse_view(rng.random((200, 50)))  # dense
    assert not is_sparse_view(rng.poisson(0.5, size=(200, 50)))  # ≈ 39 % non-zero


def test_auto_scales_by_kind_and_balances_the_views():
    rng = np.random.default_rng(0)
    dense = rng.normal(5.0, 3.0, size=(60, 200))
    counts = sp.csr_matrix(rng.poisson(0.04, size=(60, 300)).astype(np.float64))
    narrow = rng.random((60, 3))
    views = [dense, counts, narrow]
    scaler = ViewScaler("auto").fit(views)
    assert scaler.view_methods_ == ["minmax", "l2", "minmax"]
    scaled = scaler.transform(views)
    assert sp.issparse(scaled[1])
    for v, view in enumerate(scaled):
        view = view.toarray() if sp.issparse(view) else view
        # every view has unit mean squared row norm on the training data
        assert np.mean(np.sum(np.square(view.astype(np.float64)), axis=1)) == pytest.approx(1.0)
        # and is its fixed method's output times one weight
        alone = ViewScaler(scaler.view_methods_[v]).fit_transform([views[v]])[0]
        alone = alone.toarray() if sp.issparse(alone) else alone
        np.testing.assert_allclose(view, alone * scaler.view_weights_[v], rtol=1e-5, atol=1e-6)
    # new samples reuse the training statistics and weights
    unseen = [dense[:7] + 1.0, counts[:7], narrow[:7]]
    expected = MinMaxScaler().fit(dense).transform(dense[:7] + 1.0) * scaler.view_weights_[0]
    np.testing.assert_allclose(scaler.transform(unseen)[0], expected, rtol=1e-5, atol=1e-6)


def test_sparse_l2_chooses_as_auto_without_the_weights():
    rng = np.random.default_rng(0)
    views = [rng.normal(5.0, 3.0, size=(60, 200)),
             sp.csr_matrix(rng.poisson(0.04, size=(60, 300)).astype(np.float64))]
    views[1][0] = 0.0  # an empty row: auto's weight of this view is then not 1
    scaler = ViewScaler("sparse-l2").fit(views)
    assert scaler.view_methods_ == ViewScaler("auto").fit(views).view_methods_
    assert scaler.view_methods_ == ["minmax", "l2"] and scaler.view_weights_ == [1.0, 1.0]
    scaled = scaler.transform(views)
    for v, view in enumerate(views):
        alone = ViewScaler(scaler.view_methods_[v]).fit_transform([view])[0]
        np.testing.assert_array_equal(sp.csr_matrix(scaled[v]).toarray(),
                                      sp.csr_matrix(alone).toarray())


def test_fixed_methods_have_unit_weights(train):
    scaler = ViewScaler("minmax").fit(train)
    assert scaler.view_methods_ == ["minmax", "minmax"] and scaler.view_weights_ == [1.0, 1.0]


def test_auto_weight_of_row_normalised_views_is_exact():
    # unit rows: the weight is sqrt(n / non-zero rows), with no rounding
    rng = np.random.default_rng(1)
    counts = rng.poisson(0.03, size=(50, 400)).astype(np.float64)
    counts[counts.sum(axis=1) == 0, 0] = 1.0
    scaler = ViewScaler("auto").fit([counts])
    assert scaler.view_methods_ == ["l2"] and scaler.view_weights_ == [1.0]
    # so that auto is then the plain row normalisation, bit for bit
    np.testing.assert_array_equal(scaler.transform([counts])[0],
                                  ViewScaler("l2").fit_transform([counts])[0])
    counts[:10] = 0.0
    assert ViewScaler("auto").fit([counts]).view_weights_ == [np.sqrt(50 / 40)]
