import numpy as np
import pytest
import scipy.sparse as sp
from test_matlab import assert_loaded, labels_1based, make_views

from mvgraph.data import MultiViewData, load_npz, load_views, save_npz, shard_bounds


def test_npz_round_trip(tmp_path):
    views = make_views()
    original = MultiViewData([views[0], sp.csr_matrix(views[1]), views[2]], labels_1based())
    path = tmp_path / "data.npz"
    save_npz(original, path)
    assert [p.name for p in tmp_path.iterdir()] == ["data.npz"]
    data = load_views(path)
    assert data.name == "data"
    assert_loaded(data, views, labels_1based())
    save_npz([views[0]], path)
    assert load_npz(path).labels is None and load_npz(path).n_views == 1


def test_npz_errors(tmp_path):
    path = tmp_path / "gap.npz"
    np.savez(path, view_0=np.ones((3, 2)), view_2=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"no views found .* found keys \['view_0', 'view_2'\]"):
        load_npz(path)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="could not read .* as a .npz file"):
        load_npz(broken)


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_parts_are_the_shards_of_the_whole(tmp_path, compressed):
    views, labels = make_views(), labels_1based()
    presence = np.ones((len(labels), 3), dtype=bool)
    presence[1, 0] = presence[4, 2] = False
    path = tmp_path / "data.npz"
    save = np.savez_compressed if compressed else np.savez
    save(path, view_0=views[0], view_1=views[1], view_2=views[2], labels=labels,
         presence=presence)
    whole = load_npz(path)
    parts = [load_npz(path, part=(rank, 3)) for rank in range(3)]
    assert [part.n_samples for part in parts] == [
        stop - start for start, stop in (shard_bounds(whole.n_samples, r, 3) for r in range(3))]
    for v in range(3):
        np.testing.assert_array_equal(np.concatenate([part.views[v] for part in parts]),
                                      whole.views[v])
    np.testing.assert_array_equal(
        np.concatenate([part.label_values[part.labels] for part in parts]), labels)
    masks = [np.ones((part.n_samples, 3), bool) if part.presence is None else part.presence
             for part in parts]  # a part where every sample has every view is complete
    np.testing.assert_array_equal(np.concatenate(masks), presence)
