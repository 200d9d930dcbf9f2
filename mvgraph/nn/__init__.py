"""Neural network layers and heads."""

from mvgraph.nn.agcn import AGCNConv, AnchorClusterHead
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.conv_encoder import ConvEncoder
from mvgraph.nn.fusion import ConcatFusion, ViewFusion
from mvgraph.nn.heads import DDCHead, DECHead, ProjectionHead
from mvgraph.nn.orthogonal import OrthogonalProjection
from mvgraph.nn.perturbation import AnchorPerturbation
from mvgraph.nn.recalibration import CrossViewRecalibration, RecalibrationParts

__all__ = [
    "AGCNConv",
    "AnchorClusterHead",
    "AnchorPerturbation",
    "ConcatFusion",
    "ConvEncoder",
    "CrossViewRecalibration",
    "DDCHead",
    "DECHead",
    "OrthogonalProjection",
    "ProjectionHead",
    "RecalibrationParts",
    "ViewAutoencoders",
    "ViewFusion",
]
