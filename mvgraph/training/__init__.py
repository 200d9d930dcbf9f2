"""Training loop shared by every deep method: phases, minibatches, history, checkpoints,
and the batch-norm statistics of the trained network."""

from mvgraph.training.batch_norm import batch_norm_layers, recalibrate_batch_norm
from mvgraph.training.checkpoint import TrainingInterrupted, load_checkpoint
from mvgraph.training.trainer import (
    Batch,
    NonFiniteLossError,
    Phase,
    Trainer,
    balanced_batch_size,
    embedding_health,
    epochs_for_steps,
)

__all__ = [
    "Batch",
    "NonFiniteLossError",
    "Phase",
    "Trainer",
    "TrainingInterrupted",
    "balanced_batch_size",
    "batch_norm_layers",
    "embedding_health",
    "epochs_for_steps",
    "load_checkpoint",
    "recalibrate_batch_norm",
]
