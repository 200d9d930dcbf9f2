"""The trainer: runs a method's phases over aligned minibatches of its views.

A method describes its training as a list of :class:`Phase` objects (for example
``pretrain`` on reconstruction, then ``main`` on the joint loss). Each phase names the
parameters it optimises, the optimiser, and a loss function that maps a
:class:`Batch` to named loss terms. The trainer sums the terms, steps the optimiser,
records the mean of every term per epoch, evaluates clustering metrics when labels are
known (with two label-free health signs of the embedding: its spread and the clusters
its labels use, see :func:`embedding_health`), and stops with
:class:`NonFiniteLossError` naming the phase, epoch and term when a term turns NaN or
infinite.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from mvgraph.metrics import evaluate
from mvgraph.utils import atomic_torch_save

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
    """

    index: Tensor
    views: list[Tensor]

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

    Args:
        verbose: 0 silent, 1 one progress bar per phase.
        random_state: seeds the minibatch permutations.
        eval_every: evaluate metrics every this many epochs when labels are given
            (0 disables; the last epoch of every phase is always evaluated).
        checkpoint_path: if set, a checkpoint (model state, phase, epoch, history) is
            written atomically there after every ``checkpoint_every`` epochs and at the
            end of every phase.
        checkpoint_every: epochs between checkpoints.
    """

    def __init__(
        self,
        *,
        verbose: int = 1,
        random_state: int | None = None,
        eval_every: int = 1,
        checkpoint_path: str | Path | None = None,
        checkpoint_every: int = 10,
    ) -> None:
        self.verbose = verbose
        self.random_state = random_state
        self.eval_every = eval_every
        self.checkpoint_path = None if checkpoint_path is None else Path(checkpoint_path)
        self.checkpoint_every = max(1, checkpoint_every)

    def fit(
        self,
        module: nn.Module,
        phases: list[Phase],
        views: list[Tensor],
        *,
        labels: np.ndarray | None = None,
        predict: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None,
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
        """
        n = views[0].shape[0]
        generator = torch.Generator().manual_seed(
            0 if self.random_state is None else int(self.random_state)
        )
        history: list[dict[str, float | int | str]] = []
        for phase in phases:
            optimizer = make_optimizer(
                phase.optimizer, phase.parameters, lr=phase.lr, weight_decay=phase.weight_decay
            )
            scheduler = phase.scheduler(optimizer) if phase.scheduler is not None else None
            bar = tqdm(
                range(phase.epochs), desc=phase.name, disable=self.verbose < 1, leave=False
            )
            for epoch in bar:
                start = time.perf_counter()
                if phase.on_epoch_start is not None:
                    phase.on_epoch_start(epoch)
                module.train()
                sums: dict[str, Tensor] = {}
                finite_flags: list[tuple[list[str], Tensor]] = []
                steps = 0
                for batch in self._batches(views, n, phase, generator):
                    terms = phase.loss(batch)
                    if not terms:
                        raise ValueError(f"the loss of phase {phase.name!r} returned no terms")
                    total = sum(terms.values())
                    optimizer.zero_grad(set_to_none=True)
                    total.backward()
                    optimizer.step()
                    if scheduler is not None and phase.step_scheduler_per_batch:
                        scheduler.step()
                    named = {**terms, "loss": total}
                    values = torch.stack([value.detach().reshape(()) for value in named.values()])
                    finite_flags.append((list(named), torch.isfinite(values)))
                    for key, value in zip(named, values):
                        sums[key] = sums[key] + value if key in sums else value
                    steps += 1
                means = self._checked_means(sums, steps, finite_flags, phase, epoch)
                if scheduler is not None and not phase.step_scheduler_per_batch:
                    scheduler.step()
                record: dict[str, float | int | str] = {"phase": phase.name, "epoch": epoch}
                record.update(means)
                record["seconds"] = time.perf_counter() - start
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
                if self.checkpoint_path is not None and (
                    last or (epoch + 1) % self.checkpoint_every == 0
                ):
                    self.save_checkpoint(module, phase.name, epoch, history)
        module.eval()
        return history

    def save_checkpoint(
        self, module: nn.Module, phase: str, epoch: int, history: list[dict]
    ) -> None:
        """Write the model state and history atomically to ``checkpoint_path``."""
        atomic_torch_save(
            {"state_dict": module.state_dict(), "phase": phase, "epoch": epoch,
             "history": history},
            self.checkpoint_path,
        )

    @staticmethod
    def _batches(
        views: list[Tensor], n: int, phase: Phase, generator: torch.Generator
    ) -> Iterator[Batch]:
        device = views[0].device
        if phase.batch_size is None or phase.batch_size >= n:
            index = torch.arange(n, device=device)
            yield Batch(index, views)
            return
        order = (
            torch.randperm(n, generator=generator) if phase.shuffle else torch.arange(n)
        ).to(device)
        stop = n - n % phase.batch_size if phase.drop_last else n
        for begin in range(0, stop, phase.batch_size):
            index = order[begin : begin + phase.batch_size]
            yield Batch(index, [view[index] for view in views])

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
