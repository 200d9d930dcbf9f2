import pytest
import torch

from mvgraph.losses import stop_gradient_cosine


def test_stop_gradient_cosine_sends_no_gradient_to_the_target():
    online = torch.randn(5, 4, requires_grad=True)
    target = torch.randn(5, 4, requires_grad=True)
    value = stop_gradient_cosine(online, target)
    expected = -torch.nn.functional.cosine_similarity(online, target, dim=1).mean()
    torch.testing.assert_close(value, expected)
    value.backward()
    assert target.grad is None and online.grad.abs().sum() > 0
    assert float(stop_gradient_cosine(target, target)) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="same shape"):
        stop_gradient_cosine(torch.randn(5, 4), torch.randn(5, 3))
