import h5py
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from mvgraph.data import MultiViewData, load_mat, load_views

N = 12


def make_views(dims=(5, 3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(N, d)) for d in dims]


def labels_1based():
    return np.arange(N) % 3 + 1


def cell(arrays, shape):
    out = np.empty(shape, dtype=object)
    for i, array in enumerate(arrays):
        out.flat[i] = array
    return out


def assert_loaded(data, views, labels=None):
    assert isinstance(data, MultiViewData)
    assert data.n_samples == N and data.dims == [view.shape[1] for view in views]
    for got, expected in zip(data.views, views):
        got = got.toarray() if sp.issparse(got) else got
        np.testing.assert_allclose(got, expected)
    if labels is None:
        assert data.labels is None
    else:
        np.testing.assert_array_equal(data.label_values[data.labels], np.ravel(labels))


@pytest.mark.parametrize("key", ["X", "fea", "data"])
@pytest.mark.parametrize("shape", [(1, 3), (3, 1)])
def test_cell_layouts(tmp_path, key, shape):
    views = make_views()
    path = tmp_path / "cells.mat"
    scipy.io.savemat(path, {key: cell(views, shape), "Y": labels_1based()[:, None]})
    data = load_mat(path)
    assert_loaded(data, views, labels_1based())
    assert data.name == "cells" and data.n_classes == 3


@pytest.mark.parametrize("key", ["Y", "y", "gt", "truelabel", "label", "labels"])
def test_label_keys_and_orientation(tmp_path, key):
    views = make_views()
    labels = np.arange(N) % 4  # 0-based, stored 1 × n
    scipy.io.savemat(tmp_path / "l.mat", {"X": cell(views, (1, 3)), key: labels[None, :]})
    data = load_mat(tmp_path / "l.mat")
    assert_loaded(data, views, labels)
    np.testing.assert_array_equal(data.labels, labels)


def test_first_label_key_wins(tmp_path):
    views = make_views()
    scipy.io.savemat(tmp_path / "two.mat", {"X": cell(views, (1, 3)), "gt": np.zeros(N),
                                            "Y": labels_1based()})
    assert load_mat(tmp_path / "two.mat").n_classes == 3


def test_numbered_variables_order(tmp_path):
    views = make_views(dims=tuple(range(1, 12)))
    variables = {f"X{i + 1}": view for i, view in enumerate(views)}
    scipy.io.savemat(tmp_path / "many.mat", {**variables, "Y": labels_1based()})
    data = load_mat(tmp_path / "many.mat", name="many views")
    assert data.dims == list(range(1, 12)) and data.name == "many views"
    assert_loaded(data, views, labels_1based())


def test_labels_in_a_cell_and_transposed_views(tmp_path):
    views = make_views()
    labels = labels_1based()[:, None]
    scipy.io.savemat(tmp_path / "bdgp.mat", {
        "data": cell([view.T for view in views], (1, 3)),
        "truelabel": cell([labels, labels, labels], (1, 3)),
    })
    assert_loaded(load_mat(tmp_path / "bdgp.mat"), views, labels)


def test_square_views_stay_as_stored(tmp_path):
    rng = np.random.default_rng(1)
    adjacency, words = rng.integers(0, 2, size=(N, N)), rng.integers(0, 2, size=(N, 7))
    scipy.io.savemat(tmp_path / "cites.mat", {"X": cell([adjacency, words], (2, 1)),
                                             "y": labels_1based()})
    data = load_mat(tmp_path / "cites.mat")
    np.testing.assert_array_equal(data.views[0], adjacency)


def test_sparse_integer_and_image_views(tmp_path):
    rng = np.random.default_rng(2)
    sparse = sp.random(N, 9, density=0.3, format="csc", random_state=3)
    pixels = rng.integers(0, 256, size=(N, 6), dtype=np.uint8)
    images = rng.normal(size=(N, 4, 4))
    scipy.io.savemat(tmp_path / "mixed.mat", {"X": cell([sparse, pixels, images], (1, 3)),
                                             "Y": labels_1based()})
    data = load_mat(tmp_path / "mixed.mat")
    assert isinstance(data.views[0], sp.csr_matrix)
    assert data.views[1].dtype == np.float32 and data.dims == [9, 6, 16]
    assert_loaded(data, [sparse.toarray(), pixels, images.reshape(N, 16)], labels_1based())


def test_sparse_view_stored_transposed(tmp_path):
    sparse = sp.random(N, 9, density=0.3, format="csc", random_state=4)
    scipy.io.savemat(tmp_path / "t.mat", {"X1": sparse.T, "X2": np.ones((N, 2)),
                                         "Y": labels_1based()})
    data = load_mat(tmp_path / "t.mat")
    assert isinstance(data.views[0], sp.csr_matrix) and data.dims == [9, 2]


def test_without_labels(tmp_path):
    views = make_views()
    scipy.io.savemat(tmp_path / "unlabelled.mat", {"X": cell([views[0], views[1].T], (1, 2))})
    assert_loaded(load_mat(tmp_path / "unlabelled.mat"), views[:2])
    same_shape = make_views(dims=(3, 3))
    scipy.io.savemat(tmp_path / "equal.mat", {"X": cell(same_shape, (1, 2))})
    assert_loaded(load_mat(tmp_path / "equal.mat"), same_shape)


def test_ambiguous_orientation_without_labels(tmp_path):
    scipy.io.savemat(tmp_path / "amb.mat", {"X1": np.ones((5, 8)), "X2": np.ones((8, 5))})
    with pytest.raises(ValueError, match=r"cannot tell the number of samples .* \[5, 8\]"):
        load_mat(tmp_path / "amb.mat")


def write_v73(path, variables):
    """A MATLAB v7.3 file as MATLAB writes it: a 512-byte header, then HDF5."""
    with h5py.File(path, "w", userblock_size=512) as file:
        references = file.create_group("#refs#")
        for name, value in variables.items():
            if isinstance(value, list):  # a 1 × V cell
                refs = []
                for i, element in enumerate(value):
                    target = f"{name}_{i}"
                    write_v73_array(references, target, element)
                    refs.append(references[target].ref)
                dataset = file.create_dataset(name, data=np.array(refs)[:, None],
                                              dtype=h5py.ref_dtype)
                dataset.attrs["MATLAB_class"] = np.bytes_("cell")
            else:
                write_v73_array(file, name, value)
    with open(path, "r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file, written by a test".ljust(116, b" "))


def write_v73_array(group, name, value):
    if sp.issparse(value):
        csc = sp.csc_matrix(value)
        sparse = group.create_group(name)
        sparse.attrs["MATLAB_sparse"] = np.uint64(csc.shape[0])
        sparse.attrs["MATLAB_class"] = np.bytes_("double")
        sparse.create_dataset("data", data=csc.data)
        sparse.create_dataset("ir", data=csc.indices.astype(np.uint64))
        sparse.create_dataset("jc", data=csc.indptr.astype(np.uint64))
    else:  # HDF5 holds MATLAB arrays with their axes reversed
        group.create_dataset(name, data=np.asarray(value).T)


def test_matlab_v73(tmp_path):
    views = make_views(dims=(5, 3))
    sparse = sp.random(N, 9, density=0.3, format="csc", random_state=5)
    labels = labels_1based()[:, None]
    path = tmp_path / "v73.mat"
    write_v73(path, {"X": [views[0], views[1].T, sparse], "Y": labels, "rest": np.ones(3)})
    assert h5py.is_hdf5(path)
    data = load_mat(path)
    assert isinstance(data.views[2], sp.csr_matrix)
    assert_loaded(data, [views[0], views[1], sparse.toarray()], labels)


def test_matlab_v73_numbered_variables(tmp_path):
    views = make_views(dims=(2, 4))
    path = tmp_path / "v73n.mat"
    write_v73(path, {"X2": views[1], "X1": views[0].astype(np.uint8), "gt": labels_1based()})
    data = load_mat(path)
    assert data.dims == [2, 4] and data.n_classes == 3


def test_truncated_file(tmp_path):
    path = tmp_path / "cut.mat"
    scipy.io.savemat(path, {"X": cell(make_views(dims=(50, 40)), (1, 2)), "Y": labels_1based()})
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(ValueError, match=r"^could not read '.*cut\.mat' as a MATLAB \.mat file: ") \
            as raised:
        load_mat(path)
    assert "\n" not in str(raised.value) and raised.value.__cause__ is None


def test_not_a_mat_file(tmp_path):
    path = tmp_path / "text.mat"
    path.write_text("hello")
    with pytest.raises(ValueError, match="could not read"):
        load_mat(path)


def test_unknown_keys(tmp_path):
    path = tmp_path / "odd.mat"
    scipy.io.savemat(path, {"b": np.ones((3, 2)), "a": np.ones((3, 1))})
    message = (
        f"no views found in '{path}': expected a cell under 'X', 'fea' or 'data', "
        "or variables X1..Xv; found keys ['a', 'b']"
    )
    with pytest.raises(ValueError) as raised:
        load_mat(path)
    assert str(raised.value) == message


def test_nan_view(tmp_path):
    views = make_views()
    views[2][3, 1] = np.nan
    scipy.io.savemat(tmp_path / "nan.mat", {"X": cell(views, (1, 3)), "Y": labels_1based()})
    with pytest.raises(ValueError, match=r"^views\[2\] contains 1 NaN/inf values outside rows"):
        load_mat(tmp_path / "nan.mat")


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.mat"):
        load_mat(tmp_path / "nothing.mat")
    with pytest.raises(FileNotFoundError, match="nothing.npz"):
        load_views(tmp_path / "nothing.npz")


def test_load_views_dispatch(tmp_path):
    views = make_views()
    scipy.io.savemat(tmp_path / "a.MAT", {"X": cell(views, (1, 3))})
    assert load_views(tmp_path / "a.MAT").n_views == 3
    with pytest.raises(ValueError, match=r"expected a \.mat or \.npz file; got suffix '\.csv'"):
        load_views(tmp_path / "a.csv")


def _masks():
    rng = np.random.default_rng(1)
    masks = [(rng.random((N, 3)) < 0.7).astype(float) for _ in range(2)]
    for mask in masks:
        mask[:, 0] = 1.0  # every sample keeps view 0
    return masks


@pytest.mark.parametrize("key", ["presence", "mask"])
def test_a_presence_matrix_beside_the_views_marks_the_missing_views(tmp_path, key):
    views, mask = make_views(), _masks()[0]
    scipy.io.savemat(tmp_path / "inc.mat", {"X": cell(views, (1, 3)), "Y": labels_1based(),
                                            key: mask.T})  # stored V × n
    data = load_mat(tmp_path / "inc.mat")
    np.testing.assert_array_equal(data.presence, mask.astype(bool))
    for v, view in enumerate(data.views):
        np.testing.assert_array_equal(view[mask[:, v] == 0], 0.0)


def test_a_cell_of_folds_gives_the_chosen_draw(tmp_path):
    views, masks = make_views(), _masks()
    scipy.io.savemat(tmp_path / "folds.mat", {"X": cell(views, (1, 3)), "Y": labels_1based(),
                                              "folds": cell(masks, (1, 2))})
    for fold in (0, 1):
        data = load_mat(tmp_path / "folds.mat", fold=fold)
        np.testing.assert_array_equal(data.presence, masks[fold].astype(bool))
    with pytest.raises(ValueError, match=r"fold must be an integer in \[0, 2\) for the 2 "
                                         r"masks of 'folds'; got 2"):
        load_mat(tmp_path / "folds.mat", fold=2)
    bad = masks[0].copy()
    bad[0] = 0.0  # a sample with no view
    scipy.io.savemat(tmp_path / "bad.mat", {"X": cell(views, (1, 3)), "presence": bad})
    with pytest.raises(ValueError, match="sample 0 has no view"):
        load_mat(tmp_path / "bad.mat")
