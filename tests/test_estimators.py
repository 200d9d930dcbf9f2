import numpy as np
import pytest
import torch
from sklearn.base import clone

from mvgraph import CRRC, DMAC, BMvC, ConcatKMeans, evaluate, load_dataset, make_multiview_blobs
from mvgraph.data import dataset_info


@pytest.fixture(scope="module")
def blobs():
    return make_multiview_blobs(n_samples=600, n_views=3, n_clusters=4, dims=[10, 6, 8],
                                noise=0.05, random_state=1)


def test_concat_kmeans_clusters_blobs(blobs):
    model = ConcatKMeans(n_clusters=4, random_state=0).fit(blobs)
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.9
    assert model.embedding_.shape == (600, 24) and model.history_ == []
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)


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


def test_handwritten_matches_registry_baseline():
    try:
        data = load_dataset("handwritten")
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")
    baseline = dataset_info("handwritten")["kmeans_minmax_concat"]["acc"]
    accs = [evaluate(data.labels, ConcatKMeans(n_clusters=10, random_state=seed)
                     .fit(data).labels_)["acc"] for seed in range(3)]
    assert abs(np.mean(accs) - baseline) <= 0.03, (accs, baseline)


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
