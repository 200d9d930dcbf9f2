"""``torchrun --nproc_per_node=2 -m mvgraph fit``: every rank fits its shard of the file,
rank 0 writes the results of the whole data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from ranks import free_port

from mvgraph.data import make_multiview_blobs, save_npz
from mvgraph.metrics import ari

TORCHRUN = Path(sys.executable).with_name("torchrun")


def torchrun(*args: str) -> subprocess.CompletedProcess:
    command = [str(TORCHRUN), "--nproc_per_node=2", "--master_addr=127.0.0.1",
               f"--master_port={free_port()}", "-m", "mvgraph", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "blobs.npz"
    save_npz(make_multiview_blobs(3001, n_views=2, n_clusters=4, dims=[6, 9], noise=0.5,
                                  random_state=2), path)
    return path


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside python")
@pytest.mark.parametrize("method", ["anchor-spectral", "concat-kmeans"])
def test_torchrun_fit_writes_the_whole_result_once(method, data_file, tmp_path):
    single = subprocess.run([sys.executable, "-m", "mvgraph", "fit", method, "--data",
                             str(data_file), "--out", str(tmp_path / "one")],
                            capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr
    both = torchrun("fit", method, "--data", str(data_file), "--out", str(tmp_path / "two"))
    assert both.returncode == 0, both.stderr
    assert both.stdout.count("results written to") == 1
    metrics = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert metrics["n_samples"] == 3001
    labels = np.load(tmp_path / "two" / "labels.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "two" / "labels_true.npy"),
                                  np.load(tmp_path / "one" / "labels_true.npy"))
    assert ari(np.load(tmp_path / "one" / "labels.npy"), labels) >= 0.99


@pytest.mark.skipif(not TORCHRUN.exists(), reason="torchrun is not installed beside python")
def test_torchrun_refuses_a_method_that_cannot_run_distributed(data_file, tmp_path):
    result = torchrun("fit", "crrc", "--data", str(data_file), "--out", str(tmp_path))
    assert result.returncode != 0
    message = ("mvgraph: error: CRRC does not run on several processes (world size 2); run it "
               "in one process, or use one of anchor-spectral, concat-kmeans")
    assert result.stderr.count(message) == 2  # one line from each rank
    assert not (tmp_path / "metrics.json").exists()


def test_bench_refuses_to_run_under_torchrun(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    code, _, err = run_cli(capsys, "bench", "--methods", "concat-kmeans", "--datasets",
                           "synthetic:n=60", "--out", str(tmp_path))
    assert code == 2
    assert err == ("mvgraph: error: bench runs its fits in processes of its own (--jobs); "
                   "start it without torchrun (fit runs under torchrun)\n")
