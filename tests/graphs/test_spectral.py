"""The fused anchor-graph spectral embedding against dense float64 references."""

import numpy as np
import pytest
import torch

from mvgraph.graphs import AnchorRows, anchor_graph, anchor_spectral_embedding, select_anchors
from mvgraph.graphs.spectral import _smoothness_weights, leading_eigenpairs


def two_view_rows(n=80, m=(12, 9), k=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.repeat(rng.normal(scale=4.0, size=(3, 5)), n // 3 + 1, axis=0)[:n]
    rows = []
    for v, anchors in enumerate(m):
        x = torch.from_numpy(centres @ rng.normal(size=(5, 6 + v)) + rng.normal(size=(n, 6 + v)))
        anchors = select_anchors(x, anchors, random_state=v)
        rows.append(AnchorRows.from_graph(anchor_graph(x, anchors, k)))
    return rows


def dense(view: AnchorRows) -> np.ndarray:
    s = np.zeros((view.anchors.shape[0], view.n_anchors))
    np.add.at(s, (np.arange(len(s))[:, None].repeat(view.anchors.shape[1], 1),
                  view.anchors.numpy()), view.weights.double().numpy())
    return s


def dense_graph(rows, weights) -> np.ndarray:
    graph = 0
    for view, w in zip(rows, weights):
        s = dense(view)
        degree = s.sum(0)
        inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
        graph = graph + w * (s * inverse) @ s.T
    return graph


def test_the_embedding_spans_the_leading_eigenvectors_of_the_dense_fused_graph():
    rows = two_view_rows()
    embedding, result = anchor_spectral_embedding(rows, 4)
    graph = dense_graph(rows, [0.5, 0.5])
    np.testing.assert_allclose(graph.sum(1), 1.0, atol=1e-9)  # its own normalised adjacency
    values, vectors = np.linalg.eigh(graph)
    reference = vectors[:, ::-1][:, :4]
    np.testing.assert_allclose(result.eigenvalues.numpy(), values[::-1][:4], atol=1e-9)
    u = embedding.double().numpy()
    np.testing.assert_allclose(u.T @ u, np.eye(4), atol=1e-5)
    # the same subspace: equal projections (eigenvectors are defined up to a rotation)
    np.testing.assert_allclose(u @ u.T, reference @ reference.T, atol=1e-5)
    # the training rows through the maps give the embedding back
    torch.testing.assert_close(result.transform(rows), embedding)


def test_smoothness_weights_follow_amgl():
    rows = two_view_rows(seed=1)
    u, _ = anchor_spectral_embedding(rows, 5)  # 3 clusters: two rough components
    scales = [torch.from_numpy(np.where(dense(v).sum(0) > 0, dense(v).sum(0), np.inf) ** -0.5)
              for v in rows]
    energies = [np.trace(u.double().numpy().T @ (np.eye(len(u)) - dense_graph([v], [1.0]))
                         @ u.double().numpy()) for v in rows]
    expected = 1 / np.sqrt(energies)
    weights = _smoothness_weights(rows, scales, u).numpy()
    np.testing.assert_allclose(weights, expected / expected.sum(), rtol=1e-6)
    _, learned = anchor_spectral_embedding(rows, 3, weights="smoothness")
    assert learned.weights.sum().item() == pytest.approx(1.0)
    graph = dense_graph(rows, learned.weights.numpy())
    values = np.linalg.eigvalsh(graph)[::-1][:3]
    np.testing.assert_allclose(learned.eigenvalues.numpy(), values, atol=1e-9)


def test_lanczos_finds_the_leading_eigenpairs_of_a_large_gram():
    rng = np.random.default_rng(2)
    basis = np.linalg.qr(rng.normal(size=(700, 700)))[0]
    spectrum = np.concatenate([[1.0, 0.99, 0.97, 0.9, 0.8], rng.uniform(0, 0.5, 695)])
    matrix = torch.from_numpy((basis * spectrum) @ basis.T)
    values, vectors = leading_eigenpairs(matrix, 5)
    np.testing.assert_allclose(values.numpy(), spectrum[:5], atol=1e-9)
    np.testing.assert_allclose(np.abs(np.sum(vectors.numpy() * basis[:, :5], 0)), 1.0,
                               atol=1e-8)


def test_bad_arguments_are_refused_by_name():
    rows = two_view_rows()
    with pytest.raises(ValueError, match=r"n_components must be an integer in \[1, 21\]"):
        anchor_spectral_embedding(rows, 22)
    with pytest.raises(ValueError, match="weights must be one of uniform, smoothness"):
        anchor_spectral_embedding(rows, 2, weights="learned")
    with pytest.raises(ValueError, match="rows must cover the same samples"):
        anchor_spectral_embedding([rows[0], two_view_rows(n=60)[1]], 2)
    with pytest.raises(ValueError, match="rows must hold one anchor graph per view"):
        anchor_spectral_embedding(rows, 2)[1].transform(rows[:1])


def test_a_view_graph_over_its_present_samples_is_the_subset_graph_scattered():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(30, 4, generator=generator)
    present = torch.tensor([0, 2, 3, 7, 8, 11, 15, 16, 20, 21, 25, 29])
    anchors = x[present][:5]
    subset = AnchorRows.from_points(x[present], anchors, 3)
    full = subset.scatter(present, 30)
    assert full.anchors.shape == (30, 3) and full.n_anchors == 5
    torch.testing.assert_close(full.weights[present], subset.weights, rtol=0, atol=0)
    assert torch.equal(full.anchors[present], subset.anchors)
    absent = torch.ones(30, dtype=torch.bool)
    absent[present] = False
    assert bool((full.weights[absent] == 0).all())
    torch.testing.assert_close(full.degree(), subset.degree())  # absent samples add nothing
    p = torch.randn(5, 2, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(full.multiply(p)[present], subset.multiply(p))
    torch.testing.assert_close(full.pool(torch.ones(30, 2)), subset.pool(torch.ones(12, 2)))
