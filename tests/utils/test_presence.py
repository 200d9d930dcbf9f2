import torch

from mvgraph.utils.presence import count_rows, rows_with

PRESENCE = torch.tensor([[True, True, False], [True, False, True], [False, True, True],
                         [True, True, True]])


def test_rows_with_selects_the_rows_that_have_every_named_view():
    assert rows_with(PRESENCE, 0).tolist() == [True, True, False, True]
    assert rows_with(PRESENCE, 0, 1).tolist() == [True, False, False, True]
    assert count_rows(rows_with(PRESENCE, 1, 2), 4) == 2
    # complete data: every row, as a slice that copies nothing
    assert rows_with(None, 0, 2) == slice(None) and count_rows(slice(None), 4) == 4
