"""Loss functions."""

from mvgraph.losses.anchor import anchor_entropy, mutual_information
from mvgraph.losses.contrastive import (
    cluster_contrastive,
    info_nce,
    marginal_entropy_gap,
    nt_xent,
)
from mvgraph.losses.reconstruction import reconstruction_loss
from mvgraph.losses.vcr import vcr_loss

__all__ = [
    "anchor_entropy",
    "cluster_contrastive",
    "info_nce",
    "marginal_entropy_gap",
    "mutual_information",
    "nt_xent",
    "reconstruction_loss",
    "vcr_loss",
]
