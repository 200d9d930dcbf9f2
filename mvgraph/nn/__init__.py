"""Neural network layers and heads."""

from mvgraph.nn.agcn import AGCNConv
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.conv_encoder import ConvEncoder
from mvgraph.nn.fusion import ConcatFusion
from mvgraph.nn.heads import DDCHead, DECHead, PredictionHead, ProjectionHead
from mvgraph.nn.perturbation import AnchorPerturbation

__all__ = [
    "AGCNConv",
    "AnchorPerturbation",
    "ConcatFusion",
    "ConvEncoder",
    "DDCHead",
    "DECHead",
    "PredictionHead",
    "ProjectionHead",
    "ViewAutoencoders",
]
