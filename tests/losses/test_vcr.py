import pytest
import torch

from mvgraph.losses import vcr_loss


def vcr_reference(c, g, self_pairs, eps=1e-4):
    """BMvC Eq. 12 written pair by pair (float64)."""
    n = c.shape[0]
    positive = positive_weight = negative = negative_weight = 0.0
    for i in range(n):
        for j in range(n):
            a = (c[i] @ c[j]) / (c[i].norm() * c[j].norm())
            if i != j or self_pairs:
                positive = positive + (g[i, j] * (1 - a)) ** 2
                positive_weight = positive_weight + g[i, j]
            negative = negative + ((1 - g[i, j]) * a) ** 2
            negative_weight = negative_weight + (1 - g[i, j])
    return positive / (positive_weight + eps) + negative / (negative_weight + eps)


def random_graph(n, generator, *, unit_diagonal=True, density=0.3):
    g = torch.rand(n, n, dtype=torch.float64, generator=generator)
    g = g * (torch.rand(n, n, dtype=torch.float64, generator=generator) < density)
    g = 0.5 * (g + g.T)
    if unit_diagonal:
        g.fill_diagonal_(1.0)
    return g


def as_edges(dense):
    target, source = dense.nonzero(as_tuple=True)  # entry (i, j) is the edge j -> i
    return torch.stack([source, target]), dense[target, source]


@pytest.mark.parametrize("self_pairs", [False, True])
@pytest.mark.parametrize("unit_diagonal", [True, False])
def test_dense_vcr_matches_the_pairwise_formula(self_pairs, unit_diagonal):
    generator = torch.Generator().manual_seed(int(self_pairs) + 2 * int(unit_diagonal))
    c = torch.randn(7, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    g = random_graph(7, generator, unit_diagonal=unit_diagonal).requires_grad_(True)
    value = vcr_loss(c, g, self_pairs=self_pairs)
    reference = vcr_reference(c, g, self_pairs)
    torch.testing.assert_close(value, reference, rtol=1e-12, atol=1e-12)
    got = torch.autograd.grad(value, (c, g))
    want = torch.autograd.grad(reference, (c, g))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("self_pairs", [False, True])
@pytest.mark.parametrize("unit_diagonal", [True, False])
def test_sparse_vcr_equals_dense_vcr_with_gradients(self_pairs, unit_diagonal):
    generator = torch.Generator().manual_seed(10 + int(self_pairs) + 2 * int(unit_diagonal))
    c = torch.randn(30, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    dense = random_graph(30, generator, unit_diagonal=unit_diagonal, density=0.15)
    edge_index, edge_weight = as_edges(dense)
    edge_weight.requires_grad_(True)
    dense = torch.zeros(30, 30, dtype=torch.float64).index_put(
        (edge_index[1], edge_index[0]), edge_weight
    )
    sparse_value = vcr_loss(c, (edge_index, edge_weight), self_pairs=self_pairs)
    dense_value = vcr_loss(c, dense, self_pairs=self_pairs)
    torch.testing.assert_close(sparse_value, dense_value, rtol=1e-12, atol=1e-12)
    got = torch.autograd.grad(sparse_value, (c, edge_weight))
    want = torch.autograd.grad(dense_value, (c, edge_weight))
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_sparse_vcr_in_float32_stays_close_to_float64():
    generator = torch.Generator().manual_seed(3)
    c = torch.randn(500, 10, dtype=torch.float64, generator=generator)
    edge_index, edge_weight = as_edges(random_graph(500, generator, density=0.02))
    exact = vcr_loss(c, (edge_index, edge_weight))
    single = vcr_loss(c.float(), (edge_index, edge_weight.float()))
    torch.testing.assert_close(single.double(), exact, rtol=1e-4, atol=1e-6)


def test_self_pairs_only_change_the_positive_denominator():
    # With a unit diagonal the self pairs add N to the positive weight and 0 elsewhere.
    generator = torch.Generator().manual_seed(4)
    c = torch.randn(12, 3, dtype=torch.float64, generator=generator)
    g = random_graph(12, generator)
    unit = torch.nn.functional.normalize(c, dim=1)
    a = unit @ unit.T
    positive = (g * (1 - a)).square().sum()
    negative = ((1 - g) * a).square().sum() / ((1 - g).sum() + 1e-4)
    off = g.sum() - 12
    torch.testing.assert_close(vcr_loss(c, g), positive / (off + 1e-4) + negative)
    torch.testing.assert_close(vcr_loss(c, g, self_pairs=True),
                               positive / (g.sum() + 1e-4) + negative)


def test_vcr_is_zero_when_indicators_match_a_block_graph():
    labels = torch.tensor([0, 0, 1, 1, 2])
    c = torch.nn.functional.one_hot(labels).double()
    g = (labels[:, None] == labels[None, :]).double()
    assert float(vcr_loss(c, g)) == pytest.approx(0.0, abs=1e-12)
    assert float(vcr_loss(c, as_edges(g))) == pytest.approx(0.0, abs=1e-12)
    assert float(vcr_loss(c.flip(0), g)) > 0.1


def test_vcr_rejects_bad_shapes():
    with pytest.raises(ValueError, match="indicators must have shape"):
        vcr_loss(torch.zeros(4), torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"graph must have shape \[B, B\]"):
        vcr_loss(torch.zeros(4, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="sparse graph"):
        vcr_loss(torch.zeros(4, 2), (torch.zeros(3, 5, dtype=torch.long), torch.zeros(5)))
    with pytest.raises(ValueError, match="eps"):
        vcr_loss(torch.zeros(4, 2), torch.zeros(4, 4), eps=-1.0)
