"""Neural network layers and heads."""

from mvgraph.nn.agcn import AGCNConv
from mvgraph.nn.autoencoder import ViewAutoencoders
from mvgraph.nn.perturbation import AnchorPerturbation

__all__ = ["AGCNConv", "AnchorPerturbation", "ViewAutoencoders"]
