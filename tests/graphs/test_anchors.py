import numpy as np
import pytest
import torch

from mvgraph.graphs import AnchorGraph, anchor_graph, select_anchors


def anchor_reference(x, anchors, k):
    """Dense float64 S [n, m] from the closed form over the k + 1 nearest anchors."""
    x, anchors = np.asarray(x, np.float64), np.asarray(anchors, np.float64)
    dist = ((x[:, None, :] - anchors[None, :, :]) ** 2).sum(-1)
    s = np.zeros_like(dist)
    for i, row in enumerate(dist):
        order = np.argsort(row)
        d = row[order]
        denominator = k * d[k] - d[:k].sum()
        s[i, order[:k]] = (d[k] - d[:k]) / denominator if denominator > 0 else 1.0 / k
    return s


def dense_operators(s):
    degree = s.sum(0)
    inverse = np.where(degree > 0, 1.0 / np.where(degree > 0, degree, 1.0), 0.0)
    g = s @ np.diag(inverse) @ s.T
    a_hat = np.diag(inverse) @ s.T @ s
    return degree, g, a_hat


def random_graph(n=40, m=9, k=3, d=4, seed=0, far_anchor=True):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.normal(size=(n, d)))
    anchors = torch.from_numpy(rng.normal(size=(m, d)))
    if far_anchor:  # an anchor no sample selects: degree 0
        anchors[-1] = 100.0
    return x, anchors, anchor_graph(x, anchors, k)


@pytest.mark.parametrize("backend", ["faiss", "torch"])
@pytest.mark.parametrize("n, m, k, d", [(1, 2, 1, 3), (30, 6, 5, 2), (500, 40, 7, 12)])
def test_matches_dense_reference(backend, n, m, k, d):
    rng = np.random.default_rng(n + m)
    x, anchors = rng.normal(size=(n, d)), rng.normal(size=(m, d))
    graph = anchor_graph(torch.from_numpy(x), torch.from_numpy(anchors), k, backend=backend)
    assert graph.size == (n, m)
    assert graph.edge_index.shape == (2, n * k) and graph.edge_weight.shape == (n * k,)
    assert graph.edge_weight.dtype == torch.float64
    s = graph.to_sparse().to_dense().numpy()
    np.testing.assert_allclose(s, anchor_reference(x, anchors, k), atol=1e-5)
    np.testing.assert_allclose(s.sum(1), 1.0, atol=1e-12)
    # k edges per sample, samples in order, anchors ascending within a sample
    assert torch.equal(graph.edge_index[0], torch.arange(n).repeat_interleave(k))
    assert bool((graph.edge_index[1].view(n, k).diff(dim=1) > 0).all())


def test_float32_numpy_input():
    rng = np.random.default_rng(1)
    x, anchors = rng.normal(size=(200, 8)).astype(np.float32), rng.normal(size=(20, 8))
    graph = anchor_graph(x, anchors.astype(np.float32), 4)
    assert graph.edge_weight.dtype == torch.float32
    s = graph.to_sparse().to_dense().double().numpy()
    np.testing.assert_allclose(s, anchor_reference(x, anchors.astype(np.float32), 4), atol=1e-4)


def test_equal_distances_give_uniform_weights():
    x = torch.zeros(3, 2)
    anchors = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    graph = anchor_graph(x, anchors, 3)
    assert torch.allclose(graph.edge_weight, torch.full((9,), 1 / 3))


def test_gradients_reach_samples_and_anchors():
    rng = np.random.default_rng(4)
    x = torch.from_numpy(rng.normal(size=(12, 3))).requires_grad_()
    anchors = torch.from_numpy(rng.normal(size=(6, 3))).requires_grad_()
    graph = anchor_graph(x, anchors, 3)
    detached = anchor_graph(x.detach(), anchors.detach(), 3)
    assert torch.equal(graph.edge_index, detached.edge_index)
    torch.testing.assert_close(graph.edge_weight, detached.edge_weight, rtol=1e-6, atol=1e-6)
    assert torch.autograd.gradcheck(lambda a, b: anchor_graph(a, b, 3).edge_weight, (x, anchors))
    # only x requires grad
    assert torch.autograd.gradcheck(
        lambda a: anchor_graph(a, anchors.detach(), 2, backend="torch").edge_weight, (x,)
    )


def test_anchor_graph_operators_match_dense():
    x, anchors, graph = random_graph()
    s = graph.to_sparse().to_dense().numpy()
    degree, g, a_hat = dense_operators(s)
    assert degree[-1] == 0
    np.testing.assert_allclose(graph.anchor_degree().numpy(), degree, atol=1e-12)
    adjacency = graph.anchor_adjacency()
    assert adjacency.is_sparse and adjacency.is_coalesced() and adjacency.shape == (9, 9)
    np.testing.assert_allclose(adjacency.to_dense().numpy(), a_hat, atol=1e-12)
    np.testing.assert_allclose(adjacency.to_dense().sum(1)[:-1].numpy(), 1.0, atol=1e-12)
    transposed = graph.to_sparse(transpose=True)
    assert transposed.is_coalesced()
    np.testing.assert_allclose(transposed.to_dense().numpy(), s.T)

    z = np.random.default_rng(7).normal(size=(40, 5))
    np.testing.assert_allclose(graph.propagate(torch.from_numpy(z)).numpy(), g @ z, atol=1e-12)
    pairwise = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
    double_sum = (g * pairwise).sum()
    energy = graph.structure_energy(torch.from_numpy(z))
    assert energy.ndim == 0
    np.testing.assert_allclose(energy.item(), double_sum, rtol=1e-10)
    np.testing.assert_allclose(g.sum(1), 1.0, atol=1e-12)  # what the identity relies on


def test_operators_are_differentiable():
    _, _, graph = random_graph(n=10, m=5, k=2, seed=3)
    weight = graph.edge_weight.clone().requires_grad_()
    z = torch.from_numpy(np.random.default_rng(0).normal(size=(10, 2))).requires_grad_()

    def rebuilt(w):
        return AnchorGraph(graph.edge_index, w, graph.size)

    assert torch.autograd.gradcheck(lambda w, t: rebuilt(w).propagate(t), (weight, z))
    assert torch.autograd.gradcheck(lambda w, t: rebuilt(w).structure_energy(t), (weight, z))
    assert torch.autograd.gradcheck(lambda w: rebuilt(w).anchor_adjacency().to_dense(), (weight,))
    assert torch.autograd.gradcheck(lambda w: rebuilt(w).anchor_degree(), (weight,))


def test_unsorted_edges_are_coalesced():
    edge_index = torch.tensor([[1, 0, 1, 0], [2, 1, 0, 1]])
    graph = AnchorGraph(edge_index, torch.tensor([1.0, 2.0, 3.0, 4.0]), (2, 3))
    expected = torch.tensor([[0.0, 6.0, 0.0], [3.0, 0.0, 1.0]])
    assert torch.equal(graph.to_sparse().to_dense(), expected)
    assert torch.equal(graph.to_sparse(transpose=True).to_dense(), expected.t())


def test_select_anchors():
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(300, 4)))
    rows = select_anchors(x, 25, method="random", random_state=3)
    assert rows.shape == (25, 4) and rows.dtype == torch.float64
    matches = (rows[:, None, :] == x[None, :, :]).all(-1)
    assert (matches.sum(1) == 1).all() and len(set(matches.float().argmax(1).tolist())) == 25
    assert torch.equal(rows, select_anchors(x, 25, method="random", random_state=3))
    centroids = select_anchors(x, 6, random_state=0)
    assert centroids.shape == (6, 4) and centroids.dtype == torch.float64
    assert not centroids.requires_grad
    graph = anchor_graph(x, centroids, 3)
    assert (graph.anchor_degree() > 0).all()


def test_bad_arguments():
    x, anchors = torch.randn(10, 3), torch.randn(4, 3)
    with pytest.raises(ValueError, match="k must be at most 3"):
        anchor_graph(x, anchors, 4)
    with pytest.raises(ValueError, match="positive integer"):
        anchor_graph(x, anchors, 0)
    with pytest.raises(ValueError, match="same number of columns"):
        anchor_graph(x, torch.randn(4, 2), 2)
    with pytest.raises(ValueError, match="NaN"):
        anchor_graph(x, torch.full((4, 3), float("nan")), 2)
    with pytest.raises(ValueError, match=r"shape \[n, d\]"):
        anchor_graph(x, torch.randn(4), 2)
    with pytest.raises(ValueError, match="m must be at most 10"):
        select_anchors(x, 11)
    with pytest.raises(ValueError, match="method"):
        select_anchors(x, 3, method="farthest")
    graph = anchor_graph(x, anchors, 2)
    with pytest.raises(ValueError, match="n = 10"):
        graph.propagate(torch.randn(9, 2))
    with pytest.raises(ValueError, match="edge_weight"):
        AnchorGraph(graph.edge_index, graph.edge_weight[:-1], graph.size)
