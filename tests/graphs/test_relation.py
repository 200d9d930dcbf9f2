import numpy as np
import pytest
import torch

from mvgraph.graphs import gaussian_relation


@pytest.mark.parametrize("b, d, sigma", [(1, 3, 1.0), (7, 2, 0.5), (50, 16, 4.0)])
def test_matches_direct_exponential(b, d, sigma):
    z = np.random.default_rng(b).normal(size=(b, d))
    expected = np.exp(-((z[:, None, :] - z[None, :, :]) ** 2).sum(-1) / sigma)
    relation = gaussian_relation(torch.from_numpy(z), sigma)
    np.testing.assert_allclose(relation.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert (relation.diagonal() == 1).all()


def test_float32_far_from_origin():
    z = 1e3 + torch.randn(20, 8, generator=torch.Generator().manual_seed(0))
    z = torch.cat([z, z[:3]])  # three duplicated rows
    relation = gaussian_relation(z, 2.0)
    expected = torch.exp(-torch.cdist(z.double(), z.double()).pow(2) / 2.0)
    torch.testing.assert_close(relation.double(), expected, atol=1e-4, rtol=0)
    assert (relation.diagonal() == 1).all() and (relation <= 1).all()
    assert torch.equal(relation, relation.t())
    assert (relation[20:, :3].diagonal() > 0.9999).all()


def test_gradient():
    z = torch.from_numpy(np.random.default_rng(0).normal(size=(6, 3))).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: gaussian_relation(t, 1.5), (z,))


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        gaussian_relation(torch.randn(4, 2), sigma)


def test_bad_input():
    with pytest.raises(TypeError, match="sigma"):
        gaussian_relation(torch.randn(4, 2), "wide")
    with pytest.raises(ValueError, match="NaN"):
        gaussian_relation(torch.tensor([[float("inf"), 0.0]]))
    with pytest.raises(ValueError, match="shape"):
        gaussian_relation(torch.randn(4))
