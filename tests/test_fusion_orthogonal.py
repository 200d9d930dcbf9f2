import pytest
import torch

from mvgraph.nn import OrthogonalProjection, ViewFusion


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


def test_view_fusion_modes():
    torch.manual_seed(0)
    codes = [torch.randn(6, 4) for _ in range(3)]
    concat = ViewFusion(3, 4, 5)
    torch.testing.assert_close(concat(codes), concat.linear(torch.cat(codes, 1)))
    assert concat.gate is None and concat.linear.in_features == 12

    average = ViewFusion(3, 4, 5, mode="average")
    torch.testing.assert_close(average(codes), average.linear(sum(codes) / 3))

    weighted = ViewFusion(3, 4, 5, mode="weighted")
    weights = torch.softmax(weighted.gate(torch.cat(codes, 1)), dim=1)
    mixed = sum(weights[:, v : v + 1] * codes[v] for v in range(3))
    torch.testing.assert_close(weighted(codes), weighted.linear(mixed))


def test_view_fusion_validates():
    with pytest.raises(ValueError, match="mode must be one of"):
        ViewFusion(2, 4, 5, mode="max")
    fusion = ViewFusion(2, 4, 5)
    with pytest.raises(ValueError, match="one tensor per view"):
        fusion([torch.zeros(3, 4)])
    with pytest.raises(ValueError, match=r"codes\[1\] must have shape"):
        fusion([torch.zeros(3, 4), torch.zeros(3, 2)])
