import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from mvgraph.cluster import kmeans, nearest_centroid


@pytest.fixture(scope="module")
def blobs():
    x, y = make_blobs(3000, centers=6, n_features=8, cluster_std=1.0, random_state=3)
    return x.astype(np.float32), y


@pytest.mark.parametrize("backend", ["faiss", "torch"])
def test_recovers_separated_blobs(blobs, backend):
    x, y = blobs
    result = kmeans(x, 6, n_init=3, random_state=0, backend=backend)
    assert adjusted_rand_score(y, result.labels) > 0.99
    assert result.labels.dtype == np.int64 and result.centroids.shape == (6, 8)
    # inertia is the sum of squared distances to the assigned centroids (float64 check)
    diff = x.astype(np.float64) - result.centroids[result.labels].astype(np.float64)
    assert result.inertia == pytest.approx((diff**2).sum(), rel=1e-4)


@pytest.mark.parametrize("backend", ["faiss", "torch"])
def test_random_state_acts(blobs, backend):
    x, _ = blobs
    noise = np.random.default_rng(0).normal(size=(2000, 5)).astype(np.float32)
    first = kmeans(noise, 12, n_init=1, random_state=1, backend=backend)
    again = kmeans(noise, 12, n_init=1, random_state=1, backend=backend)
    other = kmeans(noise, 12, n_init=1, random_state=2, backend=backend)
    np.testing.assert_array_equal(first.labels, again.labels)
    assert not np.array_equal(first.centroids, other.centroids)


@pytest.mark.parametrize("backend", ["faiss", "torch"])
def test_more_restarts_never_worse(backend):
    noise = np.random.default_rng(1).normal(size=(1500, 4)).astype(np.float32)
    single = kmeans(noise, 10, n_init=1, random_state=5, backend=backend)
    several = kmeans(noise, 10, n_init=8, random_state=5, backend=backend)
    assert several.inertia <= single.inertia * (1 + 1e-6)


def test_tensor_in_tensor_out(blobs):
    x, _ = blobs
    result = kmeans(torch.from_numpy(x), 6, random_state=0)
    assert isinstance(result.labels, torch.Tensor) and result.labels.dtype == torch.int64
    assert isinstance(result.centroids, torch.Tensor)


def test_every_sample_its_own_cluster():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    for backend in ("faiss", "torch"):
        result = kmeans(x, 6, random_state=0, backend=backend)
        assert len(np.unique(result.labels)) == 6
        assert result.inertia == pytest.approx(0.0, abs=1e-6)


def test_nearest_centroid_matches_brute_force():
    rng = np.random.default_rng(0)
    x, centres = rng.normal(size=(500, 7)), rng.normal(size=(9, 7))
    expected = ((x[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(nearest_centroid(x, centres), expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_clusters": 11}, "exceeds the number of samples"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"n_clusters": 2, "backend": "gpu"}, "backend"),
        ({"n_clusters": 2, "n_init": 0}, "n_init"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kmeans(np.zeros((10, 2), np.float32), **kwargs)


def test_nan_rejected():
    x = np.zeros((10, 2), np.float32)
    x[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        kmeans(x, 2)
