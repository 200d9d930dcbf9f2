"""mvgraph: deep multi-view clustering built from graph operators on PyTorch and PyG.

Estimators follow scikit-learn::

    import mvgraph
    data = mvgraph.load_dataset("handwritten")
    model = mvgraph.ConcatKMeans(n_clusters=data.n_classes, random_state=0).fit(data)
    mvgraph.evaluate(data.labels, model.labels_)
"""

__version__ = "0.1.0"

from mvgraph.data import (  # noqa: E402
    MultiViewData,
    list_datasets,
    load_dataset,
    load_mat,
    make_multiview_blobs,
)
from mvgraph.metrics import evaluate  # noqa: E402
from mvgraph.models import (  # noqa: E402
    CONAN,
    CRRC,
    DMAC,
    METHODS,
    RAV,
    BMvC,
    CollapseWarning,
    ConcatKMeans,
)

__all__ = [
    "CONAN",
    "CRRC",
    "DMAC",
    "METHODS",
    "RAV",
    "BMvC",
    "CollapseWarning",
    "ConcatKMeans",
    "MultiViewData",
    "__version__",
    "evaluate",
    "list_datasets",
    "load_dataset",
    "load_mat",
    "make_multiview_blobs",
]
