import numpy as np
import pytest

from mvgraph import ConcatKMeans, evaluate, load_dataset
from mvgraph.data import MultiViewData, dataset_info

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


def test_an_absent_view_is_replaced_by_the_mean_of_the_samples_that_have_it():
    x = np.array([[0.0, 2.0], [2.0, 4.0], [4.0, 0.0], [6.0, 6.0]])
    y = np.array([[1.0], [3.0], [5.0], [7.0]])
    presence = np.array([[1, 1], [0, 1], [1, 1], [1, 0]], dtype=bool)
    model = ConcatKMeans(2, scaler="none", random_state=0).fit(
        MultiViewData([x, y], presence=presence))
    np.testing.assert_allclose(model.view_means_[0], [10 / 3, 8 / 3])  # rows 0, 2, 3
    np.testing.assert_allclose(model.view_means_[1], [3.0])  # rows 0, 1, 2
    np.testing.assert_allclose(model.embedding_, [[0, 2, 1], [10 / 3, 8 / 3, 3], [4, 0, 5],
                                                  [6, 6, 3]], rtol=1e-6)
