import pytest
import torch

from mvgraph.nn import ViewFusion


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
