
import numpy as np
import pytest
from conftest import floor_accuracies, load_or_skip
from sklearn.base import clone

from mvgraph.metrics import evaluate
from mvgraph.models import CRRC, METHODS
from mvgraph.nn.networks import CRRCNetwork

SMALL = dict(hidden=(32,), latent_dim=16, fusion_hidden=32, feature_dim=8, gate_hidden=16)
FAST = dict(pretrain_epochs=5, epochs=5, batch_size=64, eval_every=0, **SMALL)


def test_fit_on_blobs_and_phases(blobs):
    model = CRRC(4, pretrain_epochs=30, epochs=20, batch_size=64, random_state=0,
                 eval_every=0, **SMALL).fit(blobs)
    # k-means on the concatenation separates these blobs (ACC 1.0); CRRC stays within 5 points
    assert evaluate(blobs.labels, model.labels_)["acc"] >= floor_accuracies(blobs, [0])[0] - 0.05
    assert model.embedding_.shape == (240, 8)
    assert model.cluster_centers_.shape == (4, 8)
    phases = [record["phase"] for record in model.history_]
    assert phases == ["pretrain"] * 30 + ["main"] * 20
    assert "contrast" not in model.history_[0]
    assert {"reconstruction", "contrast", "loss"} <= set(model.history_[-1])
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)
    assert model.transform(blobs).shape == (240, 8)


def test_minibatches_bound_the_rows_per_step(blobs, monkeypatch):
    sizes = []
    original = CRRCNetwork.terms

    def spy(model, views, **kwargs):
        sizes.append(views[0].shape[0])
        return original(model, views, **kwargs)

    monkeypatch.setattr(CRRCNetwork, "terms", spy)
    CRRC(4, random_state=0, **{**FAST, "epochs": 2, "batch_size": 100}).fit(blobs)
    assert sizes == [100, 100] * 2  # the short last batch of the contrastive phase is dropped


def test_seed_reproducibility_and_sklearn_conventions(blobs):
    first = CRRC(4, random_state=3, **FAST).fit(blobs)
    again = clone(first).fit(blobs)
    np.testing.assert_array_equal(first.labels_, again.labels_)
    params = first.get_params()
    assert params["recalibration"] == "full" and params["temperature"] == 1.0
    assert params["hidden"] == (32,)
    assert CRRC().get_params()["hidden"] == (500, 500, 2000)
    assert METHODS["crrc"] is CRRC
    assert CRRC.default_scaler == "auto"


def test_reconstruction_variant_trains_without_contrast(blobs):
    model = CRRC(4, recalibration="reconstruction", random_state=0, **FAST).fit(blobs)
    assert all("contrast" not in record for record in model.history_)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(recalibration="M8"), "recalibration"),
        (dict(variant="literal"), "variant must be one of paper, stable; got 'literal'"),
        (dict(temperature=0.0), "temperature"),
        (dict(temperature=float("nan")), "temperature"),
        (dict(lambda_cm=-1.0), "lambda_cm"),
        (dict(lr=0), "lr"),
        (dict(epochs=-1), "epochs"),
        (dict(batch_size=1), "batch_size"),
        (dict(hidden=(32, 0)), "hidden"),
        (dict(feature_dim=0), "feature_dim"),
        (dict(reconstruction="l1"), "reconstruction"),
    ],
)
def test_bad_arguments_are_named(blobs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        CRRC(4, **{**FAST, **kwargs}).fit(blobs)


def test_one_view_is_rejected(blobs):
    with pytest.raises(ValueError, match="at least two views"):
        CRRC(4, **FAST).fit([blobs.views[0]])


@pytest.mark.slow
def test_ngs_keeps_its_bench_accuracy():
    data = load_or_skip("ngs")
    model = CRRC(data.n_classes, random_state=0, **CRRC.presets.get("ngs", {})).fit(data)
    # seed 0 gives 0.944 (benchmarks/results/crrc-stable-ngs.json; 5 seeds 94.04 ± 1.46),
    # the paper variant 0.918 (crrc.json); still under the paper's 0.956 and the floor's
    # 0.962: reaching those is issue 23's bar
    assert evaluate(data.labels, model.labels_)["acc"] > 0.93
