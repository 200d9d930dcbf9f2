"""Neural network layers and heads."""

from mvgraph.nn.agcn import AGCNConv
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.fusion import ViewFusion
from mvgraph.nn.orthogonal import OrthogonalProjection
from mvgraph.nn.perturbation import AnchorPerturbation
from mvgraph.nn.recalibration import CrossViewRecalibration, RecalibrationParts

__all__ = [
    "AGCNConv",
    "AnchorPerturbation",
    "CrossViewRecalibration",
    "OrthogonalProjection",
    "RecalibrationParts",
    "ViewAutoencoders",
    "ViewFusion",
]
