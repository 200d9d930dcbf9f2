import numpy as np
import pytest

from mvgraph.data import (
    MultiViewData,
    impute_from_neighbors,
    load_npz,
    make_incomplete,
    save_npz,
    with_presence,
)


@pytest.fixture
def three_views():
    rng = np.random.default_rng(0)
    return MultiViewData([rng.normal(size=(50, d)) for d in (4, 3, 5)], labels=np.arange(50) % 5)


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.7, 1.0])
def test_the_protocol_keeps_a_view_per_sample_and_removes_the_rate(three_views, rate):
    incomplete = make_incomplete(three_views, rate, random_state=1)
    presence = incomplete.presence
    assert presence.shape == (50, 3) and presence.any(axis=1).all()
    assert (~presence.all(axis=1)).sum() == round(rate * 50)  # every chosen sample lost a view
    for v, view in enumerate(incomplete.views):  # what a sample lacks is gone from the arrays
        np.testing.assert_array_equal(view[~presence[:, v]], 0.0)
        np.testing.assert_array_equal(view[presence[:, v]], three_views.views[v][presence[:, v]])
    again = make_incomplete(three_views, rate, random_state=1)
    np.testing.assert_array_equal(again.presence, presence)
    assert three_views.is_complete  # the input is not touched


def test_sparse_views_lose_their_absent_rows_and_stay_sparse():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    dense = (rng.random((30, 8)) < 0.2) * rng.random((30, 8))
    data = MultiViewData([sp.csr_matrix(dense), rng.normal(size=(30, 2))])
    incomplete = make_incomplete(data, 0.5, random_state=0)
    view = incomplete.views[0]
    assert sp.issparse(view) and view.dtype == np.float64
    expected = np.where(incomplete.presence[:, [0]], dense, 0.0)
    np.testing.assert_array_equal(view.toarray(), expected)
    assert view.nnz == np.count_nonzero(expected)


def test_two_views_lose_exactly_one():
    rng = np.random.default_rng(0)
    data = MultiViewData([rng.normal(size=(40, 2)), rng.normal(size=(40, 3))])
    presence = make_incomplete(data, 0.5, random_state=0).presence
    assert (presence.sum(axis=1) == 1).sum() == 20 and (presence.sum(axis=1) == 2).sum() == 20


def test_rate_zero_is_the_data_itself_and_bad_rates_are_named(three_views):
    assert make_incomplete(three_views, 0.0) is three_views
    for rate in (-0.1, 1.5, float("nan"), "half"):
        with pytest.raises(ValueError, match=r"^missing_rate must be a number in \[0, 1\]"):
            make_incomplete(three_views, rate)
    with pytest.raises(ValueError, match="at least 2 views"):
        make_incomplete(three_views.select_views([0]), 0.5)


def test_a_row_of_nan_marks_the_sample_absent_from_that_view():
    x = np.arange(12.0).reshape(4, 3)
    y = np.ones((4, 2))
    x[2] = np.nan
    data = MultiViewData([x, y])
    np.testing.assert_array_equal(data.presence, [[1, 1], [1, 1], [0, 1], [1, 1]])
    np.testing.assert_array_equal(data.views[0][2], 0.0)
    assert np.isnan(x[2]).all()  # the caller's array is not changed
    x[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"views\[0\] contains 1 NaN/inf values outside rows"):
        MultiViewData([x, y])
    x[1, 0] = 1.0
    with pytest.raises(ValueError, match=r"views\[0\] row 2 is entirely NaN but presence"):
        MultiViewData([x, y], presence=np.ones((4, 2), dtype=bool))


def test_bad_masks_are_refused_in_one_line():
    views = [np.ones((3, 2)), np.arange(6.0).reshape(3, 2)]
    with pytest.raises(ValueError, match=r"presence must have shape \(n_samples, n_views\) = "
                                         r"\(3, 2\); got \(2, 3\)"):
        MultiViewData(views, presence=np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="sample 1 has no view"):
        MultiViewData(views, presence=[[1, 1], [0, 0], [1, 0]])
    with pytest.raises(ValueError, match=r"views\[1\] has no sample"):
        MultiViewData(views, presence=[[1, 0], [1, 0], [1, 0]])
    with pytest.raises(ValueError, match="presence must hold booleans"):
        MultiViewData(views, presence=[[1, 2], [1, 1], [1, 1]])
    assert MultiViewData(views, presence=np.ones((3, 2))).presence is None


def test_subsets_and_view_selections_carry_the_mask(three_views):
    incomplete = make_incomplete(three_views, 0.6, random_state=0)
    rows = np.arange(10, 30)
    np.testing.assert_array_equal(incomplete.subset(rows).presence,
                                  incomplete.presence[rows])
    keep = incomplete.presence[:, [0, 2]].any(axis=1)
    selected = incomplete.subset(np.flatnonzero(keep)).select_views([2, 0])
    np.testing.assert_array_equal(selected.presence, incomplete.presence[keep][:, [2, 0]])
    if not keep.all():
        with pytest.raises(ValueError, match="has no view"):
            incomplete.select_views([0, 2])


def test_npz_keeps_the_mask(tmp_path, three_views):
    incomplete = make_incomplete(three_views, 0.4, random_state=3)
    save_npz(incomplete, tmp_path / "x.npz")
    loaded = load_npz(tmp_path / "x.npz")
    np.testing.assert_array_equal(loaded.presence, incomplete.presence)
    assert with_presence(loaded, np.ones((50, 3), dtype=bool)).is_complete


def test_neighbour_imputation_by_hand():
    # view 0 is seen by every sample; sample 3 lacks view 1
    view0 = np.array([[0.0], [1.0], [10.0], [0.2]])
    view1 = np.array([[5.0, 5.0], [7.0, 7.0], [1.0, 1.0], [0.0, 0.0]])
    presence = np.array([[1, 1], [1, 1], [1, 1], [1, 0]], dtype=bool)
    one = impute_from_neighbors([view0, view1], presence, [view0, view1], presence,
                                n_neighbors=1)[1]
    np.testing.assert_array_equal(one[3], [5.0, 5.0])  # its nearest donor in view 0 is 0
    two = impute_from_neighbors([view0, view1], presence, [view0, view1], presence,
                                n_neighbors=2)
    np.testing.assert_array_equal(two[1][3], [6.0, 6.0])  # donors 0 and 1
    np.testing.assert_array_equal(two[1][:3], view1[:3])  # present rows as they are
    np.testing.assert_allclose(two[0], view0)
    assert all(view.dtype == np.float32 for view in two)


def test_neighbour_imputation_averages_over_the_present_views_and_never_reads_absent_rows():
    rng = np.random.default_rng(0)
    views = [rng.normal(size=(40, d)) for d in (3, 2, 4)]
    presence = make_incomplete(MultiViewData(views), 0.6, random_state=0).presence
    imputed = impute_from_neighbors(views, presence, views, presence, n_neighbors=3)
    i = next(i for i in range(40) if presence[i].tolist() == [True, True, False])
    by_view = []
    for u in (0, 1):
        donors = np.flatnonzero(presence[:, u] & presence[:, 2])
        nearest = donors[np.argsort(((views[u][donors] - views[u][i]) ** 2).sum(1))[:3]]
        by_view.append(views[2][nearest].mean(0))
    np.testing.assert_allclose(imputed[2][i], np.mean(by_view, axis=0), rtol=1e-5)
    noisy = [np.where(presence[:, v : v + 1], view, 1e6) for v, view in enumerate(views)]
    again = impute_from_neighbors(noisy, presence, noisy, presence, n_neighbors=3)
    for got, expected in zip(again, imputed, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_neighbour_imputation_falls_back_to_the_view_mean_and_takes_sparse_views():
    import scipy.sparse as sp

    views = [sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 0.0], [3.0, 0.0]])),
             np.array([[2.0], [4.0], [0.0]])]
    presence = np.array([[1, 1], [0, 1], [1, 0]], dtype=bool)
    # sample 1 has only view 1, which no donor of view 0 shares but sample 0: imputed from
    # it; sample 2 has only view 0, shared with sample 0 alone
    imputed = impute_from_neighbors(views, presence, views, presence)
    np.testing.assert_array_equal(imputed[0], [[1.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(imputed[1], [[2.0], [4.0], [2.0]])
    # no donor shares a view with sample 1: the mean of view 0 over the donors that have it
    lone = np.array([[1, 0], [0, 1], [1, 0]], dtype=bool)
    imputed = impute_from_neighbors(views, lone, views, lone)
    np.testing.assert_array_equal(imputed[0][1], [2.0, 0.0])
