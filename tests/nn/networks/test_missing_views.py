"""Every network on a batch with missing views (absent rows imputed, a presence mask
beside them): the mask changes the terms, a mask in which every sample has every view
gives the complete-data terms, and a reconstruction is scored on the present rows."""

import pytest
import torch

from mvgraph.graphs import unit_diagonal_can_graph
from mvgraph.losses import reconstruction_loss
from mvgraph.nn.networks import (
    BMvCNetwork,
    CONANNetwork,
    CRRCNetwork,
    DMACNetwork,
    RAVNetwork,
)

DIMS = [6, 5, 4]
ROWS = 24
K = 3


def _presence() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    presence = torch.rand(ROWS, len(DIMS), generator=generator) < 0.6
    presence[torch.arange(ROWS), torch.arange(ROWS) % len(DIMS)] = True  # one view at least
    return presence


def _view_graphs(views, presence):
    """Each view's unit-diagonal CAN graph over the rows that have it (no edge without)."""
    graphs = []
    for v, view in enumerate(views):
        rows = slice(None) if presence is None else presence[:, v]
        graphs.append(unit_diagonal_can_graph(view[rows], K) if len(view[rows])
                      else (torch.zeros(2, 0, dtype=torch.long), torch.zeros(0)))
    return graphs


def _terms(name: str):
    """The network ``name`` (seeded) and a function from (views, presence) to its terms."""
    torch.manual_seed(0)
    if name == "conan":
        net = CONANNetwork(DIMS, 3, hidden_dim=8, encoder_hidden=(8,), cluster_hidden_dim=4,
                           projection_dim=6, prediction_dim=5)
        return net, lambda views, presence: net.terms(views, presence=presence)
    if name == "crrc":
        net = CRRCNetwork(DIMS, hidden=(16,), latent_dim=8, fusion_hidden=16, feature_dim=4,
                          gate_hidden=8)
        return net, lambda views, presence: net.terms(views, temperature=1.0, lambda_cm=1.0,
                                                      presence=presence)
    if name == "rav":
        net = RAVNetwork(DIMS, 3, latent_dim=8, hidden_dims=(16,))
        weights = torch.full((3, 3), 0.5).fill_diagonal_(0.0)
        return net, lambda views, presence: net.terms(views, weights, lambda1=1.0, lambda2=0.1,
                                                      presence=presence)
    if name == "dmac":
        net = DMACNetwork(DIMS, 3, hidden_dim=16, embedding_dim=8, agcn_hidden=4)
        anchors = torch.randn(6, 8)
        return net, lambda views, presence: net.terms(
            views, net.anchors(anchors), K, alpha=1.0, beta=1.0, presence=presence)
    net = BMvCNetwork(DIMS, 3, hidden=(16,), latent_dim=8, embedding_dim=12)
    return net, lambda views, presence: net.terms(views, _view_graphs(views, presence), k=K,
                                                  vcr_weight=1.0, presence=presence)


def _evaluate(name, views, presence):
    """The terms and the gradient of their sum on every parameter."""
    net, terms = _terms(name)
    values = terms(views, presence)
    sum(values.values()).backward()
    return ({key: value.detach() for key, value in values.items()},
            [p.grad.clone() for p in net.parameters() if p.grad is not None])


NAMES = ["bmvc", "conan", "crrc", "dmac", "rav"]


@pytest.mark.parametrize("name", NAMES)
def test_the_mask_changes_the_terms_and_keeps_them_finite(name):
    generator = torch.Generator().manual_seed(1)
    views = [torch.rand(ROWS, d, generator=generator) for d in DIMS]
    terms, grads = _evaluate(name, views, None)
    masked_terms, masked_grads = _evaluate(name, views, _presence())
    assert masked_terms.keys() == terms.keys() and len(masked_grads) == len(grads) > 0
    assert all(torch.isfinite(value) for value in masked_terms.values())
    assert all(torch.isfinite(grad).all() for grad in masked_grads)
    assert any(not torch.allclose(masked_terms[key], terms[key]) for key in terms)


@pytest.mark.parametrize("name", NAMES)
def test_a_mask_where_every_view_is_present_gives_the_complete_terms(name):
    generator = torch.Generator().manual_seed(2)
    views = [torch.rand(ROWS, d, generator=generator) for d in DIMS]
    terms, grads = _evaluate(name, views, None)
    masked_terms, masked_grads = _evaluate(name, views,
                                           torch.ones(ROWS, len(DIMS), dtype=torch.bool))
    for key in terms:
        torch.testing.assert_close(masked_terms[key], terms[key])
    for grad, masked in zip(grads, masked_grads, strict=True):
        torch.testing.assert_close(masked, grad)


@pytest.mark.parametrize("name", ["crrc", "dmac", "rav"])
def test_the_reconstruction_is_scored_on_the_present_rows(name):
    net, _ = _terms(name)
    presence = _presence()
    generator = torch.Generator().manual_seed(3)
    views = [torch.rand(ROWS, d, generator=generator) for d in DIMS]
    if name == "dmac":
        rebuilt = net.reconstruct(net.embed(views))
        targets = [torch.nn.functional.normalize(view, dim=1) for view in views]
    else:
        rebuilt = net.autoencoders.decode(net.autoencoders.encode(views))
        targets = views
    reduction = "sum" if name == "crrc" else "mean"
    expected = sum(reconstruction_loss([rebuilt[v][presence[:, v]]],
                                       [targets[v][presence[:, v]]], reduction)
                   for v in range(len(DIMS)))
    got = net.reconstruction_terms(views, presence=presence)["reconstruction"]
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("name", NAMES)
def test_a_view_no_row_of_the_batch_has_adds_nothing(name):
    generator = torch.Generator().manual_seed(4)
    views = [torch.rand(ROWS, d, generator=generator) for d in DIMS]
    presence = torch.ones(ROWS, len(DIMS), dtype=torch.bool)
    presence[:, 2] = False
    values = _evaluate(name, views, presence)[0]
    assert all(torch.isfinite(value) for value in values.values())
