import numpy as np
import pytest
import scipy.sparse as sp
import torch

from mvgraph.data import MultiViewData, as_multiview


def views(n=6, dims=(3, 2), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, d)).astype(np.float32) for d in dims]


def test_basic_properties():
    data = MultiViewData(views(), labels=[5, 7, 5, 9, 7, 5], name="toy")
    assert (data.n_samples, data.n_views, data.dims, data.n_classes) == (6, 2, [3, 2], 3)
    assert len(data) == 6 and data.view_names == ["view_0", "view_1"]
    np.testing.assert_array_equal(data.labels, [0, 1, 0, 2, 1, 0])
    assert data.labels.dtype == np.int64
    np.testing.assert_array_equal(data.label_values[data.labels], [5, 7, 5, 9, 7, 5])
    assert repr(data) == "MultiViewData(name='toy', n_samples=6, dims=[3, 2], n_classes=3)"


def test_float32_input_is_not_copied():
    original = views()
    data = MultiViewData(original)
    assert all(np.shares_memory(a, b) for a, b in zip(original, data.views))
    float64 = np.ones((4, 2))
    assert np.shares_memory(MultiViewData([float64]).views[0], float64)


def test_dtypes_and_layout():
    ints = np.arange(12, dtype=np.int64).reshape(4, 3)
    flags = np.eye(4, dtype=bool)
    fortran = np.asfortranarray(np.ones((4, 2)))
    data = MultiViewData([ints, flags, fortran, np.ones((4, 2), dtype=np.float16)])
    assert [view.dtype for view in data.views] == [np.float32, np.float32, np.float64, np.float32]
    assert all(view.flags.c_contiguous for view in data.views)
    np.testing.assert_array_equal(data.views[0], ints)


def test_torch_sparse_and_images():
    tensor = torch.ones(5, 3, requires_grad=True) * 2
    sparse = sp.random(5, 7, density=0.3, format="coo", random_state=0)
    images = np.zeros((5, 4, 4), dtype=np.uint8)
    data = MultiViewData([tensor, sparse, sp.csc_array(sparse), images])
    assert isinstance(data.views[0], np.ndarray) and data.views[0].dtype == np.float32
    for view in data.views[1:3]:
        assert isinstance(view, sp.csr_matrix) and view.dtype == np.float64
        np.testing.assert_allclose(view.toarray(), sparse.toarray())
    assert data.dims == [3, 7, 7, 16]
    labels = MultiViewData([np.ones((3, 1))], labels=torch.tensor([[1], [2], [1]])).labels
    np.testing.assert_array_equal(labels, [0, 1, 0])


def test_csr_float64_is_not_copied():
    sparse = sp.random(6, 4, density=0.5, format="csr", random_state=1)
    assert np.shares_memory(MultiViewData([sparse]).views[0].data, sparse.data)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        ((np.ones((4, 2)),), TypeError, r"^views must be a non-empty sequence"),
        (([],), ValueError, r"^views must be a non-empty sequence of 2-d arrays; got an empty"),
        (([np.ones((4, 2)), np.ones((3, 2))],), ValueError,
         r"^views must all have the same number of samples; got \[4, 3\]$"),
        (([np.ones((0, 2))],), ValueError, r"^views must hold at least one sample; got 0 rows$"),
        (([np.ones(4)],), ValueError, r"^views\[0\] must be 2-d .*reshape to \(n, 1\)"),
        (([np.ones((4, 2)), np.ones((4, 0))],), ValueError,
         r"^views\[1\] has no columns \(shape \(4, 0\)\)$"),
        (([np.array([["a"], ["b"]])],), TypeError, r"^views\[0\] must hold real numbers"),
        (([np.ones((4, 2))], [1, 2, 3]), ValueError,
         r"^labels has 3 entries but views have 4 samples$"),
        (([np.ones((4, 2))], [0.5, 1, 2, 3]), ValueError, r"^labels must hold integer labels"),
        (([np.ones((4, 2))], [0, 1, np.nan, 3]), ValueError, r"^labels must hold finite integer"),
        (([np.ones((4, 2))], np.ones((4, 2))), ValueError, r"^labels must be a 1-d"),
        (([np.ones((4, 2))], ["a", "b", "a", "b"]), ValueError, r"^labels must hold integer labels; got dtype"),  # noqa: E501
        (([np.ones((4, 2))], None, None, ["a", "b"]), ValueError, r"^view_names must be 1"),
    ],
)
def test_validation_errors(arguments, error, match):
    with pytest.raises(error, match=match) as raised:
        MultiViewData(*arguments)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_values_are_counted(bad):
    view = np.ones((5, 3))
    view[1, 2] = view[3, 0] = view[4, 1] = bad
    message = "contains 3 NaN/inf values outside rows that are entirely NaN"
    with pytest.raises(ValueError, match=rf"^views\[1\] {message}"):
        MultiViewData([np.ones((5, 2)), view])
    sparse = sp.csr_matrix(view)
    with pytest.raises(ValueError, match=rf"^views\[0\] {message}"):
        MultiViewData([sparse])


def test_large_finite_float64_values_are_accepted():
    MultiViewData([np.full((3, 2), 1e308)])


def test_labels_orientation_and_recoding():
    data = MultiViewData([np.ones((4, 1))], labels=np.array([[3.0, 1.0, 3.0, 2.0]]))
    np.testing.assert_array_equal(data.labels, [2, 0, 2, 1])
    np.testing.assert_array_equal(data.label_values, [1, 2, 3])
    assert MultiViewData([np.ones((2, 1))]).n_classes is None


def test_subset():
    data = MultiViewData([views()[0], sp.csr_matrix(views()[1])], labels=[0, 1, 2, 0, 1, 2])
    part = data.subset([5, 0, 3])
    np.testing.assert_array_equal(part.views[0], data.views[0][[5, 0, 3]])
    np.testing.assert_array_equal(part.views[1].toarray(), data.views[1].toarray()[[5, 0, 3]])
    np.testing.assert_array_equal(part.label_values[part.labels], [2, 0, 0])
    assert part.n_classes == 2
    mask = np.array([True, False, True, False, False, False])
    assert data.subset(mask).n_samples == 2
    with pytest.raises(ValueError, match="indices must lie in"):
        data.subset([0, 6])
    with pytest.raises(ValueError, match="indices as a mask must have shape"):
        data.subset(mask[:3])


def test_select_views_reorders_without_copies():
    data = MultiViewData(views(dims=(3, 2, 4)), view_names=["a", "b", "c"], name="toy")
    chosen = data.select_views([1, 2, 0])
    assert chosen.dims == [2, 4, 3] and chosen.view_names == ["b", "c", "a"]
    assert chosen.views[0] is data.views[1] and chosen.name == "toy"
    assert data.dims == [3, 2, 4]
    with pytest.raises(ValueError, match="view indices must lie in"):
        data.select_views([3])
    with pytest.raises(ValueError, match="view indices must be distinct"):
        data.select_views([0, 0])


def test_as_multiview():
    data = MultiViewData(views())
    assert as_multiview(data) is data
    labelled = as_multiview(data, [0, 1, 0, 1, 0, 1])
    assert labelled.n_classes == 2 and data.labels is None
    assert labelled.views[0] is data.views[0]
    built = as_multiview(views(), np.arange(6))
    assert isinstance(built, MultiViewData) and built.n_classes == 6
    with pytest.raises(ValueError, match="labels has 5 entries"):
        as_multiview(labelled, [0, 1, 0, 1, 0])
    relabelled = as_multiview(labelled, [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(relabelled.labels, [1, 1, 1, 0, 0, 0])
