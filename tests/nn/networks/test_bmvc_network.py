import torch

from mvgraph.graphs import GraphBlocks, can_weights, unit_diagonal_can_graph
from mvgraph.losses import reconstruction_loss, vcr_loss
from mvgraph.nn.networks import BMvCNetwork


def dense(edge_index, edge_weight, n):
    out = torch.zeros(n, n, dtype=edge_weight.dtype)
    return out.index_put((edge_index[1], edge_index[0]), edge_weight, accumulate=True)


def test_terms_match_a_dense_computation_of_the_loss():
    torch.manual_seed(0)
    dims = [9, 5]
    model = BMvCNetwork(dims, 3).double()
    views = [torch.rand(50, d, dtype=torch.float64) for d in dims]
    graphs = [GraphBlocks(*unit_diagonal_can_graph(v, 6), 50).block(torch.arange(50))
              for v in views]
    terms = model.terms(views, graphs, k=6, vcr_weight=2.5)
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
    full = model.terms(views, [b.block(everything) for b in blocks], k=5, vcr_weight=10.0)
    order = torch.randperm(64)
    batch = model.terms([v[order] for v in views], [b.block(order) for b in blocks], k=5,
                        vcr_weight=10.0)
    assert set(full) == {"reconstruction", "vcr"} == set(batch)
    for name in full:
        torch.testing.assert_close(batch[name], full[name], rtol=1e-5, atol=1e-6)
