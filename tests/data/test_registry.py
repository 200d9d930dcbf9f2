import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import mvgraph
from mvgraph.data import data_home, dataset_info, list_datasets, load_dataset, registry

REGISTRY = json.loads(resources.files("mvgraph.data").joinpath("registry.json").read_text())
SETS = [name for name, entry in REGISTRY.items() if "source" not in entry]


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """A registered two-view set in a folder named by MVGRAPH_DATA."""
    rng = np.random.default_rng(0)
    cell = np.empty((1, 2), dtype=object)
    cell[0, 0], cell[0, 1] = rng.normal(size=(10, 4)), rng.normal(size=(10, 3))
    path = tmp_path / "tiny.mat"
    scipy.io.savemat(path, {"X": cell, "Y": np.arange(10) % 2 + 1})
    entry = {"file": "tiny.mat", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
             "bytes": path.stat().st_size, "n": 10, "views": 2, "dims": [4, 3], "classes": 2,
             "description": "a test set"}
    monkeypatch.setenv("MVGRAPH_DATA", str(tmp_path))
    monkeypatch.setitem(registry.REGISTRY, "tiny", entry)
    monkeypatch.setitem(registry.REGISTRY, "tiny-swapped",
                        {"source": "tiny", "source_views": [1, 0], "n": 10, "views": 2,
                         "dims": [3, 4], "classes": 2, "description": "views swapped"})
    return path, entry


def test_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MVGRAPH_DATA", str(tmp_path))
    assert data_home() == [tmp_path]
    monkeypatch.delenv("MVGRAPH_DATA")
    checkout = Path(mvgraph.__file__).resolve().parents[1]
    assert data_home() == [checkout.parent / "shared" / "data",
                           Path.home() / ".mvgraph" / "data"]
    # an installed copy (no pyproject.toml beside the package) has no checkout to look beside
    installed = tmp_path / "site-packages" / "mvgraph" / "data" / "registry.py"
    monkeypatch.setattr(registry, "__file__", str(installed))
    assert data_home() == [Path.home() / ".mvgraph" / "data"]


def test_load_from_mvgraph_data(tiny):
    data = load_dataset("TINY")
    assert data.name == "tiny" and data.dims == [4, 3] and data.n_classes == 2
    swapped = load_dataset("tiny-swapped")
    assert swapped.name == "tiny-swapped" and swapped.dims == [3, 4]
    assert load_dataset("tiny", views=[1]).dims == [3]
    listed = {row["name"]: row for row in list_datasets()}
    assert listed["tiny"]["present"] and listed["tiny"]["path"] == str(tiny[0])
    assert listed["tiny-swapped"]["present"]


def test_checksum_mismatch(tiny, monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "tiny", {**tiny[1], "sha256": "0" * 64})
    with pytest.raises(ValueError, match=f"sha256 {tiny[1]['sha256']}, registry expects 0+;"):
        load_dataset("tiny")
    assert load_dataset("tiny", verify=False).n_samples == 10


def test_checksum_is_recomputed_when_the_file_changes(tiny):
    path, _ = tiny
    load_dataset("tiny")
    path.write_bytes(path.read_bytes() + b"\0" * 8)
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_dataset("tiny")


def test_contents_must_match_registry(tiny, monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "tiny", {**tiny[1], "dims": [4, 4]})
    with pytest.raises(ValueError, match="does not match registry entry 'tiny'"):
        load_dataset("tiny", verify=False)


def test_missing_file_lists_folders(tiny):
    tiny[0].unlink()
    with pytest.raises(FileNotFoundError, match="MVGRAPH_DATA") as raised:
        load_dataset("tiny")
    assert str(tiny[0].parent) in str(raised.value)


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown data set 'nope'; known: .*handwritten"):
        load_dataset("nope")
    with pytest.raises(ValueError, match="unknown data set"):
        dataset_info("nope")


def test_registry_contents():
    assert len(SETS) == 22
    rows = list_datasets()
    assert [row["name"] for row in rows[:22]] == SETS and rows[-1]["name"] == "handwritten-3v"
    assert set(rows[0]) == {"name", "n", "views", "dims", "classes", "present", "path"}
    info = dataset_info("Handwritten")
    assert info["name"] == "handwritten" and info["dims"] == [240, 76, 216, 47, 64, 6]
    assert {"acc", "acc_std", "nmi", "nmi_std"} <= set(info["kmeans_minmax_concat"])
    assert dataset_info("handwritten-3v")["dims"] == [76, 216, 240]
    info["dims"].append(1)
    assert dataset_info("handwritten")["dims"] == [240, 76, 216, 47, 64, 6]


def load_or_skip(name):
    try:
        return load_dataset(name)
    except FileNotFoundError:
        pytest.skip("benchmark data folder not found: set MVGRAPH_DATA to the folder with "
                    f"{REGISTRY[REGISTRY[name].get('source', name)]['file']}")


@pytest.mark.parametrize("name", SETS)
def test_real_sets_match_registry(name):
    data = load_or_skip(name)
    entry = REGISTRY[name]
    assert data.name == name
    assert (data.n_samples, data.n_views, data.dims, data.n_classes) == (
        entry["n"], entry["views"], entry["dims"], entry["classes"])
    np.testing.assert_array_equal(np.unique(data.labels), np.arange(entry["classes"]))


def test_handwritten_three_views():
    data = load_or_skip("handwritten-3v")
    full = load_dataset("handwritten")
    assert data.name == "handwritten-3v" and data.dims == [76, 216, 240]
    for got, source in zip(data.views, [1, 2, 0]):
        np.testing.assert_array_equal(got, full.views[source])
