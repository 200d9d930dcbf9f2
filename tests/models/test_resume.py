"""Checkpoints, interrupts and determinism: a fit stopped by a signal and resumed from its
checkpoint ends exactly as an uninterrupted one, in every deep method."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mvgraph import CONAN, CRRC, DMAC, RAV, BMvC
from mvgraph.cli import main
from mvgraph.data import make_incomplete
from mvgraph.training import Trainer, TrainingInterrupted, load_checkpoint

# Small schedules with minibatches, two phases where the method has two, two restarts.
SMALL = {
    CRRC: dict(pretrain_epochs=2, epochs=3, batch_size=64),
    RAV: dict(pretrain_epochs=2, epochs=3, batch_size=64, weight_samples=50),
    BMvC: dict(epochs=4, batch_size=64),
    CONAN: dict(epochs=3, batch_size=64),
    DMAC: dict(pretrain_epochs=2, epochs=3, batch_size=64),
}


@pytest.fixture(autouse=True)
def interruptible():
    """SIGINT raises KeyboardInterrupt, also where the tests run as a background job
    (which ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


BLOBS = dict(n_samples=300, n_views=3, n_clusters=4, dims=[10, 6, 8], noise=0.3,
             random_state=2)


def interrupt_at_step(monkeypatch, step: int | None) -> list[int]:
    """Send this process a SIGINT while the trainer takes its ``step``-th minibatch
    (counted over phases and restarts; ``None``: only count). Returns the count."""
    batches = Trainer._batches
    taken = [0]

    def counted(*args, **kwargs):
        for batch in batches(*args, **kwargs):
            taken[0] += 1
            if taken[0] == step:
                os.kill(os.getpid(), signal.SIGINT)
            yield batch

    monkeypatch.setattr(Trainer, "_batches", staticmethod(counted))
    return taken


def fitted_state(model):
    history = [{key: value for key, value in record.items() if key != "seconds"}
               for record in model.history_]
    return model.labels_, model.embedding_, history, model.restart_losses_


@pytest.mark.filterwarnings("ignore::mvgraph.EmptyClustersWarning")  # short schedules
@pytest.mark.parametrize("missing_rate", [0.0, 0.4])
@pytest.mark.parametrize("method", list(SMALL), ids=lambda method: method.__name__)
def test_interrupted_fit_resumes_to_the_uninterrupted_result(method, missing_rate, blobs,
                                                              tmp_path, monkeypatch):
    blobs = make_incomplete(blobs, missing_rate, random_state=0)
    options = dict(n_clusters=4, random_state=0, n_restarts=2, **SMALL[method])
    taken = interrupt_at_step(monkeypatch, None)
    reference = method(**options).fit(blobs, blobs.labels)
    monkeypatch.undo()
    # the signal lands in the second restart, mid-epoch (3 of every 4 steps of the
    # restart are in its last phase), after the first restart was kept
    interrupt_at_step(monkeypatch, taken[0] * 3 // 4 + 2)
    path = tmp_path / "fit.ckpt"
    with pytest.raises(TrainingInterrupted) as stopped:
        method(**options, checkpoint_path=str(path)).fit(blobs, blobs.labels)
    assert stopped.value.signal_number == signal.SIGINT
    assert stopped.value.checkpoint_path == path and path.exists()
    assert load_checkpoint(path)["restart_losses"], "the first restart is in the checkpoint"
    monkeypatch.undo()
    resumed = method(**options, checkpoint_path=str(path)).fit(blobs, blobs.labels)
    for got, expected in zip(fitted_state(resumed), fitted_state(reference)):
        np.testing.assert_equal(got, expected)
    assert resumed.best_restart_ == reference.best_restart_


def test_signal_between_steps_stops_at_the_next_one(blobs, tmp_path, monkeypatch):
    options = dict(n_clusters=4, random_state=0, **SMALL[CRRC])
    reference = CRRC(**options).fit(blobs)
    interrupt_at_step(monkeypatch, 1)
    path = tmp_path / "fit.ckpt"
    with pytest.raises(TrainingInterrupted):
        CRRC(**options, checkpoint_path=path).fit(blobs)
    assert load_checkpoint(path)["training"]["position"] == [0, 0, 1]
    monkeypatch.undo()
    np.testing.assert_array_equal(CRRC(**options, checkpoint_path=path).fit(blobs).embedding_,
                                  reference.embedding_)


def test_interrupt_without_checkpoint_path_still_stops_cleanly(blobs, monkeypatch):
    interrupt_at_step(monkeypatch, 2)
    with pytest.raises(TrainingInterrupted) as stopped:
        CRRC(n_clusters=4, random_state=0, **SMALL[CRRC]).fit(blobs)
    assert stopped.value.checkpoint_path is None
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_checkpoint_of_another_fit_is_refused(blobs, tmp_path):
    path = tmp_path / "fit.ckpt"
    CRRC(n_clusters=4, random_state=0, checkpoint_path=path, **SMALL[CRRC]).fit(blobs)
    changed = {**SMALL[CRRC], "epochs": 5}
    with pytest.raises(ValueError, match=r"another fit: epochs=3 in the checkpoint, 5 now"):
        CRRC(n_clusters=4, random_state=0, checkpoint_path=path, **changed).fit(blobs)
    reversed_rows = [view[::-1].copy() for view in blobs.views]
    with pytest.raises(ValueError, match="the scaled training data differ"):
        CRRC(n_clusters=4, random_state=0, checkpoint_path=path,
             **SMALL[CRRC]).fit(reversed_rows)
    with pytest.raises(ValueError, match=r"samples 300 in the checkpoint, 200 now"):
        CRRC(n_clusters=4, random_state=0, checkpoint_path=path,
             **SMALL[CRRC]).fit([view[:200] for view in blobs.views])
    # another verbosity is the same fit
    CRRC(n_clusters=4, random_state=0, checkpoint_path=path, verbose=0,
         **SMALL[CRRC]).fit(blobs)
    # the presence mask is part of the training data
    tensors = [torch.ones(4, 2)]
    mask = torch.tensor([[True], [True], [False], [True]])
    fingerprint = CRRC(2)._fingerprint
    assert fingerprint(tensors, mask)["data"] != fingerprint(tensors, None)["data"]


def test_a_file_that_is_no_checkpoint_is_refused(blobs, tmp_path):
    path = tmp_path / "fit.ckpt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="is not a readable mvgraph checkpoint"):
        CRRC(n_clusters=4, checkpoint_path=path, **SMALL[CRRC]).fit(blobs)
    torch.save({"format": 0}, path)
    with pytest.raises(ValueError, match="not an mvgraph checkpoint of format 1"):
        CRRC(n_clusters=4, checkpoint_path=path, **SMALL[CRRC]).fit(blobs)


def test_deterministic_fits_are_byte_identical_and_restore_the_threads(blobs):
    threads = torch.get_num_threads()
    fits = [DMAC(n_clusters=4, random_state=3, deterministic=True, **SMALL[DMAC]).fit(blobs)
            for _ in range(2)]
    assert fits[0].embedding_.tobytes() == fits[1].embedding_.tobytes()
    assert fits[0].labels_.tobytes() == fits[1].labels_.tobytes()
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


# A command line fit of a few seconds that writes a checkpoint every 3 of its 34 steps.
FIT = ["fit", "crrc", "--data", "synthetic:n=300,views=2,clusters=3", "--seed", "1",
       "--set", "pretrain_epochs=2", "--set", "epochs=6", "--set", "batch_size=64",
       "--set", "checkpoint_every=3", "--deterministic", "--quiet"]


def start_cli(*args: str) -> subprocess.Popen:
    """``mvgraph ARGS`` in a process that SIGINT interrupts (as in a terminal)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mvgraph.cli", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(condition, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert process.poll() is None, f"the fit ended before {what}: {process.communicate()}"
        assert time.monotonic() < deadline, f"no {what} after 120 s"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def uninterrupted_labels(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    finished = start_cli(*FIT, "--out", str(out))
    assert finished.wait(timeout=300) == 0, finished.communicate()
    assert not (out / "checkpoint.pt").exists(), "a finished fit removes its checkpoint"
    return np.load(out / "labels.npy")


def test_killed_fit_resumes_to_the_labels_of_an_uninterrupted_one(uninterrupted_labels,
                                                                   tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    process = start_cli(*FIT, "--out", str(tmp_path))
    wait_for(checkpoint.exists, process, "checkpoint")
    process.kill()
    process.wait(timeout=60)
    assert not (tmp_path / "labels.npy").exists()
    resumed = start_cli(*FIT, "--out", str(tmp_path), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), uninterrupted_labels)


@pytest.mark.parametrize("number, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_fit_saves_and_exits_with_one_line(number, status, uninterrupted_labels,
                                                      tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    process = start_cli(*FIT, "--out", str(tmp_path))
    wait_for(checkpoint.exists, process, "checkpoint")
    process.send_signal(number)
    out, err = process.communicate(timeout=120)
    assert process.returncode == status
    assert err.strip().splitlines() == [
        f"mvgraph: interrupted by {signal.Signals(number).name}; the fit is saved in "
        f"{checkpoint}: run the same command with --resume to continue it"
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["checkpoint.pt"]
    resumed = start_cli(*FIT, "--out", str(tmp_path), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), uninterrupted_labels)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc (Linux)")
def test_ctrl_c_while_importing_torch_exits_with_one_line(tmp_path):
    process = start_cli(*FIT, "--out", str(tmp_path))
    maps = Path(f"/proc/{process.pid}/maps")
    wait_for(lambda: "libtorch" in maps.read_text(), process, "torch import")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("mvgraph: interrupted by SIGINT")
    assert not (tmp_path / "labels.npy").exists() and not (tmp_path / "metrics.json").exists()


def test_checkpoint_options_are_checked_before_any_fit(tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_bytes(b"")
    assert main([*FIT, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"mvgraph: error: the checkpoint '{tmp_path / 'checkpoint.pt'}' holds an unfinished "
        "fit: pass --resume to continue it, or remove it to start afresh\n")
    assert main([*FIT, "--out", str(tmp_path / "new"), "--resume"]) == 2
    assert "--resume: there is no checkpoint at" in capsys.readouterr().err
    assert main(["fit", "concat-kmeans", "--data", "synthetic:n=300", "--resume",
                 "--out", str(tmp_path)]) == 2
    assert "concat-kmeans has no training to checkpoint" in capsys.readouterr().err
    assert main([*FIT, "--out", str(tmp_path), "--checkpoint", str(tmp_path)]) == 2
    assert "--checkpoint must name a file" in capsys.readouterr().err


def test_interrupted_bench_resumes_without_losing_a_finished_run(tmp_path):
    bench = ["bench", "--methods", "crrc", "--datasets", "synthetic:n=300,views=2,clusters=3",
             "--seeds", "3", "--set", "pretrain_epochs=2", "--set", "epochs=10",
             "--name", "b", "--out", str(tmp_path)]
    results = tmp_path / "b.json"

    def finished_runs() -> list[dict]:
        return json.loads(results.read_text())["runs"] if results.exists() else []

    process = start_cli(*bench)
    wait_for(lambda: len(finished_runs()) >= 1, process, "a finished run")
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=120)
    assert process.returncode == 130
    kept = finished_runs()
    assert 1 <= len(kept) < 3
    resumed = start_cli(*bench, "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.communicate()
    runs = finished_runs()
    assert [run["seed"] for run in runs] == [0, 1, 2]
    assert runs[: len(kept)] == kept  # the finished runs were kept, not run again
