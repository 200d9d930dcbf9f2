import math

import pytest
import torch

from mvgraph.losses import anchor_entropy, mutual_information


def _dense_entropy(z: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    kernel = 1.0 / (1.0 + ((z[:, None, :] - u[None, :, :]) ** 2).sum(-1))
    q = kernel / kernel.sum(1, keepdim=True)
    return -(q * q.log()).sum(1).mean()


def test_anchor_entropy_matches_dense_float64_reference():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(7, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    u = torch.randn(4, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    value = anchor_entropy(z, u)
    reference = _dense_entropy(z, u)
    torch.testing.assert_close(value, reference, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(value, (z, u))
    expected = torch.autograd.grad(reference, (z, u))
    for got, want in zip(grads, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_anchor_entropy_is_log_m_when_everything_collapses():
    z = torch.full((9, 5), 0.3)
    u = torch.full((6, 5), -0.2)
    torch.testing.assert_close(anchor_entropy(z, u), torch.tensor(math.log(6)))


def test_anchor_entropy_rejects_mismatched_widths():
    with pytest.raises(ValueError, match="share their width d"):
        anchor_entropy(torch.zeros(3, 2), torch.zeros(4, 3))


def test_mutual_information_independent_and_identical():
    c = 4
    generator = torch.Generator().manual_seed(1)
    same_row = torch.softmax(torch.randn(1, c, generator=generator), 1).repeat(50, 1)
    assert abs(float(mutual_information(same_row, same_row))) < 1e-6
    one_hot = torch.eye(c).repeat(5, 1)
    torch.testing.assert_close(mutual_information(one_hot, one_hot), torch.tensor(math.log(c)))
    hard_a = torch.eye(c)[torch.randint(c, (20000,), generator=generator)]
    hard_b = torch.eye(c)[torch.randint(c, (20000,), generator=generator)]
    assert float(mutual_information(hard_a, hard_b)) < 1e-3


def test_mutual_information_has_a_gradient():
    logits = torch.randn(30, 3, requires_grad=True)
    other = torch.softmax(torch.randn(30, 3), 1)
    mutual_information(torch.softmax(logits, 1), other).backward()
    assert logits.grad.abs().sum() > 0
