import pytest
import torch

from mvgraph.graphs import GraphBlocks, can_graph, can_neighbors, can_weights


def dense(edge_index, edge_weight, n):
    out = torch.zeros(n, n, dtype=edge_weight.dtype)
    return out.index_put((edge_index[1], edge_index[0]), edge_weight, accumulate=True)


def test_blocks_are_the_restricted_graph_sorted_and_coalesced():
    x = torch.randn(60, 3, generator=torch.Generator().manual_seed(0))
    edge_index, edge_weight = can_graph(x, 6, symmetrize=True)
    graph = dense(edge_index, edge_weight, 60)
    blocks = GraphBlocks(edge_index, edge_weight, 60)
    for index in (torch.arange(60), torch.randperm(60)[:17], torch.tensor([5])):
        block_index, block_weight = blocks.block(index)
        b = index.numel()
        torch.testing.assert_close(dense(block_index, block_weight, b), graph[index][:, index])
        keys = block_index[0] * b + block_index[1]
        assert bool((keys[1:] > keys[:-1]).all())  # sorted, so no pair twice


def test_blocks_validate():
    edge_index = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="edge_weight must have shape"):
        GraphBlocks(edge_index, torch.ones(3), 2)
    with pytest.raises(ValueError, match="nodes in"):
        GraphBlocks(edge_index, torch.ones(2), 1)
    blocks = GraphBlocks(edge_index, torch.ones(2), 2)
    with pytest.raises(ValueError, match="distinct"):
        blocks.block(torch.tensor([1, 1]))
    with pytest.raises(ValueError, match=r"shape \[B\]"):
        blocks.block(torch.tensor([[1]]))


@pytest.mark.parametrize("cutoff", ["k_plus_1", "kth"])
@pytest.mark.parametrize("self_loops", [False, True])
def test_can_neighbors_is_the_sparse_form_of_can_weights(cutoff, self_loops):
    x = torch.randn(25, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1),
                    requires_grad=True)
    neighbors, weights = can_neighbors(x, 5, cutoff=cutoff, self_loops=self_loops)
    assert neighbors.shape == weights.shape == (25, 5)
    full = can_weights(x, 5, cutoff=cutoff, self_loops=self_loops)
    rebuilt = torch.zeros(25, 25, dtype=torch.float64).scatter(1, neighbors, weights)
    torch.testing.assert_close(rebuilt, full)
    if self_loops:
        assert bool((neighbors[:, 0] == torch.arange(25)).all())
    else:
        assert not bool((neighbors == torch.arange(25)[:, None]).any())
    probe = torch.randn(25, 25, dtype=torch.float64)
    got = torch.autograd.grad((rebuilt * probe).sum(), x)[0]
    want = torch.autograd.grad((full * probe).sum(), x)[0]
    torch.testing.assert_close(got, want)
