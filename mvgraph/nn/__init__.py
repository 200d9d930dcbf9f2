"""Neural network layers."""

from mvgraph.nn.agcn import AGCNConv
from mvgraph.nn.perturbation import AnchorPerturbation

__all__ = ["AGCNConv", "AnchorPerturbation"]
