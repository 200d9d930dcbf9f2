"""Loss functions."""

from mvgraph.losses.anchor import anchor_entropy, mutual_information
from mvgraph.losses.contrastive import (
    cluster_contrastive,
    info_nce,
    marginal_entropy_gap,
    nt_xent,
)
from mvgraph.losses.reconstruction import reconstruction_loss
from mvgraph.losses.relation import relation_alignment
from mvgraph.losses.view_weights import (
    VIEW_DISTANCES,
    mean_pairwise_distance,
    view_distance,
    view_distances,
    view_weights,
)
from mvgraph.losses.vcr import vcr_loss

__all__ = [
    "VIEW_DISTANCES",
    "anchor_entropy",
    "cluster_contrastive",
    "info_nce",
    "marginal_entropy_gap",
    "mean_pairwise_distance",
    "mutual_information",
    "nt_xent",
    "reconstruction_loss",
    "relation_alignment",
    "view_distance",
    "view_distances",
    "view_weights",
    "vcr_loss",
]
