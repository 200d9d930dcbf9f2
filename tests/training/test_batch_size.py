from mvgraph.training import balanced_batch_size


def test_balanced_batch_size_splits_the_rows_into_equal_batches():
    assert [balanced_batch_size(n, 256) for n in (100, 256, 257, 500, 2708)] == [
        100, 256, 129, 250, 247
    ]
