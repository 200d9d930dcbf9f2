import numpy as np
import pytest

from mvgraph import make_multiview_manifolds


def test_the_manifold_generator():
    data = make_multiview_manifolds(1001, n_views=2, n_clusters=5, dims=8, noise=0.0,
                                    ring_std=0.0, noise_view=True, random_state=4)
    assert [v.shape for v in data.views] == [(1001, 8), (1001, 8), (1001, 8)]
    assert all(v.dtype == np.float32 for v in data.views)
    assert np.bincount(data.labels).tolist() == [201, 200, 200, 200, 200]
    # each view is an isometry of the latent rings: the two views' distances agree
    a, b = data.views[0][:50].astype(float), data.views[1][:50].astype(float)
    distances = [np.linalg.norm(x[:, None] - x[None], axis=2) for x in (a, b)]
    np.testing.assert_allclose(distances[0], distances[1], atol=1e-4)
    # the same seed gives the same data, the noise view included
    same = make_multiview_manifolds(1001, n_views=2, n_clusters=5, dims=8, noise=0.0,
                                    ring_std=0.0, noise_view=True, random_state=4)
    np.testing.assert_array_equal(same.views[2], data.views[2])
    with pytest.raises(ValueError, match="dims must be at least latent_dim = 3"):
        make_multiview_manifolds(100, dims=2)
    with pytest.raises(ValueError, match="rings must be a positive integer"):
        make_multiview_manifolds(100, rings=0)
