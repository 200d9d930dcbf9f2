import torch

from mvgraph.nn import AnchorPerturbation


def test_anchor_perturbation_normalises_resamples_and_trains():
    torch.manual_seed(0)
    layer = AnchorPerturbation(8)
    initial = torch.randn(10, 8, requires_grad=True)
    out = layer(initial)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(10))
    assert not torch.allclose(out, layer(initial))
    torch.manual_seed(5)
    first = layer(initial)
    torch.manual_seed(5)
    torch.testing.assert_close(first, layer(initial))
    (out @ torch.randn(8)).sum().backward()
    for parameter in (layer.mu.weight, layer.sigma.weight, layer.mu_activation.weight):
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0
    assert initial.grad is None
