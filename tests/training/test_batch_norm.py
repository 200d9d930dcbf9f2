"""Batch-norm statistics recomputed on the training data after training."""

import numpy as np
import pytest
import torch
from torch import nn

import mvgraph
from mvgraph.training import batch_norm_layers, recalibrate_batch_norm


def _network() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(5, 8), nn.ReLU(), nn.BatchNorm1d(8), nn.Linear(8, 6), nn.BatchNorm1d(6)
    )


def _stale(net: nn.Sequential) -> nn.Sequential:
    """Running statistics far from any data's."""
    for layer in batch_norm_layers(net):
        layer.running_mean.fill_(3.0)
        layer.running_var.fill_(0.01)
    return net


def _forward(net):
    return lambda batch: net(batch.views[0])


def test_one_chunk_gives_the_full_data_statistics():
    x = torch.randn(50, 5, dtype=torch.float64) * 2 + 1
    net = _stale(_network().double())
    assert recalibrate_batch_norm(net, _forward(net), [x])
    assert not net.training
    first, second = batch_norm_layers(net)
    h = torch.relu(net[0](x))
    torch.testing.assert_close(first.running_mean, h.mean(0))
    torch.testing.assert_close(first.running_var, h.var(0, unbiased=True))
    u = net[3]((h - h.mean(0)) / torch.sqrt(h.var(0, unbiased=False) + first.eps)
               * first.weight + first.bias)
    torch.testing.assert_close(second.running_mean, u.mean(0))
    torch.testing.assert_close(second.running_var, u.var(0, unbiased=True))


def test_evaluation_mode_then_computes_the_full_batch_training_output():
    x = torch.randn(400, 5, dtype=torch.float64)
    net = _stale(_network().double())
    with torch.no_grad():
        stale = net.eval()(x)
        recalibrate_batch_norm(net, _forward(net), [x])
        evaluated = net(x)
        for layer in batch_norm_layers(net):
            layer.momentum = 0.0  # a training-mode pass that leaves the statistics alone
        trained = net.train()(x)
    # running variances are unbiased, training normalises with the biased ones (n = 400)
    torch.testing.assert_close(evaluated, trained, rtol=3e-3, atol=1e-6)
    assert (stale - trained).abs().max() > 1.0


def test_chunks_average_to_the_data_statistics():
    x = torch.randn(1000, 5, dtype=torch.float64)
    net = _stale(_network().double())
    recalibrate_batch_norm(net, _forward(net), [x], chunk_rows=100,
                           generator=torch.Generator().manual_seed(0))
    first = batch_norm_layers(net)[0]
    h = torch.relu(net[0](x))
    torch.testing.assert_close(first.running_mean, h.mean(0))
    # the average within-chunk variance misses only the spread of the chunk means
    torch.testing.assert_close(first.running_var, h.var(0), rtol=0.05, atol=0)
    assert first.momentum == 0.1


def test_every_chunk_has_two_rows_or_more():
    sizes = []
    net = _network()
    recalibrate_batch_norm(net, lambda batch: sizes.append(len(batch)) or net(batch.views[0]),
                           [torch.randn(3, 5)], chunk_rows=2)
    assert sizes == [3]


def test_a_network_without_batch_norm_is_not_run():
    calls = []
    net = nn.Linear(5, 2)
    assert not recalibrate_batch_norm(net, calls.append, [torch.randn(10, 5)])
    assert calls == []


@pytest.mark.parametrize("chunk_rows, n", [(1, 10), (4, 1)])
def test_too_few_rows_are_refused(chunk_rows, n):
    net = _network()
    with pytest.raises(ValueError, match="chunk_rows|at least 2 samples"):
        recalibrate_batch_norm(net, _forward(net), [torch.randn(n, 5)], chunk_rows=chunk_rows)


def test_conan_labels_come_from_the_trained_network_statistics():
    data = mvgraph.make_multiview_blobs(n_views=2, n_samples=300, n_clusters=3, dims=(6, 5),
                                        random_state=0)
    model = mvgraph.CONAN(n_clusters=3, epochs=3, random_state=0).fit(data)
    views = [torch.as_tensor(v, dtype=torch.float32)
             for v in model.scaler_.transform(data.views)]
    fusion_norm = next(layer for layer in model.model_.fusion.modules()
                       if isinstance(layer, nn.BatchNorm1d))
    with torch.no_grad():
        h = [encoder(v) for encoder, v in zip(model.model_.encoders, views)]
        pre = model.model_.fusion.layers[:2](torch.cat(h, dim=1))  # Linear, ReLU
    torch.testing.assert_close(fusion_norm.running_mean, pre.mean(0), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(fusion_norm.running_var, pre.var(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.predict(data), model.labels_)


def test_batch_carries_the_chunk_index():
    seen = []
    net = _network()
    recalibrate_batch_norm(net, lambda b: seen.append(b.index) or net(b.views[0]),
                           [torch.randn(9, 5)], chunk_rows=4)
    assert sorted(torch.cat(seen).tolist()) == list(range(9))
