import numpy as np
import pytest
import scipy.sparse as sp
from test_matlab import assert_loaded, labels_1based, make_views

from mvgraph.data import MultiViewData, load_npz, load_views, save_npz


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
