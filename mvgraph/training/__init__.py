"""Training loop shared by every deep method: phases, minibatches, history, checkpoints."""

from mvgraph.training.trainer import Batch, NonFiniteLossError, Phase, Trainer

__all__ = ["Batch", "NonFiniteLossError", "Phase", "Trainer"]
