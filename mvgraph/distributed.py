r"""Data parallelism over ``torch.distributed``: which samples a process holds, and the
collectives that turn its partial results into global ones.

Samples are sharded by contiguous index ranges: of :math:`n` samples and :math:`W`
processes, rank :math:`r` holds rows :math:`[\lfloor rn/W \rfloor, \lfloor (r+1)n/W
\rfloor)` of every view (:func:`~mvgraph.data.shard_bounds`). A :class:`Shard` stands
for the process group and this process's place in it; its collectives are the identity
when the world size is 1, so code written against a :class:`Shard` runs unchanged on one
process.

Every global quantity is reduced from exact per-shard parts (sums, counts, minima,
maxima), never estimated from one shard; random draws over all samples (a k-means
subsample) are made identically on every rank from the shared seed and the rows they
pick are gathered (:meth:`Shard.gather_rows`).

A process group comes from the environment ``torchrun`` sets
(:func:`process_group_from_environment`:
``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``), gloo on CPUs and NCCL on
GPUs, with a timeout: a rank that dies or raises makes the others' next collective fail
(at once when its connections close, at the latest after the timeout) instead of
hanging.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import Tensor

# How long a collective waits for the other ranks before it fails.
DEFAULT_TIMEOUT = timedelta(minutes=5)


@contextmanager
def process_group_from_environment(backend: str | None = None,
                                   timeout: timedelta = DEFAULT_TIMEOUT) -> Iterator[Shard]:
    """Join the process group that ``torchrun`` describes in the environment for the
    ``with`` block, yielding this process's :class:`Shard`, and leave it at the end.
    Without ``WORLD_SIZE > 1`` (a plain run) nothing is joined and the single-process
    shard is yielded.

    Args:
        backend: ``"gloo"`` or ``"nccl"``; ``None``: NCCL when CUDA is available, else gloo.
        timeout: how long a collective waits for the other ranks before it fails.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        yield current_shard()
        return
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend, timeout=timeout)
    try:
        yield current_shard()
        dist.barrier()  # no rank leaves while another still exchanges or writes
    finally:
        dist.destroy_process_group()


def current_shard() -> Shard:
    """The shard of this process in the default process group, or the single-process
    shard when none is initialised."""
    if dist.is_available() and dist.is_initialized():
        device = (torch.device("cuda", torch.cuda.current_device())
                  if dist.get_backend() == "nccl" else torch.device("cpu"))
        return Shard(dist.get_rank(), dist.get_world_size(), device)
    return SINGLE_PROCESS


@dataclass(frozen=True)
class Shard:
    """This process's place among ``world_size`` processes, and the collectives over them.

    Every method is a collective: every rank must call it, in the same order. Tensors may
    live on any device the backend serves (CPU for gloo, CUDA for NCCL).

    Attributes:
        rank: this process, ``0 <= rank < world_size``.
        world_size: the number of processes; 1 makes every collective the identity.
        device: where the backend exchanges tensors (CPU for gloo, this rank's GPU for
            NCCL); tensors elsewhere are moved there and back.
    """

    rank: int
    world_size: int
    device: torch.device = torch.device("cpu")

    @property
    def is_distributed(self) -> bool:
        """Whether there are other processes."""
        return self.world_size > 1

    def all_sum(self, tensor: Tensor) -> Tensor:
        """The elementwise sum of ``tensor`` over the ranks (a new tensor; ``tensor``
        itself on one process, where there is nothing to add)."""
        return self._reduce(tensor, dist.ReduceOp.SUM)

    def all_min(self, tensor: Tensor) -> Tensor:
        """The elementwise minimum of ``tensor`` over the ranks (as :meth:`all_sum`)."""
        return self._reduce(tensor, dist.ReduceOp.MIN)

    def all_max(self, tensor: Tensor) -> Tensor:
        """The elementwise maximum of ``tensor`` over the ranks (as :meth:`all_sum`)."""
        return self._reduce(tensor, dist.ReduceOp.MAX)

    def total(self, count: int) -> int:
        """The sum of an integer over the ranks."""
        return int(self.all_sum(torch.tensor([count], dtype=torch.int64)))

    def broadcast(self, tensor: Tensor, source: int = 0) -> Tensor:
        """Rank ``source``'s ``tensor`` on every rank (same shape and dtype everywhere)."""
        if not self.is_distributed:
            return tensor
        exchanged = tensor.to(self.device, copy=True).contiguous()
        dist.broadcast(exchanged, source)
        return exchanged.to(tensor.device)

    def all_gather_rows(self, rows: Tensor) -> Tensor:
        """The concatenation, in rank order, of every rank's ``rows`` ``[n_r, ...]``
        (the row counts may differ; the trailing shape and dtype may not)."""
        if not self.is_distributed:
            return rows
        counts = [int(c) for c in self._gather_scalar(rows.shape[0])]
        padded = torch.zeros((max(counts), *rows.shape[1:]), dtype=rows.dtype,
                             device=self.device)
        padded[: rows.shape[0]] = rows
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded)
        gathered = torch.cat([part[:count] for part, count in zip(parts, counts, strict=True)])
        return gathered.to(rows.device)

    def gather_rows(self, local: Tensor, indices: Tensor) -> Tensor:
        """The rows at global ``indices`` on every rank, in the order of ``indices``:
        ``[len(indices), ...]``, each row contributed by the rank that holds it.

        Global row ``i`` is the ``i``-th of the ranks' ``local`` rows concatenated in rank
        order (the contiguous shards of :func:`~mvgraph.data.shard_bounds`, or any sizes);
        ``indices`` must be the same on every rank.
        """
        if not self.is_distributed:
            return local[indices]
        counts = self._gather_scalar(local.shape[0]).to(indices.device)
        starts = torch.cumsum(counts, 0) - counts
        owner = torch.searchsorted(starts, indices, right=True) - 1
        mine = indices[owner == self.rank] - starts[self.rank]
        gathered = self.all_gather_rows(local[mine.to(local.device)])
        order = torch.argsort(owner, stable=True)  # gathered rows come in rank order
        out = torch.empty_like(gathered)
        out[order.to(out.device)] = gathered
        return out

    def agree(self, failed: bool) -> bool:
        """Whether any rank ``failed``: a check that may fail on one shard only, made
        collective so that every rank raises (or none does)."""
        return self.total(int(failed)) > 0

    def _gather_scalar(self, value: int) -> Tensor:
        parts = [torch.zeros(1, dtype=torch.int64, device=self.device)
                 for _ in range(self.world_size)]
        dist.all_gather(parts, torch.tensor([value], dtype=torch.int64, device=self.device))
        return torch.cat(parts).cpu()

    def _reduce(self, tensor: Tensor, op: dist.ReduceOp) -> Tensor:
        if not self.is_distributed:
            return tensor
        exchanged = tensor.to(self.device, copy=True).contiguous()
        dist.all_reduce(exchanged, op)
        return exchanged.to(tensor.device)


# The shard of a process that works alone.
SINGLE_PROCESS = Shard(0, 1)
