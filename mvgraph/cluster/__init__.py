"""Clustering of embeddings: k-means on faiss (CPU) or torch (GPU)."""

from mvgraph.cluster.kmeans import KMeansResult, kmeans, nearest_centroid

__all__ = ["KMeansResult", "kmeans", "nearest_centroid"]
