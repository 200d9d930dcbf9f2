
import pytest
import torch
from conftest import loop_gaussian, loop_nt_xent, loop_relation_alignment

from mvgraph.losses import relation_alignment


@pytest.mark.parametrize(("sigma", "tau"), [(1.0, 0.5), (0.5, 1.0)])
def test_relation_alignment_matches_a_direct_loop(sigma, tau):
    generator = torch.Generator().manual_seed(0)
    latents = [torch.randn(5, d, dtype=torch.float64, generator=generator) for d in (3, 2, 4)]
    latents = [z / z.norm(dim=1, keepdim=True) for z in latents]
    expected = loop_relation_alignment(latents, sigma, tau)
    assert float(relation_alignment(latents, sigma, tau)) == pytest.approx(expected, rel=1e-10)


def test_relation_alignment_is_small_when_views_agree():
    generator = torch.Generator().manual_seed(1)
    z = torch.randn(12, 4, generator=generator)
    agree = float(relation_alignment([z, z], 1.0, 0.5))
    shuffled = float(relation_alignment([z, z[torch.randperm(12, generator=generator)]], 1.0))
    assert agree < shuffled


def test_with_a_presence_mask_each_view_is_aligned_over_its_present_rows():
    generator = torch.Generator().manual_seed(3)
    latents = [torch.randn(6, 2, dtype=torch.float64, generator=generator) for _ in range(3)]
    latents = [z / z.norm(dim=1, keepdim=True) for z in latents]
    presence = torch.tensor([[1, 1, 1], [1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 1, 1], [0, 1, 1]],
                            dtype=torch.bool)
    global_relation = loop_gaussian(torch.cat(latents, 1), 1.0)
    expected = 0.0
    for v, z in enumerate(latents):
        rows = presence[:, v]
        expected += loop_nt_xent(loop_gaussian(z[rows], 1.0), global_relation[rows][:, rows], 0.5)
    got = relation_alignment(latents, 1.0, 0.5, presence)
    assert float(got) == pytest.approx(expected, rel=1e-10)
    # an all-present mask is the complete-data loss
    assert float(relation_alignment(latents, 1.0, 0.5, torch.ones(6, 3, dtype=torch.bool))) == \
        float(relation_alignment(latents, 1.0, 0.5))
