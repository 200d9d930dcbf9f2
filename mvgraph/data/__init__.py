"""Multi-view data: the container, file loaders, the benchmark registry, scalers and
a synthetic generator."""

from mvgraph.data.container import MultiViewData, as_multiview
from mvgraph.data.matlab import load_mat, load_views
from mvgraph.data.npz import load_npz, save_npz
from mvgraph.data.registry import data_home, dataset_info, list_datasets, load_dataset
from mvgraph.data.scalers import SCALERS, ViewScaler
from mvgraph.data.synthetic import make_multiview_blobs

__all__ = [
    "SCALERS",
    "MultiViewData",
    "ViewScaler",
    "as_multiview",
    "data_home",
    "dataset_info",
    "list_datasets",
    "load_dataset",
    "load_mat",
    "load_npz",
    "load_views",
    "make_multiview_blobs",
    "save_npz",
]
