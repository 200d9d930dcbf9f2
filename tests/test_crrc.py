import math

import numpy as np
import pytest
import torch
from conftest import floor_accuracies, load_or_skip
from sklearn.base import clone

from mvgraph.data import make_multiview_blobs
from mvgraph.losses import info_nce
from mvgraph.metrics import evaluate
from mvgraph.models import CRRC, METHODS
from mvgraph.models import crrc as crrc_module
from mvgraph.models.base import embed_in_chunks
from mvgraph.models.crrc import RECALIBRATIONS, CRRCNetwork, cross_view_contrast, crrc_terms
from mvgraph.nn import CrossViewRecalibration

SMALL = dict(hidden=(32,), latent_dim=16, fusion_hidden=32, feature_dim=8, gate_hidden=16)
FAST = dict(pretrain_epochs=5, epochs=5, batch_size=64, eval_every=0, **SMALL)


@pytest.fixture(scope="module")
def blobs():
    return make_multiview_blobs(
        n_samples=240, n_views=3, n_clusters=4, dims=[16, 12, 10], noise=0.05, random_state=0
    )


def _network(dims, recalibration="full"):
    torch.manual_seed(0)
    return CRRCNetwork(dims, recalibration=recalibration, **SMALL).double()


def _cos(x: torch.Tensor, y: torch.Tensor) -> float:
    return float(x @ y / (x.norm() * y.norm()))


@pytest.mark.parametrize("tau", [0.2, 0.5, 1.0])
def test_contrast_is_the_sum_over_views_of_a_direct_infonce_loop(tau):
    dims = [6, 5, 4]
    model = _network(dims)
    generator = torch.Generator().manual_seed(1)
    views = [torch.randn(5, d, dtype=torch.float64, generator=generator) for d in dims]
    terms = crrc_terms(model, views, temperature=tau, lambda_cm=0.7, variant="paper")
    with torch.no_grad():
        latents = model.autoencoders.encode(views)
        h = model.global_representation(latents)
        recalibrated = model.recalibration(h, model.view_representations(latents))
    total = 0.0
    for rep in recalibrated:
        for i in range(5):
            scores = [math.exp(_cos(h[i], rep[j]) / tau) for j in range(5)]
            total -= math.log(scores[i] / sum(scores)) / 5
    assert float(terms["contrast"].detach()) == pytest.approx(0.7 * total, rel=1e-10)
    rebuilt = model.autoencoders.decode(latents)
    expected_rec = sum(float(((x - y) ** 2).sum()) / 5 for x, y in zip(rebuilt, views))
    assert float(terms["reconstruction"].detach()) == pytest.approx(expected_rec, rel=1e-10)


def test_variants_build_their_recalibration_and_reconstruction_has_no_contrast():
    dims = [6, 5, 4]
    views = [torch.randn(8, d, dtype=torch.float64) for d in dims]
    for name, spec in RECALIBRATIONS.items():
        model = _network(dims, name)
        terms = crrc_terms(model, views, temperature=0.5, lambda_cm=1.0)
        if spec is None:
            assert model.recalibration is None and set(terms) == {"reconstruction"}
        elif not spec:
            assert model.recalibration is None and set(terms) == {"reconstruction", "contrast"}
        else:
            head = model.recalibration
            assert (head.aggregation, head.gate, head.fusion) == spec
            assert set(terms) == {"reconstruction", "contrast"}
    # the paper's rows, one variant each, the full model and the bare contrast
    assert len(RECALIBRATIONS) == 9
    assert RECALIBRATIONS["full"] == ("attention", "dynamic", "residual")


def test_contrast_only_contrasts_h_with_the_plain_view_representations():
    dims = [6, 5]
    model = _network(dims, "contrast-only")
    views = [torch.randn(7, d, dtype=torch.float64) for d in dims]
    terms = crrc_terms(model, views, temperature=0.5, lambda_cm=1.0)
    latents = model.autoencoders.encode(views)
    h = model.global_representation(latents)
    expected = sum(info_nce(h, r, 0.5) for r in model.view_representations(latents))
    torch.testing.assert_close(terms["contrast"], expected)


def test_stable_contrast_is_the_mean_of_the_plain_and_the_recalibrated_targets():
    dims = [6, 5, 4]
    model = _network(dims)
    views = [torch.randn(7, d, dtype=torch.float64) for d in dims]
    latents = model.autoencoders.encode(views)
    h = model.global_representation(latents)
    plain = model.view_representations(latents)
    recalibrated = model.recalibration(h, plain)
    expected = sum(
        0.5 * (info_nce(h, r, 0.5) + info_nce(h, r_hat, 0.5))
        for r, r_hat in zip(plain, recalibrated)
    )
    terms = crrc_terms(model, views, temperature=0.5, lambda_cm=2.0, variant="stable")
    torch.testing.assert_close(terms["contrast"], 2.0 * expected)
    with pytest.raises(ValueError, match="variant must be one of paper, stable"):
        crrc_terms(model, views, temperature=0.5, lambda_cm=1.0, variant="literal")


def test_with_the_gate_open_only_the_stable_contrast_asks_the_views_to_agree():
    # Two views, gate forced fully open: R̂^1 = R̂^2 = R^1 + R^2. Codes that agree
    # (R^1 = R^2 = S/2) and codes that disagree (S/2 ± N) give the same R̂^v, so the
    # paper's contrast cannot tell them apart; the stable one is higher when they disagree.
    torch.manual_seed(0)
    head = CrossViewRecalibration(8, 2, gate="dynamic", gate_hidden=16).double()
    with torch.no_grad():
        head.gate_network.lins[-1].weight.zero_()
        head.gate_network.lins[-1].bias.fill_(40.0)
    signal = torch.randn(32, 8, dtype=torch.float64)
    noise = 2.0 * torch.randn(32, 8, dtype=torch.float64)
    agree = [signal / 2, signal / 2]
    disagree = [signal / 2 + noise, signal / 2 - noise]
    losses = {}
    for variant in ("paper", "stable"):
        for name, plain in (("agree", agree), ("disagree", disagree)):
            recalibrated = head(signal, plain)
            torch.testing.assert_close(recalibrated[0], signal)  # the gate is open
            losses[variant, name] = float(
                cross_view_contrast(signal, plain, recalibrated, temperature=0.5,
                                    variant=variant)
            )
    assert losses["paper", "disagree"] == pytest.approx(losses["paper", "agree"], rel=1e-9)
    assert losses["stable", "disagree"] > losses["stable", "agree"] + 1.0


def test_reconstruction_is_eq_2_or_the_per_feature_mean():
    dims = [6, 5]
    model = _network(dims)
    views = [torch.randn(7, d, dtype=torch.float64) for d in dims]
    rebuilt = model.autoencoders.decode(model.autoencoders.encode(views))
    squared = [(x_hat - x).square() for x_hat, x in zip(rebuilt, views)]
    by_sample = sum(e.sum() for e in squared) / 7  # Eq. 2 over the batch
    by_entry = sum(e.mean() for e in squared)
    for reduction, expected in (("sum", by_sample), ("mean", by_entry)):
        terms = crrc_terms(model, views, temperature=0.5, lambda_cm=1.0, reduction=reduction)
        torch.testing.assert_close(terms["reconstruction"], expected)


def test_embedding_is_computed_in_row_chunks():
    dims = [6, 5]
    model = _network(dims).eval()
    views = [torch.randn(23, d, dtype=torch.float64) for d in dims]
    with torch.no_grad():
        whole = model.embed(views)
    chunked = embed_in_chunks(model, views, CRRC(2)._forward_embedding, chunk_rows=4)
    torch.testing.assert_close(chunked, whole)


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
    original = crrc_module.crrc_terms

    def spy(model, views, **kwargs):
        sizes.append(views[0].shape[0])
        return original(model, views, **kwargs)

    monkeypatch.setattr(crrc_module, "crrc_terms", spy)
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
    assert CRRC.default_scaler == crrc_module.DEFAULTS.scaler


def test_reconstruction_variant_trains_without_contrast(blobs):
    model = CRRC(4, recalibration="reconstruction", random_state=0, **FAST).fit(blobs)
    assert all("contrast" not in record for record in model.history_)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(recalibration="M8"), "recalibration"),
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
