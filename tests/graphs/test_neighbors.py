import numpy as np
import pytest
import torch

from mvgraph.graphs import knn_graph, nearest_neighbors

BACKENDS = ["faiss", "torch"]


def brute_force(x, y=None, metric="l2", exclude_self=False):
    """Dense float64 distance matrix, +inf on the diagonal when excluding self."""
    x = np.asarray(x, dtype=np.float64)
    y = x if y is None else np.asarray(y, dtype=np.float64)
    if metric == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        y = y / np.linalg.norm(y, axis=1, keepdims=True)
        dist = 1.0 - x @ y.T
    else:
        dist = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    if exclude_self:
        np.fill_diagonal(dist, np.inf)
    return dist


def assert_tie_aware(dist_ref, distances, indices, k, atol):
    """Each returned index is at its reported distance, indices are distinct per row and the
    sorted distances are the k smallest of the reference (whatever order ties come in)."""
    distances, indices = distances.double().numpy(), indices.numpy()
    assert indices.shape == (dist_ref.shape[0], k)
    for row in range(indices.shape[0]):
        assert len(set(indices[row])) == k
    true = np.take_along_axis(dist_ref, indices, axis=1)
    np.testing.assert_allclose(distances, true, atol=atol, rtol=1e-4)
    np.testing.assert_allclose(
        np.sort(distances, axis=1), np.sort(dist_ref, axis=1)[:, :k], atol=atol, rtol=1e-4
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metric", ["l2", "cosine"])
@pytest.mark.parametrize("n, n_y, d, k", [(1, 7, 3, 7), (50, 80, 4, 5), (300, 120, 16, 10)])
def test_search_against_candidates_matches_brute_force(backend, metric, n, n_y, d, k):
    rng = np.random.default_rng(n + d)
    x = torch.from_numpy(rng.normal(size=(n, d)).astype(np.float32))
    y = torch.from_numpy(rng.normal(size=(n_y, d)).astype(np.float32))
    distances, indices = nearest_neighbors(x, k, y, metric=metric, backend=backend)
    reference = brute_force(x, y, metric)
    expected = np.argsort(reference, axis=1)[:, :k]
    np.testing.assert_array_equal(np.sort(indices.numpy(), 1), np.sort(expected, 1))
    np.testing.assert_allclose(
        distances.numpy(), np.sort(reference, 1)[:, :k], rtol=1e-4, atol=1e-5
    )
    assert distances.dtype == torch.float32 and indices.dtype == torch.int64
    assert bool((distances[:, 1:] >= distances[:, :-1]).all())


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("metric", ["l2", "cosine"])
@pytest.mark.parametrize("n, d, k", [(2, 3, 1), (40, 3, 6), (257, 10, 12)])
def test_self_search_excludes_self(backend, metric, n, d, k):
    x = torch.from_numpy(np.random.default_rng(n).normal(size=(n, d)))
    distances, indices = nearest_neighbors(
        x, k, metric=metric, exclude_self=True, backend=backend, chunk_size=17
    )
    reference = brute_force(x, metric=metric, exclude_self=True)
    expected = np.argsort(reference, axis=1)[:, :k]
    np.testing.assert_array_equal(np.sort(indices.numpy(), 1), np.sort(expected, 1))
    np.testing.assert_allclose(distances.numpy(), np.sort(reference, 1)[:, :k], atol=1e-5)
    assert distances.dtype == torch.float64  # the input's dtype


@pytest.mark.parametrize("backend", BACKENDS)
def test_exclude_self_with_duplicates(backend):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(30, 5)).astype(np.float32)
    # every point twice, and one point eight times: more copies than k + 1
    x = np.concatenate([base, base, np.repeat(base[:1], 6, axis=0)])
    k = 4
    distances, indices = nearest_neighbors(x, k, exclude_self=True, backend=backend)
    own = np.arange(len(x))[:, None]
    assert not (indices.numpy() == own).any()
    assert_tie_aware(brute_force(x, exclude_self=True), distances, indices, k, atol=1e-4)
    # a duplicated point finds its copy at distance 0
    assert torch.allclose(distances[:30, 0], torch.zeros(30), atol=1e-4)


def test_backends_agree_without_ties():
    x = torch.from_numpy(np.random.default_rng(5).normal(size=(400, 12)).astype(np.float32))
    for loop in (False, True):
        faiss_edges, faiss_dist = knn_graph(x, 7, loop=loop, backend="faiss")
        torch_edges, torch_dist = knn_graph(x, 7, loop=loop, backend="torch")
        assert torch.equal(faiss_edges[1], torch_edges[1])
        sets_f = faiss_edges[0].view(400, 7).sort(1).values
        sets_t = torch_edges[0].view(400, 7).sort(1).values
        assert torch.equal(sets_f, sets_t)
        torch.testing.assert_close(faiss_dist, torch_dist, rtol=1e-4, atol=1e-4)


def test_backends_agree_with_ties():
    grid = np.stack(np.meshgrid(np.arange(6), np.arange(6)), -1).reshape(-1, 2)
    x = np.concatenate([grid, grid[:10]]).astype(np.float32)  # lattice ties and duplicates
    reference = brute_force(x, exclude_self=True)
    for backend in BACKENDS:
        edges, distances = knn_graph(x, 5, backend=backend)
        neighbors = edges[0].view(len(x), 5)
        assert_tie_aware(reference, distances.view(len(x), 5), neighbors, 5, atol=1e-5)


def test_knn_graph_follows_pyg_direction():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]])
    edge_index, distances = knn_graph(x, 1)
    # edge_index[0] = neighbour (source), edge_index[1] = centre (target)
    assert edge_index.tolist() == [[1, 0, 1, 2], [0, 1, 2, 3]]
    assert distances.tolist() == [1.0, 1.0, 4.0, 16.0]
    edge_index, _ = knn_graph(x, 2, loop=True)
    assert edge_index[0, ::2].tolist() == [0, 1, 2, 3]


def test_pyg_knn_graph_convention():
    torch_geometric = pytest.importorskip("torch_geometric")
    if not torch_geometric.typing.WITH_KNN:
        pytest.skip("torch_geometric.nn.knn_graph needs pyg-lib")
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    ours, _ = knn_graph(x, 4)
    theirs = torch_geometric.nn.knn_graph(x, 4)
    assert set(map(tuple, ours.t().tolist())) == set(map(tuple, theirs.t().tolist()))


@pytest.mark.parametrize("index", ["hnsw", "ivf"])
@pytest.mark.parametrize("metric", ["l2", "cosine"])
def test_approximate_indexes_have_high_recall(index, metric):
    x = np.random.default_rng(2).normal(size=(600, 8)).astype(np.float32)
    distances, indices = nearest_neighbors(x, 5, metric=metric, exclude_self=True, index=index)
    expected = np.argsort(brute_force(x, metric=metric, exclude_self=True), 1)[:, :5]
    hits = sum(len(set(a) & set(b)) for a, b in zip(indices.numpy(), expected, strict=True))
    assert hits / expected.size > 0.9
    assert not (indices.numpy() == np.arange(600)[:, None]).any()


def test_numpy_input_and_no_gradient():
    x = np.random.default_rng(0).normal(size=(20, 3))
    distances, indices = nearest_neighbors(x, 3)
    assert isinstance(distances, torch.Tensor) and isinstance(indices, torch.Tensor)
    assert indices[:, 0].tolist() == list(range(20))  # without exclusion, self comes first
    leaf = torch.tensor(x, requires_grad=True)
    distances, _ = nearest_neighbors(leaf, 3, backend="torch")
    assert not distances.requires_grad


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(k=10, exclude_self=True), ValueError, "k must be at most 9"),
        (dict(k=11), ValueError, "k must be at most 10"),
        (dict(k=0), ValueError, "positive integer"),
        (dict(k=2.0), ValueError, "positive integer"),
        (dict(k=2, metric="manhattan"), ValueError, "metric"),
        (dict(k=2, backend="annoy"), ValueError, "backend"),
        (dict(k=2, index="lsh"), ValueError, "index"),
        (dict(k=2, index="hnsw", backend="torch"), ValueError, "faiss"),
        (dict(k=2, chunk_size=0), ValueError, "chunk_size"),
        (dict(k=2, y=torch.zeros(5, 4)), ValueError, "same number of columns"),
        (dict(k=2, y=torch.zeros(5, 3), exclude_self=True), ValueError, "y=None"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    x = torch.randn(10, 3)
    with pytest.raises(error, match=match):
        nearest_neighbors(x, **kwargs)


def test_bad_points():
    with pytest.raises(ValueError, match="NaN"):
        nearest_neighbors(torch.tensor([[0.0, float("nan")], [1.0, 1.0]]), 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        nearest_neighbors(torch.tensor([[0.0, float("inf")], [1.0, -float("inf")]]), 1)
    huge = torch.full((4, 2), 3e38)  # finite, though its sum overflows
    assert nearest_neighbors(huge, 1, backend="torch")[1].shape == (4, 1)
    with pytest.raises(ValueError, match=r"shape \[n, d\]"):
        nearest_neighbors(torch.zeros(5), 1)
    with pytest.raises(TypeError, match="floating-point"):
        nearest_neighbors(torch.zeros(5, 2, dtype=torch.int64), 1)
    with pytest.raises(TypeError, match="numpy array"):
        nearest_neighbors([[0.0, 1.0]], 1)
