"""The reconstruction loss, by hand on small views."""

import pytest
import torch

from mvgraph.losses import reconstruction_loss


def two_views():
    views = [torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0], [1.0]])]
    rebuilt = [torch.tensor([[1.0, 0.0], [3.0, 7.0]]), torch.tensor([[2.0], [1.0]])]
    return rebuilt, views


def test_mean_averages_each_view_over_samples_and_features():
    rebuilt, views = two_views()
    # view 0: squared errors 0, 4, 0, 9 over 2 x 2 values; view 1: 4, 0 over 2 x 1
    expected = (0 + 4 + 0 + 9) / 4 + (4 + 0) / 2
    loss = reconstruction_loss(rebuilt, views)
    assert loss.shape == () and float(loss) == pytest.approx(expected)
    assert float(reconstruction_loss(rebuilt, views, "mean")) == pytest.approx(5.25)


def test_sum_sums_over_features_and_averages_over_samples():
    rebuilt, views = two_views()
    expected = (0 + 4 + 0 + 9) / 2 + (4 + 0) / 2  # 8.5
    loss = reconstruction_loss(rebuilt, views, reduction="sum")
    assert loss.shape == () and float(loss) == pytest.approx(expected)


def test_sum_weighs_a_view_by_its_width_where_mean_does_not():
    x = torch.zeros(3, 10)
    wide = reconstruction_loss([torch.ones(3, 10)], [x], reduction="sum")
    narrow = reconstruction_loss([torch.ones(3, 1)], [torch.zeros(3, 1)], reduction="sum")
    assert float(narrow) == pytest.approx(1.0) and float(wide) == pytest.approx(10.0)
    assert float(reconstruction_loss([torch.ones(3, 10)], [x])) == pytest.approx(1.0)


def test_a_perfect_reconstruction_costs_nothing_and_the_gradient_flows():
    views = [torch.randn(4, 3, generator=torch.Generator().manual_seed(0))]
    assert float(reconstruction_loss([views[0].clone()], views, "sum")) == 0.0
    rebuilt = torch.zeros(4, 3, requires_grad=True)
    reconstruction_loss([rebuilt], views).backward()
    # d/dr mean((r - x)^2) = 2 (r - x) / (n d)
    torch.testing.assert_close(rebuilt.grad, -2 * views[0] / 12)


@pytest.mark.parametrize(("rebuilt", "views", "message"), [
    ([], [], "rebuilt and views must hold the same positive number of tensors; got 0 and 0"),
    ([torch.zeros(2, 2)], [torch.zeros(2, 2)] * 2,
     "rebuilt and views must hold the same positive number of tensors; got 1 and 2"),
    ([torch.zeros(2, 2), torch.zeros(2, 3)], [torch.zeros(2, 2), torch.zeros(2, 4)],
     "rebuilt[1] must have the shape of views[1], (2, 4); got (2, 3)"),
])
def test_mismatched_inputs_are_refused(rebuilt, views, message):
    with pytest.raises(ValueError) as raised:
        reconstruction_loss(rebuilt, views)
    assert str(raised.value) == message


def test_an_unknown_reduction_is_refused():
    rebuilt, views = two_views()
    with pytest.raises(ValueError) as raised:
        reconstruction_loss(rebuilt, views, reduction="none")
    assert str(raised.value) == "reduction must be one of mean, sum; got 'none'"


def test_with_a_presence_mask_each_view_is_averaged_over_its_present_rows():
    rebuilt, views = two_views()
    presence = torch.tensor([[True, False], [True, True]])
    # view 0 over both rows as before; view 1 over row 1 only, whose error is 0
    assert float(reconstruction_loss(rebuilt, views, presence=presence)) == pytest.approx(13 / 4)
    rows = presence[:, 1]
    for reduction in ("mean", "sum"):
        dense = reconstruction_loss([rebuilt[0], rebuilt[1][rows]], [views[0], views[1][rows]],
                                    reduction)
        masked = reconstruction_loss(rebuilt, views, reduction, presence)
        assert float(masked) == pytest.approx(float(dense))
    # what absent rows hold is never read
    views[1][0] = 1e6
    assert float(reconstruction_loss(rebuilt, views, presence=presence)) == pytest.approx(13 / 4)
