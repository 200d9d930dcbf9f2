import numpy as np
import pytest

from mvgraph.plot.projection import TSNE_MAX_POINTS, project_2d, stratified_subsample


def test_the_subsample_keeps_every_group_in_proportion():
    groups = np.repeat([0, 1, 2, 3], [700, 200, 95, 5])
    index = stratified_subsample(groups, 100, random_state=3)
    assert len(index) == 100 and np.all(np.diff(index) > 0)
    counts = np.bincount(groups[index], minlength=4)
    np.testing.assert_array_equal(counts, [70, 20, 9, 1])  # 9.5 and 0.5 rounded, 4 groups kept
    assert np.array_equal(stratified_subsample(groups, 100, random_state=3), index)


def test_a_tiny_group_keeps_one_row_and_small_data_is_kept_whole():
    groups = np.array([0] * 999 + [1])
    index = stratified_subsample(groups, 10)
    assert len(index) == 10 and 999 in index
    np.testing.assert_array_equal(stratified_subsample(groups[:7], 10), np.arange(7))
    with pytest.raises(ValueError, match="max_points must be at least the number of groups"):
        stratified_subsample(np.arange(20), 10)


def test_pca_is_the_projection_on_the_two_leading_components():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 6)) @ np.diag([5.0, 3.0, 1.0, 0.5, 0.2, 0.1]) + 7.0
    mapped = project_2d(z.astype(np.float32), "pca")
    covariance = np.cov(z - z.mean(0), rowvar=False)
    _, vectors = np.linalg.eigh(covariance)
    reference = (z - z.mean(0)) @ vectors[:, ::-1][:, :2]
    for axis in range(2):  # equal up to the sign of each component
        assert min(np.abs(mapped.points[:, axis] - reference[:, axis]).max(),
                   np.abs(mapped.points[:, axis] + reference[:, axis]).max()) < 1e-4
    assert mapped.note == "PCA, 300 points"


def test_large_embeddings_are_mapped_on_a_stated_subsample():
    z = np.random.default_rng(1).normal(size=(5000, 3))
    groups = np.arange(5000) % 7
    mapped = project_2d(z, "pca", groups=groups, max_points=700)
    assert mapped.points.shape == (700, 2) and len(mapped.index) == 700
    assert mapped.note == "PCA, a stratified subsample of 700 of 5,000 points"
    assert np.all(np.bincount(groups[mapped.index]) == 100)


def test_tsne_maps_small_embeddings_and_one_dimensional_ones_are_kept():
    z = np.vstack([np.zeros((20, 4)), np.ones((20, 4)) * 5]) + np.random.default_rng(2).normal(
        scale=0.1, size=(40, 4))
    mapped = project_2d(z, "tsne", random_state=0)
    assert mapped.points.shape == (40, 2) and np.isfinite(mapped.points).all()
    left, right = mapped.points[:20].mean(0), mapped.points[20:].mean(0)
    assert np.linalg.norm(left - right) > 3 * mapped.points[:20].std(0).max()
    line = project_2d(np.arange(10.0)[:, None])
    assert line.points.shape == (10, 2) and np.all(line.points[:, 1] == 0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"method": "umap"}, "projection must be one of pca, tsne; got 'umap'"),
    ({"method": "tsne", "max_points": TSNE_MAX_POINTS + 1},
     "max_points must be at most 20,000 for t-SNE; got 20,001"),
    ({"max_points": 1}, "max_points"),
    ({"groups": np.zeros(3)}, "groups must have one label per row (10); got 3"),
])
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        project_2d(np.zeros((10, 3)), **kwargs)
