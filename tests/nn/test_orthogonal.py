import pytest
import torch

from mvgraph.nn import OrthogonalProjection


def test_orthogonal_projection_gives_orthonormal_columns():
    torch.manual_seed(0)
    layer = OrthogonalProjection(16, 5)
    z = torch.randn(40, 16, requires_grad=True)
    q = layer(z)
    assert q.shape == (40, 5)
    torch.testing.assert_close(q.T @ q, torch.eye(5), atol=1e-5, rtol=0)
    # Q spans the columns of the linear projection
    y = layer.linear(z)
    torch.testing.assert_close(q @ (q.T @ y), y, atol=1e-4, rtol=1e-4)
    (q[:, 0] * torch.arange(40.0)).sum().backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert layer.linear.weight.grad.abs().sum() > 0


def test_orthogonal_projection_validates():
    with pytest.raises(ValueError, match="out_features"):
        OrthogonalProjection(4, 0)
    with pytest.raises(ValueError, match="at least out_features=5 rows"):
        OrthogonalProjection(4, 5)(torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"shape \[B, 4\]"):
        OrthogonalProjection(4, 2)(torch.randn(3, 5))
