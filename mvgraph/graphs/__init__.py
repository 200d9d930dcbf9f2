"""Graph operators: neighbour search, kNN and CAN graphs, Gaussian relations, anchor graphs
and their fused spectral embedding."""

from mvgraph.graphs.anchors import AnchorGraph, anchor_graph, select_anchors
from mvgraph.graphs.blocks import GraphBlocks
from mvgraph.graphs.can import (
    adaptive_neighbor_weights,
    can_graph,
    can_neighbors,
    can_weights,
    unit_diagonal_can,
    unit_diagonal_can_graph,
)
from mvgraph.graphs.knn import knn_graph
from mvgraph.graphs.neighbors import nearest_neighbors
from mvgraph.graphs.pairs import average_graphs
from mvgraph.graphs.relation import gaussian_relation
from mvgraph.graphs.spectral import AnchorRows, AnchorSpectralEmbedding, anchor_spectral_embedding

__all__ = [
    "AnchorGraph",
    "AnchorRows",
    "AnchorSpectralEmbedding",
    "GraphBlocks",
    "adaptive_neighbor_weights",
    "anchor_graph",
    "average_graphs",
    "anchor_spectral_embedding",
    "can_graph",
    "can_neighbors",
    "can_weights",
    "gaussian_relation",
    "knn_graph",
    "nearest_neighbors",
    "select_anchors",
    "unit_diagonal_can",
    "unit_diagonal_can_graph",
]
