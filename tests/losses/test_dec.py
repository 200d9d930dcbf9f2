import math

import pytest
import torch

from mvgraph.losses import dec_loss, dec_target, student_t_assignment


def test_student_t_assignment_matches_the_formula():
    generator = torch.Generator().manual_seed(1)
    z = torch.randn(6, 3, dtype=torch.float64, generator=generator)
    mu = torch.randn(4, 3, dtype=torch.float64, generator=generator)
    for alpha in (1.0, 2.5):
        q = student_t_assignment(z, mu, alpha)
        kernel = (1 + ((z[:, None] - mu[None]) ** 2).sum(-1) / alpha) ** (-(alpha + 1) / 2)
        torch.testing.assert_close(q, kernel / kernel.sum(1, keepdim=True))
    with pytest.raises(ValueError, match="share their width d"):
        student_t_assignment(z, torch.randn(4, 2, dtype=torch.float64))


def test_dec_target_rows_sum_to_one_and_sharpen():
    generator = torch.Generator().manual_seed(2)
    q = torch.softmax(torch.randn(50, 5, dtype=torch.float64, generator=generator), dim=1)
    p = dec_target(q)
    torch.testing.assert_close(p.sum(1), torch.ones(50, dtype=torch.float64))
    f = q.sum(0)
    expected = (q**2 / f) / (q**2 / f).sum(1, keepdim=True)
    torch.testing.assert_close(p, expected)
    # Sharper than q: the most likely cluster of each row gains probability (balanced f).
    balanced = torch.softmax(torch.randn(4, 4, dtype=torch.float64, generator=generator), 1)
    balanced = torch.cat([balanced.roll(s, dims=1) for s in range(4)])
    assert (dec_target(balanced).max(1).values >= balanced.max(1).values - 1e-12).all()


def test_dec_loss_is_the_row_mean_kl_with_a_fixed_target():
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(8, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    q = torch.softmax(logits, 1)
    p = dec_target(q).detach()
    qd = q.detach()
    loop = sum(float(p[i, j] * math.log(p[i, j] / qd[i, j])) for i in range(8) for j in range(3))
    value = dec_loss(q)
    assert float(value) == pytest.approx(loop / 8, rel=1e-10)
    (grad,) = torch.autograd.grad(value, logits, retain_graph=True)
    (expected,) = torch.autograd.grad(-(p * q.log()).sum() / 8, logits)
    torch.testing.assert_close(grad, expected)
