r"""Batch-norm statistics of the trained network, recomputed on the training data.

In training mode a batch-norm layer normalises with the statistics of its batch; in
evaluation mode, which gives the labels and predictions, with running statistics, an
exponential average (momentum 0.1 by default) over the last steps' batches. When the
last steps move the weights, those averages describe an earlier network: on cub a CONAN
fit whose training batches used all ten clusters gave evaluation-mode labels in four,
one holding 530 of the 600 samples.

:func:`recalibrate_batch_norm` replaces the running statistics by the population
statistics of the final network: every layer's mean :math:`\mu` and unbiased variance
:math:`\sigma^2` are the averages over near-equal random chunks of the data, each chunk
passed through the network in training mode, so every layer sees its input normalised
as in training. With one chunk (:math:`n \le` ``chunk_rows``) they are the full-data
statistics, and evaluation mode then computes what training mode computes on the whole
data set, up to the factor :math:`n / (n - 1)` between the unbiased and the biased
variance.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from mvgraph.training.trainer import Batch

# Rows per forward pass; with fewer samples the statistics are exact.
DEFAULT_CHUNK_ROWS = 4096


def batch_norm_layers(module: nn.Module) -> list[_BatchNorm]:
    """The batch-norm layers of ``module`` that keep running statistics."""
    return [
        layer for layer in module.modules()
        if isinstance(layer, _BatchNorm) and layer.track_running_stats
    ]


def recalibrate_batch_norm(
    module: nn.Module,
    forward: Callable[[Batch], object],
    views: list[Tensor],
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    generator: torch.Generator | None = None,
    presence: Tensor | None = None,
) -> bool:
    """Set the running statistics of every batch-norm layer of ``module`` to those of the
    data ``views`` under the current weights; leave ``module`` in evaluation mode.

    Args:
        module: the trained network.
        forward: runs ``module`` on a batch as training does (for example a phase's loss);
            called without gradients, its result is discarded.
        views: full-data tensors ``[n, d_v]``.
        chunk_rows: most rows per forward pass (at least 2, as batch norm needs in
            training; a pass takes 3 rather than leave one row alone).
        generator: draws the random split into chunks.
        presence: which sample has which view ``[n, V]`` (``None``: all of them).

    Returns:
        whether ``module`` has batch-norm layers (without, nothing is run).
    """
    layers = batch_norm_layers(module)
    if not layers:
        return False
    if chunk_rows < 2:
        raise ValueError(f"chunk_rows must be >= 2; got {chunk_rows}")
    n = views[0].shape[0]
    if n < 2:
        raise ValueError(f"batch-norm statistics need at least 2 samples; got {n}")
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # cumulative average: every chunk weighs the same
    order = torch.randperm(n, generator=generator).to(views[0].device)
    # near-equal chunks of at most chunk_rows rows; fewer, larger ones where a chunk
    # would otherwise hold a single row
    chunks = torch.tensor_split(order, min(-(-n // chunk_rows), n // 2))
    module.train()
    try:
        with torch.no_grad():
            for index in chunks:
                forward(Batch(index, [view[index] for view in views],
                              None if presence is None else presence[index]))
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
        module.eval()
    return True
