import pytest
import torch

from mvgraph.graphs import (
    GraphBlocks,
    average_graphs,
    pairs,
    unit_diagonal_can,
    unit_diagonal_can_graph,
)
from mvgraph.graphs.pairs import find_pairs, pair_inner_products


def brute_force(keys: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
    hits = queries.unsqueeze(1) == keys.unsqueeze(0)
    return torch.where(hits.any(1), hits.float().argmax(1), torch.full_like(queries, -1))


@pytest.mark.parametrize("factor", [0, 10**9])  # binary search, lookup table
@pytest.mark.parametrize("sort", [False, True])
def test_find_pairs_matches_a_brute_force_search(monkeypatch, factor, sort):
    monkeypatch.setattr(pairs, "TABLE_FACTOR", factor)
    generator = torch.Generator().manual_seed(0)
    keys = torch.randperm(400, generator=generator)[:90]
    if sort:
        keys = keys.sort().values
    queries = torch.randint(0, 400, (150,), generator=generator)
    got = find_pairs(keys, queries, 400, sorted_keys=sort)
    expected = brute_force(keys, queries)
    assert (expected >= 0).any() and (expected < 0).any()
    assert torch.equal(got, expected)


def test_find_pairs_without_keys():
    got = find_pairs(torch.zeros(0, dtype=torch.long), torch.tensor([3, 1]), 10)
    assert torch.equal(got, torch.tensor([-1, -1]))


@pytest.mark.parametrize("factor", [0, 10**9])  # pair by pair, Gram matrix
def test_pair_inner_products_and_their_gradient(monkeypatch, factor):
    monkeypatch.setattr(pairs, "TABLE_FACTOR", factor)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(12, 5, generator=generator, dtype=torch.float64, requires_grad=True)
    first = torch.randint(0, 12, (40,), generator=generator)
    second = torch.randint(0, 12, (40,), generator=generator)
    got = pair_inner_products(x, first, second)
    expected = torch.stack([x[i] @ x[j] for i, j in zip(first.tolist(), second.tolist())])
    torch.testing.assert_close(got, expected)
    probe = torch.randn(40, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(
        torch.autograd.grad((got * probe).sum(), x)[0],
        torch.autograd.grad((expected * probe).sum(), x)[0],
    )


def dense(edge_index, edge_weight, n):
    out = torch.zeros(n, n, dtype=edge_weight.dtype)
    return out.index_put((edge_index[1], edge_index[0]), edge_weight, accumulate=True)


def test_average_graphs_is_eq_9():
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(30, 3, generator=generator, dtype=torch.float64)
    f = torch.randn(30, 4, generator=generator, dtype=torch.float64)
    fixed = GraphBlocks(*unit_diagonal_can_graph(x, 4), 30).block(torch.arange(30))
    joint = unit_diagonal_can(f, 6)
    edge_index, edge_weight = average_graphs(fixed, joint, 30)
    keys = edge_index[0] * 30 + edge_index[1]
    n_fixed = fixed[0].shape[1]
    fixed_keys, joint_keys = keys[:n_fixed], keys[n_fixed:]
    assert fixed_keys.unique().numel() == n_fixed
    assert joint_keys.unique().numel() == joint_keys.numel()
    shared = torch.isin(joint_keys, fixed_keys)  # counted once, on the fixed edge
    assert shared.any() and (edge_weight[n_fixed:][shared] == 0).all()
    expected = 0.5 * (dense(*fixed, 30) + dense(*joint, 30))
    torch.testing.assert_close(dense(edge_index, edge_weight, 30), expected)
    torch.testing.assert_close(torch.diagonal(expected), torch.ones(30, dtype=torch.float64))
