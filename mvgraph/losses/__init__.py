"""Loss functions."""

from mvgraph.losses.anchor import anchor_entropy, mutual_information
from mvgraph.losses.contrastive import (
    cluster_contrastive,
    info_nce,
    marginal_entropy_gap,
    nt_xent,
    view_aware_cluster_loss,
)
from mvgraph.losses.ddc import cs_divergence, ddc_kernel, ddc_loss, ddc_terms
from mvgraph.losses.dec import dec_loss, dec_target, student_t_assignment
from mvgraph.losses.reconstruction import reconstruction_loss
from mvgraph.losses.relation import relation_alignment
from mvgraph.losses.siamese import stop_gradient_cosine
from mvgraph.losses.vcr import vcr_loss
from mvgraph.losses.view_weights import (
    VIEW_DISTANCES,
    mean_pairwise_distance,
    view_distance,
    view_distances,
    view_weights,
)

__all__ = [
    "VIEW_DISTANCES",
    "anchor_entropy",
    "cluster_contrastive",
    "cs_divergence",
    "ddc_kernel",
    "ddc_loss",
    "ddc_terms",
    "dec_loss",
    "dec_target",
    "info_nce",
    "marginal_entropy_gap",
    "mean_pairwise_distance",
    "mutual_information",
    "nt_xent",
    "reconstruction_loss",
    "relation_alignment",
    "stop_gradient_cosine",
    "student_t_assignment",
    "vcr_loss",
    "view_distance",
    "view_aware_cluster_loss",
    "view_distances",
    "view_weights",
]
