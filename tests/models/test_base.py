import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from mvgraph import (
    CONAN,
    CRRC,
    DMAC,
    RAV,
    AnchorSpectral,
    BMvC,
    CollapseWarning,
    ConcatKMeans,
    DegenerateViewWarning,
    EmptyClustersWarning,
    evaluate,
)
from mvgraph.models.base import embed_in_chunks
from mvgraph.nn.networks import CRRCNetwork, DMACNetwork

BLOBS = dict(n_samples=600, n_views=3, n_clusters=4, dims=[10, 6, 8], noise=0.05,
             random_state=1)


def test_accepts_arrays_tensors_and_sparse(blobs):
    import scipy.sparse as sp

    views = [blobs.views[0], torch.from_numpy(blobs.views[1]), sp.csr_matrix(blobs.views[2])]
    labels = ConcatKMeans(n_clusters=4, random_state=0).fit_predict(views)
    reference = ConcatKMeans(n_clusters=4, random_state=0).fit_predict(blobs.views)
    np.testing.assert_array_equal(labels, reference)


def test_sklearn_conventions(blobs):
    model = ConcatKMeans(n_clusters=4, scaler="l2", random_state=3)
    assert model.get_params()["scaler"] == "l2"
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "labels_")
    model.fit(blobs)
    assert model.scaler_method == "l2"
    assert 0.9 < model.score(blobs, blobs.labels) <= 1.0


def test_predict_before_fit_is_an_error(blobs):
    with pytest.raises(ValueError, match="not fitted"):
        ConcatKMeans(n_clusters=4).predict(blobs)


@pytest.mark.parametrize("estimator, epochs", [
    (CRRC, dict(pretrain_epochs=0, epochs=0)),
    (BMvC, dict(epochs=0)),
    (DMAC, dict(pretrain_epochs=0, epochs=0)),
])
def test_fit_without_training_epochs(blobs, estimator, epochs):
    # k-means on the untrained network's embedding; no epoch means no loss to compare
    model = estimator(n_clusters=4, n_restarts=2, random_state=0, **epochs)
    model.fit(blobs)
    assert model.history_ == [] and model.best_restart_ == 0
    assert np.isnan(model.restart_losses_).all() and len(model.restart_losses_) == 2
    assert model.labels_.shape == (600,) and len(np.unique(model.labels_)) == 4


def test_restarts_pass_over_collapsed_runs(blobs, monkeypatch):
    # Scripted restarts: (final loss, number of clusters the labels use). The lowest loss
    # belongs to a run that left a cluster empty; the lowest among complete runs is kept,
    # and a collapsed run only when every run collapsed.
    def scripted(outcomes):
        def fit_once(self, tensors, presence, labels, seed, device, **options):
            loss, used = outcomes[len(self.seen)]
            self.seen.append(seed)
            return {"history_": [{"loss": loss}], "labels_": np.arange(600) % used,
                    "model_": f"model of restart {len(self.seen) - 1}"}
        return fit_once

    for outcomes, kept in (
        ([(0.5, 4), (0.2, 3), (0.4, 4), (0.3, 2)], 2),
        ([(0.5, 3), (0.2, 3), (0.4, 2)], 1),
    ):
        monkeypatch.setattr(BMvC, "_fit_once", scripted(outcomes))
        model = BMvC(n_clusters=4, n_restarts=len(outcomes), random_state=0)
        model.seen = []
        model.fit(blobs)
        assert model.best_restart_ == kept and model.model_ == f"model of restart {kept}"
        assert model.restart_cluster_counts_ == [used for _, used in outcomes]
        assert model.restart_losses_ == [loss for loss, _ in outcomes]


@pytest.mark.parametrize("estimator, epochs", [
    (ConcatKMeans, {}),
    (AnchorSpectral, dict(n_anchors=50)),
    (CRRC, dict(pretrain_epochs=0, epochs=0)),
    (BMvC, dict(epochs=0)),
    (DMAC, dict(pretrain_epochs=0, epochs=0)),
    (CONAN, dict(epochs=1)),
    (RAV, dict(pretrain_epochs=0, epochs=0)),
])
def test_predict_takes_a_single_sample(blobs, estimator, epochs):
    model = estimator(n_clusters=4, random_state=0, **epochs).fit(blobs)
    one = [view[5:6] for view in blobs.views]
    assert model.predict(one).tolist() == model.predict(blobs)[5:6].tolist()
    # parameters are checked before the data: CONAN's DDC head refuses one cluster first
    message = ("the DDC head needs n_clusters >= 2" if estimator is CONAN
               else "fit needs at least 2 samples; got 1")
    with pytest.raises(ValueError, match=message):
        estimator(n_clusters=1, **epochs).fit(one)


def test_fewer_distinct_samples_than_clusters_is_refused_before_training():
    two_points = np.repeat(np.array([[0.0, 1.0], [1.0, 0.0]]), 20, axis=0)
    with pytest.raises(ValueError, match="hold 2 distinct sample.*n_clusters=3"):
        DMAC(n_clusters=3).fit([two_points, two_points.copy()])
    with pytest.raises(ValueError, match="hold 1 distinct sample.*n_clusters=3"):
        ConcatKMeans(n_clusters=3).fit([np.ones((30, 4)), np.zeros((30, 2))])
    # the rows of all views together decide: view 1 separates what view 0 repeats
    other = np.arange(40.0).reshape(40, 1)
    labels = ConcatKMeans(n_clusters=3, random_state=0).fit([two_points, other]).labels_
    assert np.unique(labels).size == 3


def test_a_constant_view_warns_and_the_others_still_cluster(blobs):
    views = [*blobs.views, np.full((600, 3), 7.0)]
    with pytest.warns(DegenerateViewWarning, match=r"views\[3\] is constant"):
        model = ConcatKMeans(n_clusters=4, random_state=0).fit(views)
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.9


class ThreeOfFourClusters(ConcatKMeans):
    """Puts the samples of its last cluster into the first one."""

    def _fit(self, views, labels, presence):
        super()._fit(views, labels, presence)
        self.labels_ = np.where(self.labels_ == self.n_clusters - 1, 0, self.labels_)


def test_labels_with_empty_clusters_warn(blobs):
    with pytest.warns(EmptyClustersWarning, match="use 3 of the n_clusters=4") as caught:
        ThreeOfFourClusters(n_clusters=4, random_state=0).fit(blobs)
    assert not any(issubclass(w.category, CollapseWarning) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EmptyClustersWarning)
        ConcatKMeans(n_clusters=4, random_state=0).fit(blobs)


def test_embedding_in_chunks_equals_one_pass():
    torch.manual_seed(0)
    model = DMACNetwork([5, 3], n_clusters=2)
    views = [torch.randn(23, 5), torch.randn(23, 3)]
    whole = model.encode(views)[1].detach()
    chunked = embed_in_chunks(model, views, lambda net, rows: net.encode(rows)[1], chunk_rows=7)
    torch.testing.assert_close(chunked, whole)


def _crrc_network(dims, recalibration="full"):
    torch.manual_seed(0)
    return CRRCNetwork(dims, recalibration=recalibration, hidden=(32,), latent_dim=16,
                       fusion_hidden=32, feature_dim=8, gate_hidden=16).double()


def test_embedding_is_computed_in_row_chunks():
    dims = [6, 5]
    model = _crrc_network(dims).eval()
    views = [torch.randn(23, d, dtype=torch.float64) for d in dims]
    with torch.no_grad():
        whole = model.embed(views)
    chunked = embed_in_chunks(model, views, CRRC(2)._forward_embedding, chunk_rows=4)
    torch.testing.assert_close(chunked, whole)
