import math

import pytest
import torch
from conftest import loop_cluster_loss, loop_relation_alignment

from mvgraph.nn.networks import RAVNetwork


def test_terms_match_the_loops_on_the_models_own_outputs():
    torch.manual_seed(0)
    dims = [7, 5, 6]
    model = RAVNetwork(dims, 3, latent_dim=4, hidden_dims=(8,)).double()
    generator = torch.Generator().manual_seed(3)
    views = [torch.rand(6, d, dtype=torch.float64, generator=generator) for d in dims]
    weights = torch.tensor([[0.0, 0.9, 0.1], [0.5, 0.0, 0.5], [0.3, 0.7, 0.0]],
                           dtype=torch.float64)
    with torch.no_grad():
        terms = model.terms(views, weights, lambda1=2.0, lambda2=0.5)
    assert set(terms) == {"reconstruction", "cluster", "entropy", "relation"}
    with torch.no_grad():
        latents = model.encode(views)
        q = model.assign(latents)
        rebuilt = model.autoencoders.decode(latents)
    contrast, entropy = loop_cluster_loss(q, weights, 0.5)
    assert float(terms["cluster"]) == pytest.approx(2.0 * contrast, rel=1e-10)
    # marginal_entropy_gap adds log K per view, a constant.
    assert float(terms["entropy"]) == pytest.approx(2.0 * (entropy + 3 * math.log(3)), rel=1e-10)
    unit = [z / z.norm(dim=1, keepdim=True) for z in latents]
    expected_relation = loop_relation_alignment(unit, 1.0, 0.5)
    assert float(terms["relation"]) == pytest.approx(0.5 * expected_relation, rel=1e-10)
    expected_rec = sum(float(((r - x) ** 2).mean()) for r, x in zip(rebuilt, views))
    assert float(terms["reconstruction"]) == pytest.approx(expected_rec, rel=1e-10)
    no_relation = model.terms(views, weights, lambda1=1.0, lambda2=None)
    assert "relation" not in no_relation
