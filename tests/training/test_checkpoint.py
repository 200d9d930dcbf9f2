"""Checkpoints read back without running code, and the signals that end a fit in one."""

import datetime
import signal
import threading
from pathlib import Path

import pytest
import torch

from mvgraph.training.checkpoint import (
    CHECKPOINT_FORMAT,
    StopSignals,
    TrainingInterrupted,
    load_checkpoint,
)


def test_a_checkpoint_reads_back_with_its_tensors_on_the_cpu(tmp_path):
    path = tmp_path / "fit.ckpt"
    saved = {"format": CHECKPOINT_FORMAT, "weights": {"w": torch.arange(6.0).view(2, 3)},
             "position": [1, 0, 4], "losses": [0.5, float("nan")]}
    torch.save(saved, path)
    loaded = load_checkpoint(str(path))
    assert loaded["format"] == 1 and loaded["position"] == [1, 0, 4]
    assert torch.equal(loaded["weights"]["w"], saved["weights"]["w"])
    assert loaded["weights"]["w"].device == torch.device("cpu")
    assert load_checkpoint(path)["losses"][0] == 0.5


@pytest.mark.parametrize("content", [{"format": 0}, {"format": "1"}, {"weights": {}}, [1],
                                     torch.zeros(2)])
def test_a_readable_file_of_another_format_is_refused(tmp_path, content):
    path = tmp_path / "other.pt"
    torch.save(content, path)
    with pytest.raises(ValueError) as raised:
        load_checkpoint(path)
    assert str(raised.value) == f"checkpoint_path '{path}' is not an mvgraph checkpoint of format 1"


def test_an_unreadable_file_is_refused_in_one_line_keeping_the_cause(tmp_path):
    path = tmp_path / "garbage.pt"
    path.write_bytes(b"not a checkpoint\nat all")
    with pytest.raises(ValueError) as raised:
        load_checkpoint(path)
    message = str(raised.value)
    assert message.startswith(f"checkpoint_path '{path}' is not a readable mvgraph checkpoint: ")
    assert "\n" not in message and raised.value.__cause__ is not None


def test_a_truncated_checkpoint_is_refused(tmp_path):
    path = tmp_path / "cut.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "w": torch.zeros(1000)}, path)
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="is not a readable mvgraph checkpoint"):
        load_checkpoint(path)


def test_content_that_would_run_code_is_not_loaded(tmp_path):
    # a weights-only load refuses any class outside torch's allow-list
    path = tmp_path / "unsafe.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "when": datetime.date(2024, 1, 1)}, path)
    with pytest.raises(ValueError, match="is not a readable mvgraph checkpoint"):
        load_checkpoint(path)


def test_training_interrupted_names_the_signal_and_where_to_resume():
    stopped = TrainingInterrupted(signal.SIGTERM, Path("/runs/fit.ckpt"))
    assert isinstance(stopped, KeyboardInterrupt)
    assert stopped.signal_number == signal.SIGTERM
    assert stopped.checkpoint_path == Path("/runs/fit.ckpt")
    assert str(stopped) == "training stopped on SIGTERM; resume from the checkpoint /runs/fit.ckpt"
    bare = TrainingInterrupted(signal.SIGINT, None)
    assert str(bare) == "training stopped on SIGINT" and bare.checkpoint_path is None


@pytest.fixture
def recorders():
    """SIGINT and SIGTERM handled by recorders while the test runs (so a signal that
    StopSignals failed to catch neither stops the tests nor goes unseen); the handlers of
    before are put back afterwards."""
    seen = []

    def record(number, frame):
        seen.append(number)

    previous = {number: signal.signal(number, record) for number in
                (signal.SIGINT, signal.SIGTERM)}
    yield record, seen
    for number, handler in previous.items():
        signal.signal(number, handler)


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_is_recorded_instead_of_stopping_and_the_handlers_come_back(recorders,
                                                                            number):
    record, seen = recorders
    with StopSignals() as stop:
        assert stop.received is None
        assert signal.getsignal(signal.SIGINT) is not record
        assert signal.getsignal(signal.SIGTERM) is not record
        signal.raise_signal(number)
        assert stop.received == number
    assert seen == []
    assert signal.getsignal(signal.SIGINT) is record
    assert signal.getsignal(signal.SIGTERM) is record


def test_a_second_signal_stops_at_once_and_restores_the_handlers(recorders):
    record, seen = recorders
    with pytest.raises(KeyboardInterrupt), StopSignals() as stop:
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
        pytest.fail("the second signal did not stop the block")
    assert stop.received == signal.SIGTERM
    assert signal.getsignal(signal.SIGINT) is record
    assert signal.getsignal(signal.SIGTERM) is record
    signal.raise_signal(signal.SIGTERM)  # the restored handler answers
    assert seen == [signal.SIGTERM]


def test_an_ignored_signal_stays_ignored(recorders):
    record, _ = recorders
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with StopSignals() as stop:
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is not record
        signal.raise_signal(signal.SIGINT)
        assert stop.received is None
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is record


def test_outside_the_main_thread_nothing_is_installed(recorders):
    record, _ = recorders
    outcome = {}

    def enter_and_look():
        with StopSignals() as stop:
            outcome["handlers"] = (signal.getsignal(signal.SIGINT),
                                   signal.getsignal(signal.SIGTERM))
            outcome["received"] = stop.received

    thread = threading.Thread(target=enter_and_look)
    thread.start()
    thread.join()
    assert outcome == {"handlers": (record, record), "received": None}
