from mvgraph.training import balanced_batch_size


def test_balanced_batch_size_splits_the_rows_into_equal_batches():
    assert [balanced_batch_size(n, 256) for n in (100, 256, 257, 500, 2708)] == [
        100, 256, 129, 250, 247
    ]


def test_epochs_for_steps_counts_the_batches_that_are_steps():
    from mvgraph.training import epochs_for_steps

    assert epochs_for_steps(544, 100, 1000) == 167  # 6 batches
    assert epochs_for_steps(544, 100, 1000, drop_last=True) == 200  # the short one dropped
    assert epochs_for_steps(169, 100, 1000, drop_last=True) == 1000
    assert epochs_for_steps(50, 100, 10, drop_last=True) == 10  # no full batch: one step
