import numpy as np
import pytest
import torch
from conftest import floor_accuracies, load_or_skip
from sklearn.base import clone

from mvgraph.data import make_incomplete
from mvgraph.graphs import unit_diagonal_can_graph
from mvgraph.metrics import evaluate
from mvgraph.models import METHODS, BMvC
from mvgraph.nn.networks import BMvCNetwork

FAST = dict(epochs=30, k=8, eval_every=0)


BLOBS = dict(n_samples=120, n_views=2, n_clusters=3, dims=[12, 8], noise=0.05, random_state=0)


def test_fit_clusters_blobs_and_predicts(blobs):
    model = BMvC(3, random_state=0, **FAST).fit(blobs)
    assert evaluate(blobs.labels, model.labels_)["acc"] >= floor_accuracies(blobs, [0])[0] - 0.05
    assert model.embedding_.shape == (120, 96) and model.batch_size_ is None
    assert len(model.history_) == FAST["epochs"]
    assert {"reconstruction", "vcr", "loss"} <= set(model.history_[-1])
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)
    again = BMvC(3, random_state=0, **FAST).fit(blobs)
    np.testing.assert_array_equal(again.labels_, model.labels_)


def test_minibatches_train(blobs):
    fast = {**FAST, "epochs": 8}
    model = BMvC(3, batch_size=50, random_state=0, **fast).fit(blobs)
    # 120 = 2 * 50 + 20 and 20 >= max(k + 1, c): the short batch is kept
    assert model.batch_size_ == 50 and np.isfinite(model.history_[-1]["loss"])
    auto = BMvC(3, full_batch_max_samples=100, minibatch_size=60, random_state=0, **fast)
    assert auto.fit(blobs).batch_size_ == 60


@pytest.mark.parametrize("fusion", ["average", "weighted"])
def test_fusion_variants_train(blobs, fusion):
    model = BMvC(3, fusion=fusion, random_state=0, **FAST).fit(blobs)
    assert model.model_.fusion.mode == fusion
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.6


def test_ablations_remove_exactly_their_part(blobs):
    rec = BMvC(3, vcr=False, random_state=0, **FAST).fit(blobs)
    assert rec.model_.projections is None and "vcr" not in rec.history_[-1]
    only_vcr = BMvC(3, reconstruction=False, random_state=0, **FAST).fit(blobs)
    assert only_vcr.model_.autoencoders.decoders is None
    assert "reconstruction" not in only_vcr.history_[-1] and "vcr" in only_vcr.history_[-1]
    assert not any("decoders" in name for name, _ in only_vcr.model_.named_parameters())


def test_parameters_are_validated_and_cloned(blobs):
    model = BMvC(3, vcr_weight=1.0, hidden=(32, 16), fusion="average", random_state=1)
    assert clone(model).get_params() == model.get_params()
    assert METHODS["bmvc"] is BMvC and model.scaler_method == "minmax"
    for bad, match in (
        (dict(vcr_weight=-1.0), "vcr_weight"),
        (dict(k=0), "k must be"),
        (dict(k=200), "rows per batch"),
        (dict(batch_size=5), "rows per batch"),
        (dict(batch_size="large"), "batch_size"),
        (dict(fusion="max"), "fusion"),
        (dict(cutoff="median"), "cutoff"),
        (dict(hidden=(32, 0)), "hidden"),
        (dict(reconstruction=False, vcr=False), "at least one loss term"),
        (dict(lr=0.0), "lr"),
    ):
        with pytest.raises(ValueError, match=match):
            BMvC(3, **{**FAST, **bad}).fit(blobs)


@pytest.mark.slow
def test_cub_reaches_the_published_accuracy_over_five_seeds():
    data = load_or_skip("cub")
    accs = [evaluate(data.labels, BMvC(data.n_classes, random_state=seed).fit(data).labels_)
            ["acc"] for seed in range(5)]
    assert np.mean(accs) >= 0.8667 - 0.01, accs  # bench: 86.27 ± 2.23 (seeds 2, 3: 84.7, 83.0)


def test_each_view_graph_is_built_over_the_samples_that_have_the_view(blobs):
    """The graphs the loss gets equal graphs built from each view's present rows alone."""
    data = make_incomplete(blobs, 0.5, random_state=0)
    model = BMvC(3, random_state=0, **{**FAST, "epochs": 1})
    received = []
    original = BMvCNetwork.terms

    def recording(self, views, view_graphs, **options):
        received.append(view_graphs)
        return original(self, views, view_graphs, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BMvCNetwork, "terms", recording)
        model.fit(data)
    scaled = model.scaler_.transform(data.views)
    for v, (edge_index, edge_weight) in enumerate(received[0]):
        present = np.flatnonzero(data.presence[:, v])
        assert 0 < len(present) < data.n_samples
        expected = unit_diagonal_can_graph(torch.as_tensor(scaled[v][present]), FAST["k"])
        torch.testing.assert_close(edge_index, expected[0])
        torch.testing.assert_close(edge_weight, expected[1])
