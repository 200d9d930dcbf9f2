"""Checkpoints that resume a fit exactly, and interrupts that end in one.

A checkpoint is a dictionary of tensors and plain values written atomically with
``torch.save`` and read back with ``weights_only=True``: loading one never runs code.
:class:`StopSignals` turns SIGINT and SIGTERM into a request that the trainer honours
after the current optimiser step, by writing a checkpoint and raising
:class:`TrainingInterrupted`; a second signal stops at once.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import torch

# Bumped when the layout of a checkpoint changes; older files are refused.
CHECKPOINT_FORMAT = 1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal after a whole step.

    Attributes:
        signal_number: the signal received (``signal.SIGINT`` or ``signal.SIGTERM``).
        checkpoint_path: where the state to resume from was written, or ``None`` when the
            fit had no ``checkpoint_path``.
    """

    def __init__(self, signal_number: int, checkpoint_path: Path | None) -> None:
        self.signal_number = signal_number
        self.checkpoint_path = checkpoint_path
        where = f"; resume from the checkpoint {checkpoint_path}" if checkpoint_path else ""
        super().__init__(f"training stopped on {signal.Signals(signal_number).name}{where}")


class StopSignals:
    """While active, SIGINT and SIGTERM set :attr:`received` instead of stopping the
    process; a second signal restores the previous handlers and raises
    ``KeyboardInterrupt`` at once. A signal the process ignores (as a shell's background
    job ignores SIGINT) stays ignored; outside the main thread (where Python cannot
    install handlers) it does nothing."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._handle)
                              for number in STOP_SIGNALS
                              if signal.getsignal(number) is not signal.SIG_IGN}
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._restore()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.received is not None:
            self._restore()
            raise KeyboardInterrupt
        self.received = number

    def _restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by the trainer (tensors land on the CPU).

    Raises:
        ValueError: the file is not a checkpoint of this format.
    """
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated file, another format, unsafe content
        raise ValueError(f"checkpoint_path '{path}' is not a readable mvgraph checkpoint: "
                         f"{str(error).splitlines()[0] if str(error) else type(error).__name__}"
                         ) from error
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"checkpoint_path '{path}' is not an mvgraph checkpoint of format "
                         f"{CHECKPOINT_FORMAT}")
    return checkpoint
