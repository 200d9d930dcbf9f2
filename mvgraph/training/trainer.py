"""The trainer: runs a method's phases over aligned minibatches of its views.

A method describes its training as a list of :class:`Phase` objects (for example
``pretrain`` on reconstruction, then ``main`` on the joint loss). Each phase names the
parameters it optimises, the optimiser, and a loss function that maps a
:class:`Batch` to named loss terms. The trainer sums the terms, steps the optimiser,
records the mean of every term per epoch, evaluates clustering metrics when labels are
known (with two label-free health signs of the embedding: its spread and the clusters
its labels use, see :func:`embedding_health`), and stops with
:class:`NonFiniteLossError` naming the phase, epoch and term when a term turns NaN or
infinite. It writes checkpoints that resume a fit exactly and stops cleanly on SIGINT
or SIGTERM (see :class:`Trainer`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from mvgraph.metrics import evaluate
from mvgraph.training.checkpoint import CHECKPOINT_FORMAT, StopSignals, TrainingInterrupted
from mvgraph.utils import atomic_torch_save, global_rng_state, set_global_rng_state

OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
}


def make_optimizer(
    name: str, parameters: list[nn.Parameter], *, lr: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The optimiser ``name`` (a key of ``OPTIMIZERS``) over ``parameters``.

    Adam runs its fused kernel (one pass over all parameters per step instead of a chain
    of per-tensor operations: the same update, about 1.5x faster per step for the
    models here on a CPU) whenever every parameter is a floating-point tensor on the CPU
    or a CUDA device.
    """
    options: dict[str, Any] = {"lr": lr, "weight_decay": weight_decay}
    if name == "adam" and all(
        p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in parameters
    ):
        options["fused"] = True
    return OPTIMIZERS[name](parameters, **options)


def balanced_batch_size(n: int, batch_size: int) -> int:
    r"""Rows per batch that split ``n`` rows into as many batches as ``batch_size`` does,
    of (nearly) equal sizes: :math:`\lceil n / \lceil n / B \rceil \rceil`.

    No batch exceeds ``batch_size`` and none is a small remainder: ``n = 500``, ``B = 256``
    gives two batches of 250 rather than 256 + 244 (or 256 and a dropped remainder)."""
    return math.ceil(n / math.ceil(n / batch_size))


def epochs_for_steps(n: int, batch_size: int, steps: int, *, drop_last: bool = False) -> int:
    """The fewest epochs over ``n`` rows in batches of ``batch_size`` that take at least
    ``steps`` optimiser steps (with ``drop_last``, a short final batch is not a step)."""
    batches = n // batch_size if drop_last else math.ceil(n / batch_size)
    return math.ceil(steps / max(batches, 1))


def embedding_health(embedding: np.ndarray, labels: np.ndarray) -> dict[str, float | int]:
    r"""Label-free signs that an embedding has (not) collapsed.

    ``spread`` is the mean squared distance of the rows to their mean,
    :math:`\frac{1}{n}\sum_i \lVert \mathbf{z}_i - \bar{\mathbf{z}} \rVert^2` (at most 1
    for rows of unit norm; 0 when every row is the same point), and ``clusters`` the number
    of distinct ``labels``.

    Shapes:
        - **embedding:** :math:`(n, e)`
        - **labels:** :math:`(n,)`
    """
    centred = embedding - embedding.mean(0, dtype=np.float64)
    return {
        "spread": float(np.einsum("ij,ij->", centred, centred) / max(len(embedding), 1)),
        "clusters": int(np.unique(labels).size),
    }


class NonFiniteLossError(FloatingPointError):
    """A loss term became NaN or infinite during training."""


@dataclass
class Batch:
    """Aligned rows of every view.

    Attributes:
        index: positions of the rows in the full data set, shape ``[B]``.
        views: one tensor ``[B, d_v]`` per view, on the training device.
        presence: which row has which view, ``[B, V]`` booleans; ``None`` when every row
            has every view (see :mod:`mvgraph.utils.presence`).
    """

    index: Tensor
    views: list[Tensor]
    presence: Tensor | None = None

    def __len__(self) -> int:
        return int(self.index.numel())


@dataclass
class Phase:
    """One stage of training.

    Attributes:
        name: shown in progress bars and recorded in the history.
        epochs: passes over the data.
        loss: maps a batch to named loss terms (already weighted); their sum is minimised.
        parameters: what the optimiser updates.
        optimizer: ``"adam"`` or ``"rmsprop"``.
        lr: learning rate.
        weight_decay: L2 penalty passed to the optimiser.
        batch_size: rows per batch; ``None`` trains on the full data each step.
        shuffle: draw a new permutation every epoch.
        drop_last: skip the final short batch (contrastive losses need full batches).
        on_epoch_start: called with the epoch number before each epoch (for example to
            refresh anchors from the current embedding).
        scheduler: builds a learning-rate scheduler from the optimiser; stepped after
            every epoch, or after every optimiser step when ``step_scheduler_per_batch``.
        eval_every: epochs between metric evaluations in this phase; ``None`` uses the
            trainer's (the last epoch is always evaluated).
        state: what the phase's callables carry between steps and epochs outside the
            module (for example the anchors of the epoch); tensors and plain values only,
            so that a checkpoint can hold it and a resumed fit gets it back.
    """

    name: str
    epochs: int
    loss: Callable[[Batch], Mapping[str, Tensor]]
    parameters: Iterable[nn.Parameter]
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int | None = None
    shuffle: bool = True
    drop_last: bool = False
    on_epoch_start: Callable[[int], None] | None = None
    scheduler: Callable[[torch.optim.Optimizer], torch.optim.lr_scheduler.LRScheduler] | None = (
        None
    )
    step_scheduler_per_batch: bool = False
    eval_every: int | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.epochs < 0:
            raise ValueError(f"epochs of phase {self.name!r} must be >= 0; got {self.epochs}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"optimizer of phase {self.name!r} must be one of {sorted(OPTIMIZERS)}; "
                f"got {self.optimizer!r}"
            )
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(
                f"batch_size of phase {self.name!r} must be >= 1 or None; got {self.batch_size}"
            )
        self.parameters = list(self.parameters)


class Trainer:
    """Runs phases over a list of aligned view tensors.

    With ``checkpoint_path`` set, the whole training state is written there atomically
    every ``checkpoint_every`` optimiser steps, at the end of every phase and when a
    SIGINT or SIGTERM arrives: the module, the optimiser and scheduler, the permutation
    generator and the global generators, each phase's ``state``, the position (phase,
    epoch, batch) with the epoch's permutation and partial sums, and the history.
    ``fit(..., resume=checkpoint["training"])`` continues from it and ends with the
    same parameters, bit for bit, as a run never stopped (on the same machine, build and
    thread count). A signal during :meth:`fit` lets the current step finish, writes the
    checkpoint and raises :class:`~mvgraph.training.checkpoint.TrainingInterrupted`.

    Args:
        verbose: 0 silent; 1 one progress bar per phase (epochs, loss, time left);
            ``None`` progress bars when the output is a terminal.
        random_state: seeds the minibatch permutations.
        eval_every: evaluate metrics every this many epochs when labels are given
            (0 disables; the last epoch of every phase is always evaluated).
        checkpoint_path: where checkpoints go; ``None`` writes none.
        checkpoint_every: optimiser steps between checkpoints.
        checkpoint_context: entries written beside the training state in every
            checkpoint (an estimator's fingerprint and restart bookkeeping).
        description: prefix of the progress bars' labels (for example the restart).
    """

    def __init__(
        self,
        *,
        verbose: int | None = 1,
        random_state: int | None = None,
        eval_every: int = 1,
        checkpoint_path: str | Path | None = None,
        checkpoint_every: int = 200,
        checkpoint_context: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> None:
        self.verbose = verbose
        self.random_state = random_state
        self.eval_every = eval_every
        self.checkpoint_path = None if checkpoint_path is None else Path(checkpoint_path)
        self.checkpoint_every = max(1, checkpoint_every)
        self.checkpoint_context = dict(checkpoint_context or {})
        self.description = description

    def fit(
        self,
        module: nn.Module,
        phases: list[Phase],
        views: list[Tensor],
        *,
        labels: np.ndarray | None = None,
        predict: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
        resume: Mapping[str, Any] | None = None,
        presence: Tensor | None = None,
    ) -> list[dict[str, float | int | str]]:
        """Train ``module`` through ``phases`` and return the per-epoch history.

        Args:
            module: the model; put in train mode for steps, eval mode for ``predict``.
            phases: run in order.
            views: full-data tensors ``[n, d_v]`` on the training device.
            labels: ground truth ``[n]``; when given with ``predict``, the metrics and
                :func:`embedding_health` are recorded in the history at evaluated epochs.
            predict: returns the embedding ``[n, e]`` and cluster labels ``[n]`` for the
                current model state.
            resume: the ``"training"`` entry of a checkpoint of this training (same
                module, phases and views); training continues where it stopped.
            presence: which sample has which view ``[n, V]`` (``None``: all of them);
                every batch carries its rows of it.
        """
        device = views[0].device
        generator = torch.Generator().manual_seed(
            0 if self.random_state is None else int(self.random_state)
        )
        history: list[dict[str, float | int | str]] = []
        start = (0, 0, 0)
        if resume is not None:
            module.load_state_dict(resume["module"])
            generator.set_state(resume["generator"])
            set_global_rng_state(resume["rng"])
            history = list(resume["history"])
            for phase, state in zip(phases, resume["phase_states"]):
                phase.state.update(_to_device(state, device))
            start = tuple(resume["position"])
        self._since_checkpoint = 0
        with StopSignals() as stop:
            for p in range(start[0], len(phases)):
                phase = phases[p]
                optimizer = make_optimizer(
                    phase.optimizer, phase.parameters, lr=phase.lr,
                    weight_decay=phase.weight_decay,
                )
                scheduler = phase.scheduler(optimizer) if phase.scheduler is not None else None
                first_epoch, partial = 0, None
                if resume is not None and p == start[0]:
                    if resume["optimizer"] is not None:
                        optimizer.load_state_dict(resume["optimizer"])
                    if scheduler is not None and resume["scheduler"] is not None:
                        scheduler.load_state_dict(resume["scheduler"])
                    first_epoch = start[1]
                    partial = resume["epoch"] if start[2] > 0 else None
                bar = tqdm(range(first_epoch, phase.epochs), initial=first_epoch,
                           total=phase.epochs, desc=self.description + phase.name,
                           disable=None if self.verbose is None else self.verbose < 1,
                           leave=False)
                for epoch in bar:
                    start_time = time.perf_counter()
                    if partial is None:
                        if phase.on_epoch_start is not None:
                            phase.on_epoch_start(epoch)
                        order = self._order(views[0].shape[0], phase, generator)
                        sums: dict[str, Tensor] = {}
                        finite_flags: list[tuple[list[str], Tensor]] = []
                        steps = 0
                    else:
                        order = partial["order"]
                        sums = _to_device(partial["sums"], device)
                        finite_flags = list(partial["finite"])
                        steps = int(partial["steps"])
                        partial = None
                    module.train()
                    for batch in self._batches(views, presence, order, phase, skip=steps):
                        terms = phase.loss(batch)
                        if not terms:
                            raise ValueError(
                                f"the loss of phase {phase.name!r} returned no terms"
                            )
                        total = sum(terms.values())
                        optimizer.zero_grad(set_to_none=True)
                        total.backward()
                        optimizer.step()
                        if scheduler is not None and phase.step_scheduler_per_batch:
                            scheduler.step()
                        named = {**terms, "loss": total}
                        values = torch.stack(
                            [value.detach().reshape(()) for value in named.values()]
                        )
                        finite_flags.append((list(named), torch.isfinite(values)))
                        for key, value in zip(named, values):
                            sums[key] = sums[key] + value if key in sums else value
                        steps += 1
                        self._since_checkpoint += 1
                        if stop.received is not None or (
                            self._since_checkpoint >= self.checkpoint_every
                        ):
                            self._save(module, phases, history, generator, (p, epoch, steps),
                                       optimizer, scheduler,
                                       {"order": order, "sums": sums, "finite": finite_flags,
                                        "steps": steps})
                        if stop.received is not None:
                            raise TrainingInterrupted(stop.received, self.checkpoint_path)
                    means = self._checked_means(sums, steps, finite_flags, phase, epoch)
                    if scheduler is not None and not phase.step_scheduler_per_batch:
                        scheduler.step()
                    record: dict[str, float | int | str] = {"phase": phase.name, "epoch": epoch}
                    record.update(means)
                    record["seconds"] = time.perf_counter() - start_time
                    last = epoch == phase.epochs - 1
                    every = self.eval_every if phase.eval_every is None else phase.eval_every
                    if labels is not None and predict is not None and (
                        last or (every > 0 and (epoch + 1) % every == 0)
                    ):
                        module.eval()
                        with torch.no_grad():
                            embedding, predicted = predict()
                        record.update(evaluate(labels, predicted))
                        record.update(embedding_health(embedding, predicted))
                    history.append(record)
                    bar.set_postfix(loss=f"{record.get('loss', float('nan')):.4g}")
                    if stop.received is not None and not last:
                        self._save(module, phases, history, generator, (p, epoch + 1, 0),
                                   optimizer, scheduler)
                        raise TrainingInterrupted(stop.received, self.checkpoint_path)
                self._save(module, phases, history, generator, (p + 1, 0, 0))
                if stop.received is not None:
                    raise TrainingInterrupted(stop.received, self.checkpoint_path)
        module.eval()
        return history

    def _save(
        self,
        module: nn.Module,
        phases: list[Phase],
        history: list[dict],
        generator: torch.Generator,
        position: tuple[int, int, int],
        optimizer: torch.optim.Optimizer | None = None,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        epoch: Mapping[str, Any] | None = None,
    ) -> None:
        """Write the training state at ``position`` (phase, epoch, steps done in the
        epoch) atomically to ``checkpoint_path``; nothing when there is none."""
        self._since_checkpoint = 0
        if self.checkpoint_path is None:
            return
        training = {
            "position": list(position),
            "module": module.state_dict(),
            "optimizer": None if optimizer is None else optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "generator": generator.get_state(),
            "rng": global_rng_state(),
            "history": history,
            "phase_states": [dict(phase.state) for phase in phases],
            "epoch": epoch,
        }
        atomic_torch_save(
            {"format": CHECKPOINT_FORMAT, **self.checkpoint_context, "training": training},
            self.checkpoint_path,
        )

    @staticmethod
    def _order(n: int, phase: Phase, generator: torch.Generator) -> Tensor | None:
        """The epoch's row order: a permutation when the phase shuffles minibatches,
        ``None`` for full-batch or unshuffled training."""
        if phase.batch_size is None or phase.batch_size >= n or not phase.shuffle:
            return None
        return torch.randperm(n, generator=generator)

    @staticmethod
    def _batches(
        views: list[Tensor], presence: Tensor | None, order: Tensor | None, phase: Phase, *,
        skip: int = 0,
    ) -> Iterator[Batch]:
        """The epoch's minibatches in ``order`` (rows in order when ``None``), from the
        ``skip``-th on."""
        n = views[0].shape[0]
        device = views[0].device
        if phase.batch_size is None or phase.batch_size >= n:
            if skip == 0:
                yield Batch(torch.arange(n, device=device), views, presence)
            return
        order = (torch.arange(n) if order is None else order).to(device)
        stop = n - n % phase.batch_size if phase.drop_last else n
        for begin in range(skip * phase.batch_size, stop, phase.batch_size):
            index = order[begin : begin + phase.batch_size]
            yield Batch(index, [view[index] for view in views],
                        None if presence is None else presence[index])

    @staticmethod
    def _checked_means(
        sums: Mapping[str, Tensor],
        steps: int,
        finite_flags: list[tuple[list[str], Tensor]],
        phase: Phase,
        epoch: int,
    ) -> dict[str, float]:
        """Epoch means of the loss terms, with one device synchronisation per epoch.

        A non-finite term poisons the parameters and then every later term, so the
        error names the terms that were non-finite in the first batch that had any.
        """
        means = {key: float(value) / max(steps, 1) for key, value in sums.items()}
        if all(math.isfinite(value) for value in means.values()):
            return means
        batch_number, keys, flags = next(
            (number, keys, flags)
            for number, (keys, flags) in enumerate(finite_flags)
            if not bool(flags.all())
        )
        bad = [key for key, ok in zip(keys, flags.tolist()) if not ok]
        raise NonFiniteLossError(
            f"loss term {bad[0]!r} became non-finite in phase {phase.name!r} at epoch {epoch} "
            f"(batch {batch_number}; non-finite terms: {bad}); "
            "lower the learning rate or check the input scaling"
        )


def _to_device(values: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    """``values`` with every tensor moved to ``device``."""
    return {key: value.to(device) if isinstance(value, Tensor) else value
            for key, value in values.items()}
