"""Loss functions."""

from mvgraph.losses.anchor import anchor_entropy, mutual_information

__all__ = ["anchor_entropy", "mutual_information"]
