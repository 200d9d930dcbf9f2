import math

import numpy as np
import ot
import pytest
import torch

from mvgraph.losses import (
    VIEW_DISTANCES,
    mean_pairwise_distance,
    view_distance,
    view_distances,
    view_weights,
)


def _sets(seed: int = 0, shift: float = 1.0):
    generator = torch.Generator().manual_seed(seed)
    a = torch.randn(9, 4, dtype=torch.float64, generator=generator)
    b = torch.randn(7, 4, dtype=torch.float64, generator=generator) + shift
    return a, b


def test_paper_distance_is_the_mean_pairwise_l1_distance():
    a, b = _sets()
    expected = np.mean([[float((x - y).abs().sum()) for y in b] for x in a])
    assert float(mean_pairwise_distance(a, b)) == pytest.approx(expected, rel=1e-12)
    assert float(view_distance(a, b, "paper")) == pytest.approx(expected, rel=1e-12)
    # Not a true distance: a set is not at distance 0 from itself.
    assert float(view_distance(a, a, "paper")) > 0


def test_emd_agrees_with_pot_called_directly():
    a, b = _sets(1)
    weights_a, weights_b = np.full(9, 1 / 9), np.full(7, 1 / 7)
    cost = ot.dist(a.numpy(), b.numpy(), metric="cityblock")
    expected = ot.emd2(weights_a, weights_b, cost)
    assert float(view_distance(a, b, "emd")) == pytest.approx(expected, rel=1e-10)
    assert float(view_distance(a, a, "emd")) == pytest.approx(0.0, abs=1e-10)
    # The paper's quantity is the cost of the independent coupling: never below the EMD.
    assert float(view_distance(a, b, "paper")) >= expected


def test_sliced_wasserstein_agrees_with_pot_called_directly():
    a, b = _sets(2)
    for seed in (0, 7):
        expected = ot.sliced_wasserstein_distance(a, b, n_projections=20, seed=seed)
        got = view_distance(a, b, "sliced_wasserstein", n_projections=20, seed=seed)
        assert float(got) == pytest.approx(float(expected), rel=1e-12)
    assert float(view_distance(a, a, "sliced_wasserstein", seed=0)) == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("method", VIEW_DISTANCES)
def test_distance_matrix_is_symmetric_and_matches_pairs(method):
    generator = torch.Generator().manual_seed(3)
    latents = [torch.randn(8, 3, dtype=torch.float64, generator=generator) + k for k in range(3)]
    distances = view_distances(latents, method, n_projections=10, seed=4)
    torch.testing.assert_close(distances, distances.T)
    assert torch.all(distances.diagonal() == 0)
    pair = view_distance(latents[0], latents[2], method, n_projections=10, seed=4)
    assert float(distances[0, 2]) == pytest.approx(float(pair), rel=1e-12)


def test_weights_sum_to_one_and_prefer_the_closer_view():
    distances = torch.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 2.0], [3.0, 2.0, 0.0]])
    weights = view_weights(distances)
    torch.testing.assert_close(weights.sum(1), torch.ones(3))
    assert torch.all(weights.diagonal() == 0)
    # Row v: softmax over u != v of -D_vu.
    expected_row0 = torch.softmax(torch.tensor([-1.0, -3.0]), 0)
    torch.testing.assert_close(weights[0, 1:], expected_row0)
    assert weights[0, 1] > weights[0, 2] and weights[2, 1] > weights[2, 0]
    assert weights[1, 0] == pytest.approx(1 / (1 + math.exp(-1)))


def test_weights_from_latents_prefer_the_closer_view():
    generator = torch.Generator().manual_seed(5)
    base = torch.randn(30, 4, generator=generator)
    near = base + 0.1 * torch.randn(30, 4, generator=generator)
    far = base + 3.0
    for method in VIEW_DISTANCES:
        weights = view_weights(view_distances([base, near, far], method, seed=0))
        assert weights[0, 1] > weights[0, 2] and weights[1, 0] > weights[1, 2]
        torch.testing.assert_close(weights.sum(1), torch.ones(3))


def test_two_views_always_weigh_one():
    weights = view_weights(torch.tensor([[0.0, 5.0], [5.0, 0.0]]))
    torch.testing.assert_close(weights, torch.tensor([[0.0, 1.0], [1.0, 0.0]]))


def test_bad_input_is_rejected():
    a, b = _sets()
    with pytest.raises(ValueError, match="method must be one of"):
        view_distance(a, b, "wasserstein")
    with pytest.raises(ValueError, match="share their width"):
        view_distance(a, b[:, :3])
    with pytest.raises(ValueError, match="n_projections"):
        view_distance(a, b, "sliced_wasserstein", n_projections=0)
    with pytest.raises(ValueError, match="V >= 2"):
        view_weights(torch.zeros(1, 1))
    with pytest.raises(ValueError, match="finite"):
        view_weights(torch.tensor([[0.0, math.nan], [math.nan, 0.0]]))
    with pytest.raises(ValueError, match="at least one view"):
        view_distances([])
