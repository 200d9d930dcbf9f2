import math

import pytest
import torch
from conftest import cosine, loop_cluster_loss, loop_nt_xent

from mvgraph.losses import (
    cluster_contrastive,
    info_nce,
    marginal_entropy_gap,
    nt_xent,
    reconstruction_loss,
    view_aware_cluster_loss,
)


def _loop_info_nce(a, c, tau):
    total = 0.0
    for i in range(a.shape[0]):
        scores = [math.exp(cosine(a[i], c[j]) / tau) for j in range(c.shape[0])]
        total -= math.log(scores[i] / sum(scores))
    return total / a.shape[0]


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_info_nce_matches_a_direct_loop(tau):
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(6, 4, dtype=torch.float64, generator=generator)
    c = torch.randn(6, 4, dtype=torch.float64, generator=generator)
    assert float(info_nce(a, c, tau)) == pytest.approx(_loop_info_nce(a, c, tau), rel=1e-10)


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_nt_xent_matches_a_direct_loop_with_the_self_term_removed(tau):
    generator = torch.Generator().manual_seed(1)
    a = torch.randn(5, 3, dtype=torch.float64, generator=generator)
    b = torch.randn(5, 3, dtype=torch.float64, generator=generator)
    assert float(nt_xent(a, b, tau)) == pytest.approx(loop_nt_xent(a, b, tau), rel=1e-10)
    assert float(nt_xent(a, b, tau)) == pytest.approx(float(nt_xent(b, a, tau)), rel=1e-12)


def test_nt_xent_is_smaller_for_aligned_pairs():
    generator = torch.Generator().manual_seed(2)
    a = torch.randn(16, 8, generator=generator)
    shuffled = a[torch.randperm(16, generator=generator)]
    assert float(nt_xent(a, a)) < float(nt_xent(a, shuffled))


def test_cluster_contrastive_contrasts_columns():
    generator = torch.Generator().manual_seed(3)
    q_a = torch.softmax(torch.randn(7, 4, dtype=torch.float64, generator=generator), 1)
    q_b = torch.softmax(torch.randn(7, 4, dtype=torch.float64, generator=generator), 1)
    expected = loop_nt_xent(q_a.T, q_b.T, 0.5)
    assert float(cluster_contrastive(q_a, q_b, 0.5)) == pytest.approx(expected, rel=1e-10)


def test_marginal_entropy_gap_is_zero_when_balanced_and_log_k_when_collapsed():
    balanced = torch.eye(4).repeat(3, 1)
    assert float(marginal_entropy_gap(balanced)) == pytest.approx(0.0, abs=1e-7)
    collapsed = torch.zeros(6, 4)
    collapsed[:, 2] = 1.0
    assert float(marginal_entropy_gap(collapsed)) == pytest.approx(math.log(4), rel=1e-6)
    q = torch.tensor([[0.2, 0.8], [0.6, 0.4]], dtype=torch.float64)
    r = q.sum(0) / q.sum()
    expected = math.log(2) + float((r * r.log()).sum())
    assert float(marginal_entropy_gap(q)) == pytest.approx(expected, rel=1e-12)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="same shape"):
        nt_xent(torch.zeros(3, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="temperature"):
        info_nce(torch.ones(3, 2), torch.ones(3, 2), temperature=0.0)
    with pytest.raises(ValueError, match="anchors"):
        info_nce(torch.ones(3), torch.ones(3, 2))


def test_reconstruction_loss_sums_per_view_means():
    x = [torch.zeros(2, 3), torch.zeros(2, 1)]
    rebuilt = [torch.ones(2, 3), torch.full((2, 1), 2.0)]
    assert float(reconstruction_loss(rebuilt, x)) == pytest.approx(1.0 + 4.0)
    with pytest.raises(ValueError, match=r"rebuilt\[1\]"):
        reconstruction_loss([torch.ones(2, 3), torch.ones(2, 2)], x)


def test_reconstruction_loss_sum_reduction_is_the_squared_norm_per_sample():
    x = [torch.zeros(2, 3), torch.zeros(2, 2)]
    rebuilt = [torch.ones(2, 3), torch.full((2, 2), 2.0)]
    assert float(reconstruction_loss(rebuilt, x, reduction="sum")) == pytest.approx(3.0 + 8.0)
    with pytest.raises(ValueError, match="reduction"):
        reconstruction_loss(rebuilt, x, reduction="none")


VIEW_WEIGHTS = torch.tensor([[0.0, 0.7, 0.3], [0.2, 0.0, 0.8], [0.6, 0.4, 0.0]],
                            dtype=torch.float64)


def _assignments(rows: int, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.softmax(torch.randn(rows, 3, dtype=torch.float64, generator=generator), 1)
            for _ in range(3)]


def test_view_aware_cluster_loss_matches_a_direct_loop():
    q = _assignments(6, 2)
    contrast, _ = loop_cluster_loss(q, VIEW_WEIGHTS, 0.5)
    got = view_aware_cluster_loss(q, VIEW_WEIGHTS, 0.5)
    assert float(got) == pytest.approx(contrast, rel=1e-10)


def test_view_aware_cluster_loss_contrasts_each_pair_over_the_rows_that_have_both():
    q = _assignments(7, 4)
    presence = torch.tensor([[1, 1, 0], [1, 1, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1], [1, 1, 0],
                             [0, 1, 1]], dtype=torch.bool)
    expected = 0.0
    for v in range(3):
        for u in range(v + 1, 3):
            rows = presence[:, v] & presence[:, u]
            pair = torch.zeros(2, 2, dtype=torch.float64)
            pair[0, 1], pair[1, 0] = VIEW_WEIGHTS[v, u], VIEW_WEIGHTS[u, v]
            expected += loop_cluster_loss([q[v][rows], q[u][rows]], pair, 0.5)[0]
    got = view_aware_cluster_loss(q, VIEW_WEIGHTS, 0.5, presence)
    assert float(got) == pytest.approx(expected, rel=1e-10)
