import json
import os
import stat

import numpy as np
import pytest
import torch

from mvgraph.utils import atomic_save_json, atomic_save_npy, atomic_torch_save, atomic_write


def test_roundtrips(tmp_path):
    atomic_save_json({"acc": np.float32(0.5), "labels": np.arange(3)}, tmp_path / "a" / "m.json")
    assert json.loads((tmp_path / "a" / "m.json").read_text()) == {"acc": 0.5, "labels": [0, 1, 2]}
    atomic_save_npy(np.arange(4), tmp_path / "l.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "l.npy"), np.arange(4))
    atomic_torch_save({"w": torch.ones(2)}, tmp_path / "c.pt")
    assert torch.load(tmp_path / "c.pt")["w"].sum() == 2


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target, "w") as handle:
            handle.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_unserialisable_json_is_an_error_not_a_partial_file(tmp_path):
    with pytest.raises(TypeError, match="cannot write"):
        atomic_save_json({"x": object()}, tmp_path / "bad.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_permissions_of_the_umask(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        atomic_save_json({"acc": 1.0}, tmp_path / "m.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == mode
