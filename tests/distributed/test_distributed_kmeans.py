"""Distributed k-means over two gloo processes against one process on the same data."""

import numpy as np
import pytest
import torch
from ranks import run_ranks

from mvgraph.cluster import kmeans
from mvgraph.data import make_multiview_blobs, shard_bounds
from mvgraph.distributed import Shard
from mvgraph.metrics import ari


def _points() -> np.ndarray:
    data = make_multiview_blobs(601, n_views=1, n_clusters=5, dims=6, random_state=3)
    return np.asarray(data.views[0], dtype=np.float32)


def _local(shard: Shard) -> np.ndarray:
    x = _points()
    start, stop = shard_bounds(len(x), shard.rank, shard.world_size)
    return x[start:stop]


def _from_init(shard: Shard, init: np.ndarray):
    return kmeans(_local(shard), 5, init=init, max_iter=100, shard=shard)


def _subsampled(shard: Shard):
    return kmeans(_local(shard), 5, n_init=3, random_state=7, max_points_per_centroid=20,
                  shard=shard)


def _seeded(shard: Shard):
    return kmeans(_local(shard), 5, n_init=2, random_state=7, shard=shard)


def test_lloyd_from_the_same_seeds_matches_one_process(tmp_path):
    x = _points()
    init = x[np.random.default_rng(0).choice(len(x), 5, replace=False)]
    single = kmeans(x, 5, init=init, max_iter=100)
    ranks = run_ranks(_from_init, 2, tmp_path, init)
    for result in ranks:
        np.testing.assert_allclose(result.centroids, single.centroids, rtol=1e-5, atol=1e-5)
        assert result.inertia == pytest.approx(single.inertia, rel=1e-6)
    np.testing.assert_array_equal(np.concatenate([r.labels for r in ranks]), single.labels)


def test_subsampled_restarts_match_one_process(tmp_path):
    single = kmeans(_points(), 5, n_init=3, random_state=7, max_points_per_centroid=20)
    ranks = run_ranks(_subsampled, 2, tmp_path)
    for result in ranks:
        np.testing.assert_allclose(result.centroids, single.centroids, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(np.concatenate([r.labels for r in ranks]), single.labels)


def test_restarts_over_all_samples_agree_with_one_process(tmp_path):
    single = kmeans(_points(), 5, n_init=2, random_state=7)
    ranks = run_ranks(_seeded, 2, tmp_path)
    torch.testing.assert_close(torch.as_tensor(ranks[0].centroids),
                               torch.as_tensor(ranks[1].centroids), rtol=0, atol=0)
    labels = np.concatenate([r.labels for r in ranks])
    assert ari(single.labels, labels) >= 0.99
    assert ranks[0].inertia == pytest.approx(single.inertia, rel=1e-3)
