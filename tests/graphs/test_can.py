import numpy as np
import pytest
import torch

from mvgraph.graphs import (
    adaptive_neighbor_weights,
    can,
    can_graph,
    can_weights,
    unit_diagonal_can,
    unit_diagonal_can_graph,
)


def can_reference(x, k, cutoff="k_plus_1", self_loops=False):
    """Dense float64 CAN matrix P, written directly from the formula."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    dist = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    if not self_loops:
        np.fill_diagonal(dist, np.inf)
    p = np.zeros((n, n))
    for i in range(n):
        order = np.argsort(dist[i], kind="stable")
        d = dist[i, order]
        c = d[k] if cutoff == "k_plus_1" else d[k - 1]
        denominator = k * c - d[:k].sum()
        if denominator > 0:
            p[i, order[:k]] = (c - d[:k]) / denominator
        else:
            p[i, order[:k]] = 1.0 / k
    return p


def dense(edge_index, edge_weight, n):
    out = torch.zeros(n, n, dtype=torch.float64)
    # edge j -> i carries p_ij
    out.index_put_((edge_index[1], edge_index[0]), edge_weight.double(), accumulate=True)
    return out.numpy()


@pytest.mark.parametrize("backend", ["faiss", "torch"])
@pytest.mark.parametrize("cutoff", ["k_plus_1", "kth"])
@pytest.mark.parametrize("n, d, k", [(3, 2, 1), (25, 3, 4), (120, 6, 9)])
def test_can_graph_matches_dense_formula(backend, cutoff, n, d, k):
    x = np.random.default_rng(n * k).normal(size=(n, d))
    expected = can_reference(x, k, cutoff)
    edge_index, edge_weight = can_graph(
        torch.from_numpy(x), k, symmetrize=False, cutoff=cutoff, backend=backend
    )
    assert edge_index.shape == (2, n * k)
    p = dense(edge_index, edge_weight, n)
    np.testing.assert_allclose(p, expected, atol=2e-5)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)
    if cutoff == "kth" and k > 1:
        assert (edge_weight.view(n, k)[:, -1] == 0).all()

    edge_index, edge_weight = can_graph(
        torch.from_numpy(x), k, symmetrize=True, cutoff=cutoff, backend=backend
    )
    sym = dense(edge_index, edge_weight, n)
    np.testing.assert_allclose(sym, (expected + expected.T) / 2, atol=2e-5)
    np.testing.assert_allclose(sym, sym.T, atol=0)
    keys = (edge_index[0] * n + edge_index[1]).tolist()
    assert len(keys) == len(set(keys))  # duplicates were summed into one edge


def test_equal_distances_give_uniform_weights():
    x = torch.zeros(6, 2)
    edge_index, edge_weight = can_graph(x, 3, symmetrize=False)
    assert torch.allclose(edge_weight, torch.full((18,), 1 / 3))
    assert torch.allclose(can_weights(x, 3).sum(1), torch.ones(6))
    # a square: every corner has two neighbours at 1 and one at 2
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    weights = can_weights(square, 2, cutoff="kth")
    assert torch.allclose(weights.sum(1), torch.ones(4))
    assert torch.allclose(weights[weights > 0], torch.full((8,), 0.5))


def test_duplicated_points():
    base = np.random.default_rng(1).normal(size=(15, 3))
    x = torch.from_numpy(np.concatenate([base, base]))
    edge_index, edge_weight = can_graph(x, 3, symmetrize=False)
    assert not (edge_index[0] == edge_index[1]).any()
    np.testing.assert_allclose(dense(edge_index, edge_weight, 30).sum(1), 1.0, atol=1e-12)


@pytest.mark.parametrize("cutoff", ["k_plus_1", "kth"])
@pytest.mark.parametrize("self_loops", [False, True])
@pytest.mark.parametrize("b, k", [(4, 1), (16, 3), (64, 7)])
def test_can_weights_matches_dense_formula(cutoff, self_loops, b, k):
    x = torch.from_numpy(np.random.default_rng(b).normal(size=(b, 5)))
    weights = can_weights(x, k, cutoff=cutoff, self_loops=self_loops)
    expected = can_reference(x, k, cutoff, self_loops)
    np.testing.assert_allclose(weights.numpy(), expected, atol=1e-12)
    if not self_loops:
        assert (weights.diagonal() == 0).all()


@pytest.mark.parametrize("factor", [0, 64])  # sparse and dense backward products
def test_can_weights_gradient(monkeypatch, factor):
    monkeypatch.setattr(can, "TABLE_FACTOR", factor)
    x = torch.from_numpy(np.random.default_rng(3).normal(size=(9, 3))).requires_grad_()
    for cutoff in ("k_plus_1", "kth"):
        assert torch.autograd.gradcheck(lambda z, c=cutoff: can_weights(z, 3, cutoff=c), (x,))
    float32 = x.detach().float().requires_grad_()
    can_weights(float32, 3).pow(2).sum().backward()
    assert float32.grad is not None and torch.isfinite(float32.grad).all()


def test_adaptive_neighbor_weights_formula():
    distances = torch.tensor([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    weights = adaptive_neighbor_weights(distances, 2)
    assert torch.allclose(weights, torch.tensor([[3 / 5, 2 / 5], [0.5, 0.5]]))
    weights = adaptive_neighbor_weights(distances, 2, cutoff="kth")
    assert torch.allclose(weights, torch.tensor([[1.0, 0.0], [0.5, 0.5]]))
    with pytest.raises(ValueError, match=r"shape \[n, >= 3\]"):
        adaptive_neighbor_weights(distances[:, :2], 2)


def test_bad_arguments():
    x = torch.randn(6, 2)
    with pytest.raises(ValueError, match="k must be at most 4"):
        can_graph(x, 5)
    can_graph(x, 5, cutoff="kth")
    with pytest.raises(ValueError, match="k must be at most 5"):
        can_graph(x, 6, cutoff="kth")
    with pytest.raises(ValueError, match="positive integer"):
        can_graph(x, 0)
    with pytest.raises(ValueError, match="cutoff"):
        can_graph(x, 2, cutoff="median")
    with pytest.raises(ValueError, match="backend"):
        can_graph(x, 2, backend="gpu")
    with pytest.raises(ValueError, match="k must be at most 4"):
        can_weights(x, 5)
    with pytest.raises(ValueError, match="NaN"):
        can_weights(torch.full((4, 2), float("nan")), 1)
    with pytest.raises(ValueError, match="shape"):
        can_weights(torch.zeros(2, 3, 4), 1)


def dense_tensor(edge_index, edge_weight, n):
    """Dense [n, n] in the edges' dtype, differentiable in ``edge_weight``."""
    out = torch.zeros(n, n, dtype=edge_weight.dtype)
    return out.index_put((edge_index[1], edge_index[0]), edge_weight, accumulate=True)


def reference_graph(x, k):
    """The reference code's graph, row by row: CAN weights with the k-th distance as the
    cutoff over the k nearest other points, diagonal 1, then (G + G^T) / 2 (float64)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    distances = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    graph = np.zeros((n, n))
    for i in range(n):
        order = np.argsort(distances[i], kind="stable")[:k]
        d = distances[i, order]
        graph[i, order] = (d[-1] - d) / (k * d[-1] - d.sum())
        assert graph[i].sum() == pytest.approx(1.0)
    np.fill_diagonal(graph, 1.0)
    return 0.5 * (graph + graph.T)


def test_raw_view_graph_rows_follow_the_reference_formula():
    x = np.random.default_rng(0).normal(size=(50, 5))
    edge_index, edge_weight = unit_diagonal_can_graph(torch.from_numpy(x).float(), 7)
    expected = reference_graph(x, 7)
    np.testing.assert_allclose(dense_tensor(edge_index, edge_weight, 50).numpy(), expected,
                               atol=2e-6)
    keys = edge_index[0] * 50 + edge_index[1]
    assert bool((keys[1:] > keys[:-1]).all())  # coalesced


def test_joint_graph_is_the_symmetrised_can_graph_with_unit_diagonal():
    x = torch.randn(40, 6, dtype=torch.float64, requires_grad=True)
    edge_index, edge_weight = unit_diagonal_can(x, 5)
    keys = edge_index[0] * 40 + edge_index[1]
    assert keys.unique().numel() == keys.numel()  # every pair once
    p = can_weights(x, 5, cutoff="kth")
    expected = (0.5 * (p + p.T)).fill_diagonal_(1.0)
    got = dense_tensor(edge_index, edge_weight, 40)
    torch.testing.assert_close(got, expected)
    np.testing.assert_allclose(got.detach().numpy(), reference_graph(x.detach(), 5), atol=1e-12)
    probe = torch.randn(40, 40, dtype=torch.float64)
    grad = torch.autograd.grad((got * probe).sum(), x)[0]
    torch.testing.assert_close(grad, torch.autograd.grad((expected * probe).sum(), x)[0])
    assert grad.abs().sum() > 0  # the gradient reaches F through the graph
