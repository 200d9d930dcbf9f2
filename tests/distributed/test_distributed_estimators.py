"""Estimators fitted on two gloo processes, each given its shard, against one process."""

import os
import signal
import time

import numpy as np
import pytest
import torch
from ranks import run_ranks

from mvgraph.data import make_incomplete, make_multiview_blobs, shard_bounds
from mvgraph.distributed import Shard
from mvgraph.metrics import ari
from mvgraph.models import CRRC, AnchorSpectral, ConcatKMeans

N_SAMPLES = 2400


def _data():
    return make_multiview_blobs(N_SAMPLES, n_views=3, n_clusters=4, dims=[5, 8, 6],
                                noise=0.5, random_state=11)


def _shard_views(shard: Shard) -> list[np.ndarray]:
    start, stop = shard_bounds(N_SAMPLES, shard.rank, shard.world_size)
    return [view[start:stop] for view in _data().views]


def _anchor_spectral() -> AnchorSpectral:
    return AnchorSpectral(4, n_anchors=100, n_neighbors=5, random_state=0)


def _fit_anchor_spectral(shard: Shard, missing_rate: float) -> dict:
    data = make_incomplete(_data(), missing_rate, random_state=5)
    start, stop = shard_bounds(N_SAMPLES, shard.rank, shard.world_size)
    model = _anchor_spectral().fit(data.subset(np.arange(start, stop)))
    return {"embedding": model.embedding_, "labels": model.labels_,
            "weights": model.view_weights_, "anchors": model.anchors_}


def _fit_concat_kmeans(shard: Shard) -> dict:
    model = ConcatKMeans(4, random_state=0).fit(_shard_views(shard))
    return {"labels": model.labels_, "centers": model.cluster_centers_,
            "scale": model.scaler_.scale_, "weights": model.scaler_.view_weights_}


def _fit_crrc(shard: Shard) -> None:
    CRRC(4).fit(_shard_views(shard))


@pytest.mark.parametrize("missing_rate", [0.0, 0.4])
def test_anchor_spectral_embedding_equals_one_process(missing_rate, tmp_path):
    single = _anchor_spectral().fit(make_incomplete(_data(), missing_rate, random_state=5))
    ranks = run_ranks(_fit_anchor_spectral, 2, tmp_path, missing_rate)
    for rank in ranks:
        for anchors, expected in zip(rank["anchors"], single.anchors_, strict=True):
            torch.testing.assert_close(anchors, expected, rtol=0, atol=0)
        np.testing.assert_allclose(rank["weights"], single.view_weights_, rtol=1e-9)
    embedding = np.concatenate([rank["embedding"] for rank in ranks])
    signs = np.sign((embedding * single.embedding_).sum(0))
    np.testing.assert_allclose(embedding * signs, single.embedding_, atol=1e-5)
    labels = np.concatenate([rank["labels"] for rank in ranks])
    assert ari(single.labels_, labels) >= 0.99


def test_concat_kmeans_scales_and_clusters_as_one_process(tmp_path):
    single = ConcatKMeans(4, random_state=0).fit(_data().views)
    ranks = run_ranks(_fit_concat_kmeans, 2, tmp_path)
    for rank in ranks:
        for scale, expected in zip(rank["scale"], single.scaler_.scale_, strict=True):
            np.testing.assert_allclose(scale, expected, rtol=1e-12)
        np.testing.assert_allclose(rank["weights"], single.scaler_.view_weights_, rtol=1e-9)
    labels = np.concatenate([rank["labels"] for rank in ranks])
    assert ari(single.labels_, labels) >= 0.99


def test_a_method_that_cannot_run_distributed_refuses(tmp_path):
    with pytest.raises(AssertionError, match="CRRC does not run on several processes"):
        run_ranks(_fit_crrc, 2, tmp_path)


def _die_on_rank_one(shard: Shard) -> None:
    if shard.rank == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    ConcatKMeans(4, random_state=0).fit(_shard_views(shard))


def test_a_rank_that_dies_makes_the_others_fail_not_hang(tmp_path):
    began = time.monotonic()
    with pytest.raises(AssertionError, match="rank 0 failed"):
        run_ranks(_die_on_rank_one, 2, tmp_path, timeout=120, collective_timeout=60)
    assert time.monotonic() - began < 100
