import math

import pytest
import torch

from mvgraph.losses import cs_divergence, ddc_kernel, ddc_loss, ddc_terms


def _dense_kernel(h: torch.Tensor, rel_sigma: float) -> torch.Tensor:
    n = h.shape[0]
    d = torch.tensor([[float(((h[i] - h[j]) ** 2).sum()) for j in range(n)] for i in range(n)],
                     dtype=torch.float64)
    flat = sorted(d.reshape(-1).tolist())
    median = flat[(len(flat) - 1) // 2]  # torch.median: the lower of the two middle values
    return torch.exp(-d / (2 * max(rel_sigma * median, 1e-9)))


def _dense_cs(a: torch.Tensor, kernel: torch.Tensor) -> float:
    n, k = a.shape

    def inner(i: int, j: int) -> float:
        return sum(float(a[p, i] * kernel[p, q] * a[q, j]) for p in range(n) for q in range(n))

    total = sum(
        max(inner(i, j), 1e-9) / math.sqrt(max(inner(i, i) * inner(j, j), 1e-18))
        for i in range(k)
        for j in range(i + 1, k)
    )
    return 2 * total / (k * (k - 1))


def _dense_terms(a: torch.Tensor, h: torch.Tensor, rel_sigma: float) -> tuple[float, ...]:
    n, k = a.shape
    kernel = _dense_kernel(h, rel_sigma)
    orthogonality = sum(float(a[i] @ a[j]) for i in range(n) for j in range(i + 1, n))
    m = torch.tensor(
        [[math.exp(-float(((a[i] - torch.eye(k, dtype=a.dtype)[j]) ** 2).sum()))
          for j in range(k)] for i in range(n)],
        dtype=torch.float64,
    )
    return (_dense_cs(a, kernel), 2 * orthogonality / (n * (n - 1)), _dense_cs(m, kernel))


@pytest.fixture
def tiny():
    generator = torch.Generator().manual_seed(0)
    a = torch.softmax(torch.randn(7, 3, dtype=torch.float64, generator=generator) * 2, dim=1)
    h = torch.randn(7, 4, dtype=torch.float64, generator=generator)
    return a, h


def test_ddc_kernel_matches_a_dense_reference_with_the_median_of_squared_distances(tiny):
    _, h = tiny
    for rel_sigma in (0.15, 1.0):
        torch.testing.assert_close(ddc_kernel(h, rel_sigma), _dense_kernel(h, rel_sigma))
    kernel = ddc_kernel(h)
    torch.testing.assert_close(torch.diagonal(kernel), torch.ones(7, dtype=torch.float64))
    torch.testing.assert_close(kernel, kernel.T)


def test_ddc_kernel_bandwidth_is_not_backpropagated(tiny):
    _, h = tiny
    h = h.clone().requires_grad_(True)
    kernel = ddc_kernel(h)
    (grad,) = torch.autograd.grad(kernel.sum(), h)
    squared = ((h[:, None] - h[None]) ** 2).sum(-1).detach()
    sigma2 = 0.15 * squared.reshape(-1).median()
    # With sigma² fixed, d k_ij / d h_i = -k_ij (h_i - h_j) / sigma² (both orderings of ij).
    expected = torch.zeros_like(h)
    k = kernel.detach()
    for i in range(7):
        for j in range(7):
            expected[i] += -2 * k[i, j] * (h[i] - h[j]).detach() / sigma2
    torch.testing.assert_close(grad, expected)


def test_ddc_terms_match_a_dense_direct_computation(tiny):
    a, h = tiny
    got = ddc_terms(a, h, 0.15)
    want = _dense_terms(a, h, 0.15)
    for value, reference in zip(got, want, strict=True):
        assert float(value) == pytest.approx(reference, rel=1e-10)
    assert float(ddc_loss(a, h)) == pytest.approx(sum(want), rel=1e-10)
    assert float(cs_divergence(a, _dense_kernel(h, 0.15))) == pytest.approx(want[0], rel=1e-10)


def test_ddc_ideal_one_hot_and_well_separated_clusters():
    # One-hot assignments; clusters 100 apart, spread 0.01 within. The bandwidth is relative
    # (the median squared distance), so "well separated" means the median pair lies within a
    # cluster: here 27 of the 49 ordered pairs do.
    generator = torch.Generator().manual_seed(4)
    labels = torch.tensor([0, 0, 0, 0, 0, 1, 2])
    a = torch.eye(3, dtype=torch.float64)[labels]
    h = a * 100.0 + 0.01 * torch.randn(7, 3, dtype=torch.float64, generator=generator)
    separability, orthogonality, simplex = ddc_terms(a, h, 0.15)
    assert float(separability) < 1e-6  # the Cauchy–Schwarz term vanishes
    # Rows are orthogonal only across clusters: the term is the share of same-cluster pairs.
    assert float(orthogonality) == pytest.approx(10 / 21)
    assert float(simplex) == pytest.approx(_dense_terms(a, h, 0.15)[2], rel=1e-6)
    # One row per cluster: the rows are orthogonal.
    assert float(ddc_terms(torch.eye(3), torch.randn(3, 2))[1]) == 0.0


def test_ddc_rejects_bad_shapes():
    with pytest.raises(ValueError, match="at least 2 columns"):
        ddc_loss(torch.ones(4, 1), torch.randn(4, 3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        ddc_loss(torch.ones(1, 3) / 3, torch.randn(1, 3))
    with pytest.raises(ValueError, match="hidden"):
        ddc_loss(torch.ones(4, 3) / 3, torch.randn(5, 3))
    with pytest.raises(ValueError, match="rel_sigma"):
        ddc_kernel(torch.randn(4, 3), rel_sigma=0.0)
