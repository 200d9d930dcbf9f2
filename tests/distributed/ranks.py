"""Run a function on several local processes joined in a gloo process group."""

from __future__ import annotations

import os
import socket
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mvgraph.distributed import current_shard


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_ranks(function: Callable[..., Any], world_size: int, folder: Path, *args: Any,
              timeout: float = 300.0, collective_timeout: float = 120.0) -> list[Any]:
    """``function(shard, *args)`` on ``world_size`` spawned processes (one thread each);
    the list of their return values in rank order. A rank that raises fails the call
    with its traceback."""
    context = mp.get_context("spawn")
    port = free_port()
    processes = [
        context.Process(target=_rank_main, args=(rank, world_size, port, function, args,
                                                 folder, collective_timeout))
        for rank in range(world_size)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout)
    for process in processes:
        if process.is_alive():
            process.kill()
    failures = [(folder / f"rank{rank}.error") for rank in range(world_size)]
    for rank, failure in enumerate(failures):
        if failure.exists():
            raise AssertionError(f"rank {rank} failed:\n{failure.read_text()}")
    codes = [process.exitcode for process in processes]
    if any(code != 0 for code in codes):
        raise AssertionError(f"ranks exited with codes {codes}")
    return [torch.load(folder / f"rank{rank}.pt", weights_only=False)
            for rank in range(world_size)]


def _rank_main(rank: int, world_size: int, port: int, function: Callable[..., Any],
               args: tuple, folder: Path, collective_timeout: float) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    try:
        dist.init_process_group("gloo", rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=collective_timeout))
        result = function(current_shard(), *args)
        torch.save(result, folder / f"rank{rank}.pt")
        dist.barrier()
        dist.destroy_process_group()
    except BaseException:
        (folder / f"rank{rank}.error").write_text(traceback.format_exc())
        raise
