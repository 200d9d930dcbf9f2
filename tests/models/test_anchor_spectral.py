import numpy as np
import pytest

from mvgraph import AnchorSpectral, ConcatKMeans, make_multiview_blobs, make_multiview_manifolds
from mvgraph.data import ViewScaler
from mvgraph.metrics import acc


@pytest.fixture(scope="module")
def rings():
    return make_multiview_manifolds(3000, n_views=3, n_clusters=6, dims=[16, 24, 32],
                                    random_state=0)


def test_the_manifolds_defeat_kmeans_and_a_graph_separates_them(rings):
    floor = [acc(rings.labels, ConcatKMeans(6, random_state=seed).fit(rings).labels_)
             for seed in range(3)]
    assert max(floor) <= 0.6, floor
    model = AnchorSpectral(6, n_anchors=300, n_neighbors=5, random_state=0).fit(rings)
    assert acc(rings.labels, model.labels_) >= 0.95
    assert model.embedding_.shape == (3000, 6)
    np.testing.assert_allclose(np.linalg.norm(model.embedding_, axis=1), 1.0, atol=1e-5)
    assert [a.shape for a in model.anchors_] == [(300, 16), (300, 24), (300, 32)]
    assert model.view_weights_.sum() == pytest.approx(1.0) and len(model.view_weights_) == 3
    assert model.eigenvalues_[0] == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.diff(model.eigenvalues_) <= 1e-12)


def test_predict_on_the_training_rows_gives_the_labels(rings):
    model = AnchorSpectral(6, n_anchors=300, n_neighbors=5, random_state=1)
    model.fit(rings)
    np.testing.assert_array_equal(model.predict(rings), model.labels_)
    np.testing.assert_allclose(model.transform(rings), model.embedding_, atol=1e-5)
    assert model.view_weights_.sum() == pytest.approx(1.0)


def test_blobs_are_clustered_as_well_as_kmeans_does():
    blobs = make_multiview_blobs(2000, n_views=3, n_clusters=8, dims=20, random_state=3)
    floor = acc(blobs.labels, ConcatKMeans(8, random_state=0).fit(blobs).labels_)
    model = AnchorSpectral(8, n_anchors=200, random_state=0).fit(blobs)
    assert acc(blobs.labels, model.labels_) >= floor - 0.01


def test_the_views_are_scaled_one_at_a_time_as_transform_scales_them(rings):
    scaler = ViewScaler("auto").fit(rings.views)
    lazy = scaler.transform_lazily(rings.views)
    assert len(lazy) == 3
    for eager, v in zip(scaler.transform(rings.views), range(3)):
        np.testing.assert_array_equal(lazy[v], eager)
    estimate = AnchorSpectral(6).estimate_memory(3000, [16, 24, 32])
    assert estimate["data"] == 4 * 3000 * 32  # the widest view, not all of them


def test_the_same_seed_gives_the_same_labels(rings):
    first = AnchorSpectral(6, n_anchors=100, random_state=5).fit(rings).labels_
    second = AnchorSpectral(6, n_anchors=100, random_state=5).fit(rings).labels_
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(("params", "message"), [
    ({"n_neighbors": 100, "n_anchors": 100},
     "n_neighbors must be less than the anchors of every view, min(n_anchors, samples with "
     "the view) = 100 for view 0; got 100"),
    ({"n_anchors": 1}, "n_anchors"),
    ({"n_neighbors": 0}, "n_neighbors"),
    ({"view_weights": "learned"}, "view_weights must be one of uniform, smoothness"),
])
def test_bad_parameters_are_refused_by_name(rings, params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        AnchorSpectral(6, **params).fit(rings)
