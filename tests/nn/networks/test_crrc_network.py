import math

import pytest
import torch

from mvgraph.losses import info_nce
from mvgraph.models.crrc import VARIANTS
from mvgraph.nn import CrossViewRecalibration
from mvgraph.nn.networks import RECALIBRATIONS, CRRCNetwork

SMALL = dict(hidden=(32,), latent_dim=16, fusion_hidden=32, feature_dim=8, gate_hidden=16)


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
    terms = model.terms(views, temperature=tau, lambda_cm=0.7, targets=VARIANTS["paper"])
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
        terms = model.terms(views, temperature=0.5, lambda_cm=1.0)
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
    terms = model.terms(views, temperature=0.5, lambda_cm=1.0)
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
    terms = model.terms(views, temperature=0.5, lambda_cm=2.0, targets=VARIANTS["stable"])
    torch.testing.assert_close(terms["contrast"], 2.0 * expected)
    # the default targets are the stable variant's
    default = model.terms(views, temperature=0.5, lambda_cm=2.0)
    torch.testing.assert_close(default["contrast"], terms["contrast"])


def test_with_the_gate_open_only_the_stable_contrast_asks_the_views_to_agree(monkeypatch):
    # Two views, gate forced fully open: R̂^1 = R̂^2 = R^1 + R^2. Codes that agree
    # (R^1 = R^2 = S/2) and codes that disagree (S/2 ± N) give the same R̂^v, so the
    # paper's contrast cannot tell them apart; the stable one is higher when they disagree.
    # The network's H and R^v are set to these codes, whatever the views.
    model = _network([6, 5])
    torch.manual_seed(0)
    head = CrossViewRecalibration(8, 2, gate="dynamic", gate_hidden=16).double()
    with torch.no_grad():
        head.gate_network.lins[-1].weight.zero_()
        head.gate_network.lins[-1].bias.fill_(40.0)
    signal = torch.randn(32, 8, dtype=torch.float64)
    noise = 2.0 * torch.randn(32, 8, dtype=torch.float64)
    agree = [signal / 2, signal / 2]
    disagree = [signal / 2 + noise, signal / 2 - noise]
    model.recalibration = head
    monkeypatch.setattr(model, "global_representation", lambda latents: signal)
    views = [torch.randn(32, d, dtype=torch.float64) for d in (6, 5)]
    losses = {}
    for variant in ("paper", "stable"):
        for name, plain in (("agree", agree), ("disagree", disagree)):
            recalibrated = head(signal, plain)
            torch.testing.assert_close(recalibrated[0], signal)  # the gate is open
            monkeypatch.setattr(model, "view_representations",
                                lambda latents, plain=plain: plain)
            terms = model.terms(views, temperature=0.5, lambda_cm=1.0,
                                targets=VARIANTS[variant])
            losses[variant, name] = float(terms["contrast"])
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
        terms = model.terms(views, temperature=0.5, lambda_cm=1.0, reduction=reduction)
        torch.testing.assert_close(terms["reconstruction"], expected)
