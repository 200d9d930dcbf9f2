"""Neural network layers and heads."""

from mvgraph.nn.agcn import AGCNConv
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.fusion import ViewFusion
from mvgraph.nn.orthogonal import OrthogonalProjection
from mvgraph.nn.perturbation import AnchorPerturbation

__all__ = [
    "AGCNConv",
    "AnchorPerturbation",
    "OrthogonalProjection",
    "ViewAutoencoders",
    "ViewFusion",
]
