import numpy as np
import pytest
import torch
from conftest import floor_accuracies, load_or_skip
from sklearn.base import clone

from mvgraph.data import make_multiview_blobs
from mvgraph.graphs import GraphBlocks, can_weights
from mvgraph.losses import reconstruction_loss, vcr_loss
from mvgraph.metrics import evaluate
from mvgraph.models import METHODS, BMvC
from mvgraph.models.bmvc import (
    BMvCNetwork,
    average_graphs,
    bmvc_terms,
    unit_diagonal_can,
    unit_diagonal_can_graph,
)

FAST = dict(epochs=30, k=8, eval_every=0)


@pytest.fixture(scope="module")
def blobs():
    return make_multiview_blobs(
        n_samples=120, n_views=2, n_clusters=3, dims=[12, 8], noise=0.05, random_state=0
    )


def dense(edge_index, edge_weight, n):
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
    np.testing.assert_allclose(dense(edge_index, edge_weight, 50).numpy(), expected, atol=2e-6)
    keys = edge_index[0] * 50 + edge_index[1]
    assert bool((keys[1:] > keys[:-1]).all())  # coalesced


def test_joint_graph_is_the_symmetrised_can_graph_with_unit_diagonal():
    x = torch.randn(40, 6, dtype=torch.float64, requires_grad=True)
    edge_index, edge_weight = unit_diagonal_can(x, 5)
    keys = edge_index[0] * 40 + edge_index[1]
    assert keys.unique().numel() == keys.numel()  # every pair once
    p = can_weights(x, 5, cutoff="kth")
    expected = (0.5 * (p + p.T)).fill_diagonal_(1.0)
    got = dense(edge_index, edge_weight, 40)
    torch.testing.assert_close(got, expected)
    np.testing.assert_allclose(got.detach().numpy(), reference_graph(x.detach(), 5), atol=1e-12)
    probe = torch.randn(40, 40, dtype=torch.float64)
    grad = torch.autograd.grad((got * probe).sum(), x)[0]
    torch.testing.assert_close(grad, torch.autograd.grad((expected * probe).sum(), x)[0])
    assert grad.abs().sum() > 0  # the gradient reaches F through the graph


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


def test_terms_match_a_dense_computation_of_the_loss():
    torch.manual_seed(0)
    dims = [9, 5]
    model = BMvCNetwork(dims, 3).double()
    views = [torch.rand(50, d, dtype=torch.float64) for d in dims]
    graphs = [GraphBlocks(*unit_diagonal_can_graph(v, 6), 50).block(torch.arange(50))
              for v in views]
    terms = bmvc_terms(model, views, graphs, k=6, vcr_weight=2.5)
    codes, joint = model(views)
    p = can_weights(joint, 6, cutoff="kth")
    joint_graph = (0.5 * (p + p.T)).fill_diagonal_(1.0)
    vcr = sum(
        vcr_loss(projection(z), 0.5 * (dense(*graph, 50) + joint_graph))
        for projection, z, graph in zip(model.projections, codes, graphs)
    )
    torch.testing.assert_close(terms["vcr"], 2.5 * vcr)
    rebuilt = model.autoencoders.decode(joint)
    torch.testing.assert_close(terms["reconstruction"], reconstruction_loss(rebuilt, views))


def test_batch_of_all_rows_gives_the_full_batch_loss():
    torch.manual_seed(1)
    dims = [10, 6, 4]
    model = BMvCNetwork(dims, 4)
    views = [torch.rand(64, d) for d in dims]
    blocks = [GraphBlocks(*unit_diagonal_can_graph(v, 5), 64) for v in views]
    everything = torch.arange(64)
    full = bmvc_terms(model, views, [b.block(everything) for b in blocks], k=5,
                      vcr_weight=10.0)
    order = torch.randperm(64)
    batch = bmvc_terms(model, [v[order] for v in views], [b.block(order) for b in blocks],
                       k=5, vcr_weight=10.0)
    assert set(full) == {"reconstruction", "vcr"} == set(batch)
    for name in full:
        torch.testing.assert_close(batch[name], full[name], rtol=1e-5, atol=1e-6)


def test_fit_clusters_blobs_and_predicts(blobs):
    model = BMvC(3, random_state=0, **FAST).fit(blobs)
    assert evaluate(blobs.labels, model.labels_)["acc"] >= floor_accuracies(blobs, [0])[0] - 0.05
    assert model.embedding_.shape == (120, 96) and model.batch_size_ is None
    assert len(model.history_) == FAST["epochs"]
    assert {"reconstruction", "vcr", "loss"} <= set(model.history_[-1])
    np.testing.assert_array_equal(model.predict(blobs), model.labels_)
    again = BMvC(3, random_state=0, **FAST).fit(blobs)
    np.testing.assert_array_equal(again.labels_, model.labels_)


def test_minibatches_train(blobs):
    fast = {**FAST, "epochs": 8}
    model = BMvC(3, batch_size=50, random_state=0, **fast).fit(blobs)
    # 120 = 2 * 50 + 20 and 20 >= max(k + 1, c): the short batch is kept
    assert model.batch_size_ == 50 and np.isfinite(model.history_[-1]["loss"])
    auto = BMvC(3, full_batch_max_samples=100, minibatch_size=60, random_state=0, **fast)
    assert auto.fit(blobs).batch_size_ == 60


@pytest.mark.parametrize("fusion", ["average", "weighted"])
def test_fusion_variants_train(blobs, fusion):
    model = BMvC(3, fusion=fusion, random_state=0, **FAST).fit(blobs)
    assert model.model_.fusion.mode == fusion
    assert evaluate(blobs.labels, model.labels_)["acc"] > 0.6


def test_ablations_remove_exactly_their_part(blobs):
    rec = BMvC(3, vcr=False, random_state=0, **FAST).fit(blobs)
    assert rec.model_.projections is None and "vcr" not in rec.history_[-1]
    only_vcr = BMvC(3, reconstruction=False, random_state=0, **FAST).fit(blobs)
    assert only_vcr.model_.autoencoders.decoders is None
    assert "reconstruction" not in only_vcr.history_[-1] and "vcr" in only_vcr.history_[-1]
    assert not any("decoders" in name for name, _ in only_vcr.model_.named_parameters())


def test_parameters_are_validated_and_cloned(blobs):
    model = BMvC(3, vcr_weight=1.0, hidden=(32, 16), fusion="average", random_state=1)
    assert clone(model).get_params() == model.get_params()
    assert METHODS["bmvc"] is BMvC and model.scaler_method == "minmax"
    for bad, match in (
        (dict(vcr_weight=-1.0), "vcr_weight"),
        (dict(k=0), "k must be"),
        (dict(k=200), "rows per batch"),
        (dict(batch_size=5), "rows per batch"),
        (dict(batch_size="large"), "batch_size"),
        (dict(fusion="max"), "fusion"),
        (dict(cutoff="median"), "cutoff"),
        (dict(hidden=(32, 0)), "hidden"),
        (dict(reconstruction=False, vcr=False), "at least one loss term"),
        (dict(lr=0.0), "lr"),
    ):
        with pytest.raises(ValueError, match=match):
            BMvC(3, **{**FAST, **bad}).fit(blobs)


@pytest.mark.slow
def test_cub_reaches_the_published_accuracy_over_five_seeds():
    data = load_or_skip("cub")
    accs = [evaluate(data.labels, BMvC(data.n_classes, random_state=seed).fit(data).labels_)
            ["acc"] for seed in range(5)]
    assert np.mean(accs) >= 0.8667 - 0.01, accs  # bench: 86.27 ± 2.23 (seeds 2, 3: 84.7, 83.0)
