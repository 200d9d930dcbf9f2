import torch

from mvgraph.nn.networks import DMACNetwork


def test_batch_of_all_rows_gives_the_full_batch_loss():
    torch.manual_seed(0)
    dims = [9, 7, 5]
    model = DMACNetwork(dims, n_clusters=3)
    views = [torch.randn(40, d) for d in dims]
    initial = torch.randn(8, 64)
    order = torch.randperm(40)
    torch.manual_seed(3)
    full = model.terms(views, model.anchors(initial), 2, alpha=10.0, beta=100.0)
    torch.manual_seed(3)
    batch = model.terms(
        [view[order] for view in views], model.anchors(initial), 2, alpha=10.0, beta=100.0
    )
    assert set(full) == {"al", "cm", "sp"} == set(batch)
    for name in full:
        torch.testing.assert_close(batch[name], full[name], rtol=1e-4, atol=1e-5)
