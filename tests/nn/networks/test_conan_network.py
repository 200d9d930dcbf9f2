import math

import pytest
import torch
import torch.nn.functional as F

from mvgraph.nn import DDCHead, DECHead
from mvgraph.nn.networks import CONANNetwork


def _network(contrast: str, head: str = "ddc") -> CONANNetwork:
    torch.manual_seed(0)
    return CONANNetwork(
        [6, 5], 3, hidden_dim=8, encoder_hidden=(8,), cluster_hidden_dim=4, projection_dim=6,
        prediction_dim=5, contrast=contrast, clustering_head=head,
    )


def _loop_simclr_direction(a: torch.Tensor, b: torch.Tensor, tau: float) -> float:
    """Reference code's one direction: CE over [a_i·b_j, a_i·a_k (k≠i)] with target b_i."""
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    total = 0.0
    for i in range(a.shape[0]):
        scores = [math.exp(float(a[i] @ b[j]) / tau) for j in range(b.shape[0])]
        scores += [math.exp(float(a[i] @ a[k]) / tau) for k in range(a.shape[0]) if k != i]
        total -= math.log(scores[i] / sum(scores))
    return total / a.shape[0]


def _looped_contrast(model: CONANNetwork, views: list[torch.Tensor], pairs) -> float:
    """Both directions of the loop above, summed over the views, for the aligned batches
    ``pairs(p(z), p(h))`` returns."""
    with torch.no_grad():
        representations, z = model.encode(views)
        pz = model.projection(z)
        total = 0.0
        for h in representations:
            a, b = pairs(pz, model.projection(h))
            total += _loop_simclr_direction(a, b, 0.1) + _loop_simclr_direction(b, a, 0.1)
    return total


def test_simclr_contrast_is_the_reference_sum_of_both_directions():
    model = _network("simclr")
    views = [torch.randn(9, 6), torch.randn(9, 5)]
    terms = model.terms(views, contrast_weight=0.5, temperature=0.1, rel_sigma=0.15)
    assert set(terms) == {"ddc", "contrast"}
    expected = _looped_contrast(model, views, lambda pz, ph: (pz, ph))
    assert float(terms["contrast"]) == pytest.approx(0.5 * expected, rel=1e-4)


def test_reference_contrast_pairs_the_two_halves_of_the_batch():
    # The reference code joins p(z) and p(h) along the features and splits the batch in
    # halves: the positive of sample i is sample m + i; an odd last row is left out.
    model = _network("simclr-reference")
    views = [torch.randn(11, 6), torch.randn(11, 5)]
    terms = model.terms(views, contrast_weight=0.5, temperature=0.1, rel_sigma=0.15)
    assert set(terms) == {"ddc", "contrast"}

    def halves(pz, ph):
        joined = torch.cat([pz, ph], dim=1)
        return joined[:5], joined[5:10]

    expected = _looped_contrast(model, views, halves)
    assert float(terms["contrast"]) == pytest.approx(0.5 * expected, rel=1e-4)
    # the same network's Eq. 4 contrast pairs (z_i, h_i) and gives another value
    eq4 = _looped_contrast(model, views, lambda pz, ph: (pz, ph))
    assert float(terms["contrast"]) != pytest.approx(0.5 * eq4, rel=1e-3)


def test_simsiam_stop_gradient_reaches_no_target_branch():
    model = _network("simsiam")
    views = [torch.randn(9, 6), torch.randn(9, 5)]
    terms = model.terms(views, contrast_weight=1.0, temperature=0.1, rel_sigma=0.15)
    model.zero_grad(set_to_none=True)
    terms["contrast"].backward()
    # The prediction head only produces targets: nothing reaches it ...
    assert all(p.grad is None for p in model.predictor.parameters())
    # ... while the projection, fusion and encoders are trained through the online side.
    for module in (model.projection, model.fusion, *model.encoders):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())
    # The loss equals Eq. 5 computed by hand (cosines to the predicted targets).
    with torch.no_grad():
        representations, z = model.encode(views)
        pz = model.projection(z)
        qz = model.predictor(pz)
        expected = 0.0
        for h in representations:
            ph = model.projection(h)
            qh = model.predictor(ph)
            expected += -0.5 * (F.cosine_similarity(pz, qh).mean()
                                + F.cosine_similarity(ph, qz).mean())
    assert float(terms["contrast"]) == pytest.approx(float(expected), rel=1e-5)


def test_switches_build_exactly_their_parts():
    assert isinstance(_network("simclr", "ddc").head, DDCHead)
    dec = _network("none", "dec")
    assert isinstance(dec.head, DECHead) and dec.projection is None and dec.predictor is None
    views = [torch.randn(9, 6), torch.randn(9, 5)]
    assert set(dec.terms(views, contrast_weight=1.0, temperature=0.1,
                           rel_sigma=0.15)) == {"dec"}
    no_head = _network("simclr", "none")
    assert no_head.head is None and no_head.predictor is None
    assert set(no_head.terms(views, contrast_weight=1.0, temperature=0.1,
                           rel_sigma=0.15)) == {"contrast"}


def test_reconstruction_and_head_start_terms_match_hand_computed_losses():
    model = _network("simclr")
    torch.manual_seed(1)
    views = [torch.rand(7, 6, dtype=torch.float64), torch.rand(7, 5, dtype=torch.float64)]
    model = model.double()
    with pytest.raises(ValueError, match="add_decoders"):
        model.reconstruction_terms(views)
    head_before = [p.clone() for p in model.head.parameters()]
    model.add_decoders()
    assert all(torch.equal(a, b) for a, b in zip(head_before, model.head.parameters()))
    assert [decoder(torch.zeros(1, 8, dtype=torch.float64)).shape[1]
            for decoder in model.decoders] == [6, 5]
    with torch.no_grad():
        terms = model.reconstruction_terms(views)
        expected = sum(
            sum(float(((model.decoders[v](model.encoders[v](x[i:i + 1])) - x[i:i + 1]) ** 2)
                      .sum()) for i in range(7)) / 7
            for v, x in enumerate(views)
        )
        assert float(terms["reconstruction"]) == pytest.approx(expected, rel=1e-12)

        targets = torch.tensor([0, 1, 2, 0, 1, 2, 2])
        model.eval()
        probabilities = model.assign(model.encode(views)[1])
        expected = -sum(math.log(float(probabilities[i, t])) for i, t in enumerate(targets)) / 7
        assert float(model.head_start_terms(views, targets)["head_start"]) == pytest.approx(
            expected, rel=1e-12)
