import numpy as np
import pytest

from mvgraph import ConcatKMeans, evaluate, load_dataset
from mvgraph.data import dataset_info

BLOBS = dict(n_samples=600, n_views=3, n_clusters=4, dims=[10, 6, 8], noise=0.05,
             random_state=1)


def test_concat_kmeans_clusters_blobs(blobs):
    model = ConcatKMeans(n_clusters=4, random_state=0).fit(blobs)
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.9
    assert model.embedding_.shape == (600, 24) and model.history_ == []
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)


def test_handwritten_matches_registry_baseline():
    try:
        data = load_dataset("handwritten")
    except FileNotFoundError as missing:
        pytest.skip(f"benchmark data not found: {missing}")
    baseline = dataset_info("handwritten")["kmeans_minmax_concat"]["acc"]
    accs = [evaluate(data.labels, ConcatKMeans(n_clusters=10, scaler="minmax", random_state=seed)
                     .fit(data).labels_)["acc"] for seed in range(3)]
    assert abs(np.mean(accs) - baseline) <= 0.03, (accs, baseline)
