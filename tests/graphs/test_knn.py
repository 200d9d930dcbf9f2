"""The kNN graph against a brute-force search in NumPy."""

import numpy as np
import pytest
import torch

from mvgraph.graphs import knn_graph

BACKENDS = ["faiss", "torch"]


def points(n=30, d=4, seed=0):
    """Points in general position: no two distances tie."""
    return np.random.default_rng(seed).normal(size=(n, d))


def brute_force_knn(x, k, metric="l2", loop=False):
    """``(neighbours [n, k], distances [n, k])`` nearest first, from the dense matrix."""
    if metric == "cosine":
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        dist = 1.0 - unit @ unit.T
        np.fill_diagonal(dist, 0.0)
    else:
        dist = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    if not loop:
        np.fill_diagonal(dist, np.inf)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(dist, order, axis=1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metric", ["l2", "cosine"])
@pytest.mark.parametrize("k", [1, 3, 7])
def test_edges_are_the_brute_force_neighbours_grouped_by_centre(backend, metric, k):
    x = points()
    edge_index, distances = knn_graph(torch.from_numpy(x), k, metric=metric, backend=backend)
    neighbours, expected = brute_force_knn(x, k, metric)
    assert edge_index.shape == (2, 30 * k) and edge_index.dtype == torch.int64
    assert edge_index[1].tolist() == np.repeat(np.arange(30), k).tolist()
    assert edge_index[0].view(30, k).tolist() == neighbours.tolist()
    np.testing.assert_allclose(distances.view(30, k).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert not (edge_index[0] == edge_index[1]).any()


@pytest.mark.parametrize("backend", BACKENDS)
def test_with_loop_every_point_is_its_own_nearest_and_counts_as_one_of_k(backend):
    x = points(20, 3, seed=1)
    edge_index, distances = knn_graph(x, 4, loop=True, backend=backend)
    grouped = edge_index[0].view(20, 4)
    assert grouped[:, 0].tolist() == list(range(20))
    np.testing.assert_allclose(distances.view(20, 4)[:, 0].numpy(), 0.0, atol=1e-5)
    others, _ = brute_force_knn(x, 3)
    assert grouped[:, 1:].tolist() == others.tolist()


def test_with_loop_k_may_be_n_and_every_pair_is_an_edge():
    x = points(6, 2, seed=2)
    edge_index, _ = knn_graph(x, 6, loop=True)
    pairs = set(map(tuple, edge_index.t().tolist()))
    assert len(pairs) == 36 and pairs == {(i, j) for i in range(6) for j in range(6)}


def test_distances_are_squared_euclidean_by_hand():
    x = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    edge_index, distances = knn_graph(x, 2)
    # centre 0: point 2 at 1, point 1 at 25; centre 1: point 2 at 9 + 9 = 18, point 0 at 25
    assert edge_index.tolist() == [[2, 1, 2, 0, 0, 1], [0, 0, 1, 1, 2, 2]]
    assert distances.tolist() == pytest.approx([1.0, 25.0, 18.0, 25.0, 1.0, 18.0])


def test_numpy_input_gives_tensors_without_gradient():
    x = torch.from_numpy(points(10, 2)).requires_grad_()
    edge_index, distances = knn_graph(x, 2)
    assert not distances.requires_grad and distances.dtype == torch.float64
    from_numpy, _ = knn_graph(points(10, 2), 2)
    assert isinstance(from_numpy, torch.Tensor) and torch.equal(from_numpy, edge_index)


def test_k_is_checked_against_the_points_left_as_candidates():
    x = points(5, 2)
    with pytest.raises(ValueError, match=r"k must be at most 4 \(n - 1: the point itself is "
                                         r"excluded\); got k=5"):
        knn_graph(x, 5)
    with pytest.raises(ValueError, match=r"k must be at most 5 .*; got k=6"):
        knn_graph(x, 6, loop=True)
    with pytest.raises(ValueError, match="k must be a positive integer; got 0"):
        knn_graph(x, 0)
