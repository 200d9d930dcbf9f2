import time

import numpy as np
import pytest
from sklearn.cluster import KMeans

from mvgraph.data import make_multiview_blobs
from mvgraph.metrics import acc


def test_shapes_dtype_and_balance():
    data = make_multiview_blobs(n_samples=103, n_views=2, n_clusters=4, dims=[7, 3],
                                random_state=0)
    assert data.dims == [7, 3] and data.n_samples == 103 and data.n_classes == 4
    assert all(view.dtype == np.float32 for view in data.views)
    assert sorted(np.bincount(data.labels)) == [25, 26, 26, 26]
    assert not np.array_equal(data.labels[:8], np.arange(8) % 4)  # shuffled


def test_deterministic():
    first = make_multiview_blobs(n_samples=200, random_state=3)
    second = make_multiview_blobs(n_samples=200, random_state=3)
    other = make_multiview_blobs(n_samples=200, random_state=4)
    for a, b in zip(first.views, second.views):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(first.labels, second.labels)
    assert not np.array_equal(first.views[0], other.views[0])


def test_noise_view():
    plain = make_multiview_blobs(n_samples=300, n_views=2, dims=[4, 6], random_state=1)
    noisy = make_multiview_blobs(n_samples=300, n_views=2, dims=[4, 6], noise_view=True,
                                 random_state=1)
    assert noisy.view_names == ["view_0", "view_1", "noise"] and noisy.dims == [4, 6, 6]
    for a, b in zip(plain.views, noisy.views):
        np.testing.assert_array_equal(a, b)
    assert abs(noisy.views[2].std() - 1.0) < 0.05
    assert abs(np.corrcoef(noisy.views[2][:, 0], noisy.labels)[0, 1]) < 0.2


@pytest.mark.parametrize("n_clusters", [3, 8])
def test_clusters_are_separable_at_low_noise(n_clusters):
    data = make_multiview_blobs(n_samples=400, n_views=3, n_clusters=n_clusters, dims=[10, 6, 8],
                                noise=0.05, random_state=2)
    concatenated = np.hstack(data.views)
    predicted = KMeans(n_clusters, n_init=4, random_state=0).fit_predict(concatenated)
    assert acc(data.labels, predicted) > 0.95


def test_noise_blurs_the_clusters():
    data = make_multiview_blobs(n_samples=400, n_clusters=6, noise=3.0, dims=4, random_state=2)
    concatenated = np.hstack(data.views)
    assert acc(data.labels, KMeans(6, n_init=2, random_state=0).fit_predict(concatenated)) < 0.9


def test_hundred_thousand_samples_quickly():
    start = time.perf_counter()
    data = make_multiview_blobs(n_samples=100_000, n_views=3, dims=64, random_state=0)
    assert time.perf_counter() - start < 5.0
    assert data.dims == [64, 64, 64] and np.isfinite(data.views[0][-1]).all()


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"n_samples": 5, "n_clusters": 6}, "n_clusters=6 exceeds n_samples=5"),
        ({"n_samples": 1}, "n_samples must be an integer >= 2"),
        ({"n_views": 0}, "n_views must be an integer >= 1"),
        ({"n_clusters": 2.5}, "n_clusters must be an integer"),
        ({"dims": [3, 4]}, "dims must be a positive integer or 3 positive integers"),
        ({"dims": 0}, "dims must be"),
        ({"noise": -0.1}, "noise must be a finite number >= 0"),
        ({"cluster_std": float("nan")}, "cluster_std must be a finite number"),
        ({"latent_dim": True}, "latent_dim must be an integer"),
    ],
)
def test_argument_errors(arguments, match):
    with pytest.raises(ValueError, match=match):
        make_multiview_blobs(**arguments)
