import numpy as np
import pytest
import torch
from torch_geometric.nn import Sequential

from mvgraph.graphs import anchor_graph
from mvgraph.nn import AGCNConv


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(200, 5)))
    anchors = torch.from_numpy(rng.normal(size=(15, 5)))
    anchors[-1] = 50.0  # an anchor of degree 0
    graph = anchor_graph(x, anchors, 4)
    s = graph.to_sparse().to_dense()
    degree = s.sum(0)
    inverse = torch.where(degree > 0, 1 / torch.where(degree > 0, degree, 1.0), 0.0)
    a_hat = inverse[:, None] * (s.t() @ s)  # D^-1 S^T S in float64
    features = torch.from_numpy(rng.normal(size=(15, 6)))
    return graph, a_hat, features


def graph_inputs(graph):
    adjacency = graph.anchor_adjacency()
    return {
        "sparse": (adjacency,),
        "edge_index": (adjacency.indices().flip(0), adjacency.values()),
        "anchor_graph": (graph,),
    }


@pytest.mark.parametrize("form", ["sparse", "edge_index", "anchor_graph"])
@pytest.mark.parametrize("bias", [False, True])
def test_matches_dense_formula(setup, form, bias):
    graph, a_hat, features = setup
    conv = AGCNConv(6, 3, bias=bias).double()
    if bias:
        torch.nn.init.normal_(conv.bias)
    out = conv(features, *graph_inputs(graph)[form])
    expected = a_hat @ features @ conv.lin.weight.t()
    if bias:
        expected = expected + conv.bias
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert conv.lin.weight.grad is not None


@pytest.mark.parametrize("form", ["sparse", "anchor_graph"])
def test_sparse_input_takes_the_fused_path(setup, form, monkeypatch):
    graph, a_hat, features = setup
    conv = AGCNConv(6, 3).double()
    fused = []
    conv.register_message_and_aggregate_forward_hook(lambda *args: fused.append(True))

    def edgewise(*args, **kwargs):
        raise AssertionError("message() must not run for a sparse adjacency")

    monkeypatch.setattr(conv, "message", edgewise)
    out = conv(features, *graph_inputs(graph)[form])
    assert fused == [True] * (1 if form == "sparse" else 2)
    torch.testing.assert_close(out, a_hat @ features @ conv.lin.weight.t())


def test_edge_list_takes_the_message_path(setup):
    graph, _, features = setup
    conv = AGCNConv(6, 3).double()
    messages = []
    conv.register_message_forward_hook(lambda *args: messages.append(True))
    conv(features, *graph_inputs(graph)["edge_index"])
    assert messages == [True]


def test_gradient_reaches_edge_weights(setup):
    graph, _, features = setup
    weight = graph.edge_weight.clone().requires_grad_()
    rebuilt = type(graph)(graph.edge_index, weight, graph.size)
    conv = AGCNConv(6, 2).double()
    conv(features, rebuilt).pow(2).sum().backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    weight.grad = None
    conv(features, rebuilt.anchor_adjacency()).pow(2).sum().backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0


@pytest.mark.parametrize("form", ["sparse", "anchor_graph"])
def test_sequential_stack(setup, form):
    graph, a_hat, features = setup
    model = Sequential(
        "x, adj",
        [
            (AGCNConv(6, 8), "x, adj -> x"),
            torch.nn.ReLU(),
            (AGCNConv(8, 2, bias=True), "x, adj -> x"),
        ],
    ).double()
    adj = graph_inputs(graph)[form][0]
    out = model(features, adj)
    first, last = model[0], model[2]
    hidden = torch.relu(a_hat @ features @ first.lin.weight.t())
    expected = a_hat @ hidden @ last.lin.weight.t() + last.bias
    torch.testing.assert_close(out, expected)


def test_reset_parameters_and_repr():
    conv = AGCNConv(4, 7, bias=True)
    before = conv.lin.weight.detach().clone()
    torch.nn.init.ones_(conv.bias)
    conv.reset_parameters()
    assert not torch.equal(before, conv.lin.weight)
    assert torch.equal(conv.bias, torch.zeros(7))
    assert repr(conv) == "AGCNConv(4, 7, bias=True)"
    assert repr(AGCNConv(3, 2)) == "AGCNConv(3, 2, bias=False)"


def test_anchor_count_mismatch(setup):
    graph, _, _ = setup
    with pytest.raises(ValueError, match="m = 15"):
        AGCNConv(6, 3).double()(torch.randn(14, 6, dtype=torch.float64), graph)
