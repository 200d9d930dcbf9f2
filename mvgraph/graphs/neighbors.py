"""k-nearest-neighbour search: faiss on CPU, chunked GEMM + ``topk`` in torch on any device.

Every graph of :mod:`mvgraph.graphs` selects its neighbours through :func:`nearest_neighbors`.
The search is a selection step: it runs without gradient. Callers that need gradients
recompute the distances of the selected pairs in torch.
"""

from __future__ import annotations

import faiss
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

METRICS = ("l2", "cosine")
BACKENDS = ("auto", "faiss", "torch")
INDEXES = ("flat", "hnsw", "ivf")

# Rows of ``x`` handed to faiss per call: bounds the float32 copy made for non-float32 or
# cosine input, while keeping each call large enough for faiss's blocked BLAS search.
FAISS_CHUNK_ROWS = 65536
# Upper bound, in bytes, on one block of the distance matrix in the torch backend.
TORCH_BLOCK_BYTES = {"cpu": 1 << 28, "cuda": 1 << 30}
HNSW_NEIGHBORS = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 64
IVF_TRAIN_POINTS_PER_LIST = 64
IVF_MIN_PROBES = 16


def nearest_neighbors(
    x: Tensor | np.ndarray,
    k: int,
    y: Tensor | np.ndarray | None = None,
    *,
    metric: str = "l2",
    exclude_self: bool = False,
    backend: str = "auto",
    index: str = "flat",
    chunk_size: int | None = None,
) -> tuple[Tensor, Tensor]:
    r"""The :math:`k` nearest rows of :math:`\mathbf{Y}` for every row of :math:`\mathbf{X}`.

    Distances are :math:`\lVert \mathbf{x}_i - \mathbf{y}_j \rVert^2` (squared euclidean,
    ``metric="l2"``) or :math:`1 - \cos(\mathbf{x}_i, \mathbf{y}_j)` (``metric="cosine"``),
    sorted in ascending order along each row (a zero row is at cosine distance 1 from all).

    Backends:

    - ``"faiss"``: exact ``IndexFlatL2`` / ``IndexFlatIP`` (on L2-normalised rows for
      cosine) by default. For very large ``y``, ``index="hnsw"`` (HNSW graph, 32 links per
      node, ``efConstruction=40``, ``efSearch=max(64, 2k)``) or ``index="ivf"`` (inverted
      lists: :math:`\sqrt{n_y}` lists, at most :math:`n_y/64`, trained by k-means on up to
      64 points per list; ``nprobe = max(16, lists / 16)``, at most all lists) trade
      exactness for speed; both are approximate and build their index on every call.
      CUDA inputs are copied to the CPU and the results copied back.
    - ``"torch"``: exact, on the input's device. Rows of ``x`` are processed in blocks; each
      block's distances :math:`\lVert\mathbf{y}_j\rVert^2 - 2\mathbf{x}_i^\top\mathbf{y}_j`
      come from one GEMM and are reduced by ``topk``, so no :math:`n_x \times n_y` matrix is
      ever held. :math:`\lVert \mathbf{x}_i \rVert^2` is added to the :math:`k` kept values.
    - ``"auto"``: torch for CUDA tensors with ``index="flat"``, faiss otherwise.

    Args:
        x: query points, shape ``[n, d]`` (tensor or numpy array).
        k: neighbours per query, ``1 <= k <= n_y`` (``k < n`` with ``exclude_self``).
        y: candidate points ``[n_y, d]``; ``None`` searches ``x`` itself.
        metric: ``"l2"`` or ``"cosine"``.
        exclude_self: with ``y=None``, never return a point as its own neighbour, robustly to
            duplicated points (copies stay each other's neighbours at distance 0): faiss
            searches :math:`k+1` neighbours and drops the query's own index wherever it
            appears (the farthest when it is absent); torch masks the query's own column.
        backend: ``"auto"``, ``"faiss"`` or ``"torch"``.
        index: ``"flat"`` (exact), ``"hnsw"`` or ``"ivf"`` (approximate, faiss only).
        chunk_size: rows of ``x`` per block; ``None`` picks 65536 for faiss and, for torch,
            the largest block whose distances fit in 256 MiB (1 GiB on CUDA).

    Returns:
        ``(distances, indices)``, both ``[n, k]``, on the device of ``x``; distances in the
        dtype of ``x`` (at least float32), indices int64 into the rows of ``y``. No gradient.
    """
    queries = as_points(x, "x")
    candidates = queries if y is None else as_points(y, "y")
    if y is not None:
        check_compatible(queries, candidates, "x", "y")
        if exclude_self:
            raise ValueError("exclude_self=True needs y=None (a search of x against itself)")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}; got {metric!r}")
    backend = resolve_backend(backend, queries.device, index)
    if exclude_self:
        check_neighbor_count(k, candidates.shape[0] - 1, "n - 1: the point itself is excluded")
    else:
        check_neighbor_count(k, candidates.shape[0], "the number of candidate rows")
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size < 1):
        raise ValueError(f"chunk_size must be a positive integer or None; got {chunk_size!r}")

    return search_points(
        queries,
        k,
        None if y is None else candidates,
        metric=metric,
        exclude_self=exclude_self,
        backend=backend,
        index=index,
        chunk_size=chunk_size,
    )


def search_points(
    queries: Tensor,
    k: int,
    candidates: Tensor | None,
    *,
    metric: str,
    exclude_self: bool,
    backend: str,
    index: str,
    chunk_size: int | None,
) -> tuple[Tensor, Tensor]:
    """:func:`nearest_neighbors` on arguments already validated, ``backend`` resolved."""
    queries = queries.detach()
    candidates = None if candidates is None else candidates.detach()
    out_dtype = torch.promote_types(queries.dtype, torch.float32)
    with torch.no_grad():
        if backend == "torch":
            return _torch_search(queries, candidates, k, metric, exclude_self, chunk_size)
        searched = k + 1 if exclude_self else k
        distances, indices = _faiss_search(queries, candidates, searched, metric, index, chunk_size)
        if exclude_self:
            distances, indices = _drop_self(distances, indices, k)
    return distances.to(queries.device, out_dtype), indices.to(queries.device)


def as_points(x: Tensor | np.ndarray, name: str) -> Tensor:
    """``x`` as a finite floating-point ``[n, d]`` tensor (numpy input is converted)."""
    if isinstance(x, np.ndarray):
        x = torch.as_tensor(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array; got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype; got {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must have shape [n, d]; got shape {tuple(x.shape)}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and column; got {tuple(x.shape)}")
    # a finite sum proves finiteness without an [n, d] mask; an overflow falls back to the mask
    if not bool(torch.isfinite(x.detach().sum())) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def check_compatible(a: Tensor, b: Tensor, name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` share their feature dimension and device."""
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of columns; "
            f"got {a.shape[1]} and {b.shape[1]}"
        )
    if a.device != b.device:
        raise ValueError(
            f"{name_a} and {name_b} must be on the same device; got {a.device} and {b.device}"
        )


def check_neighbor_count(k: int, limit: int, reason: str, name: str = "k") -> None:
    """Raise unless ``k`` is an integer with ``1 <= k <= limit``; ``reason`` explains the limit."""
    if not _is_int(k) or k < 1:
        raise ValueError(f"{name} must be a positive integer; got {k!r}")
    if k > limit:
        raise ValueError(f"{name} must be at most {limit} ({reason}); got {name}={k}")


def resolve_backend(backend: str, device: torch.device, index: str = "flat") -> str:
    """The backend ``"auto"`` stands for on ``device``, after validating both choices."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    if index not in INDEXES:
        raise ValueError(f"index must be one of {INDEXES}; got {index!r}")
    if backend == "auto":
        return "torch" if device.type == "cuda" and index == "flat" else "faiss"
    if backend == "torch" and index != "flat":
        raise ValueError(f"index={index!r} is a faiss index; use backend='faiss' or 'auto'")
    return backend


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _faiss_rows(points: Tensor, metric: str) -> np.ndarray:
    """A float32 C-contiguous numpy view (a copy only when needed) of ``points`` for faiss."""
    points = points.to("cpu", torch.float32)
    if metric == "cosine":
        points = F.normalize(points, dim=1)
    return points.contiguous().numpy()


def _faiss_index(base: np.ndarray, metric: str, index: str, k: int) -> faiss.Index:
    n, d = base.shape
    faiss_metric = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
    if index == "flat":
        searcher = faiss.IndexFlat(d, faiss_metric)
    elif index == "hnsw":
        searcher = faiss.IndexHNSWFlat(d, HNSW_NEIGHBORS, faiss_metric)
        searcher.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        searcher.hnsw.efSearch = max(HNSW_EF_SEARCH, 2 * k)
    else:
        lists = max(1, min(round(n**0.5), n // IVF_TRAIN_POINTS_PER_LIST))
        searcher = faiss.IndexIVFFlat(faiss.IndexFlat(d, faiss_metric), d, lists, faiss_metric)
        searcher.cp.max_points_per_centroid = IVF_TRAIN_POINTS_PER_LIST
        searcher.cp.min_points_per_centroid = 1
        searcher.train(base)
        searcher.nprobe = min(lists, max(IVF_MIN_PROBES, lists // 16))
    searcher.add(base)
    return searcher


def _faiss_search(
    queries: Tensor,
    candidates: Tensor | None,
    k: int,
    metric: str,
    index: str,
    chunk_size: int | None,
) -> tuple[Tensor, Tensor]:
    """faiss search of every row of ``queries`` (against ``queries`` if no candidates)."""
    base = _faiss_rows(queries if candidates is None else candidates, metric)
    searcher = _faiss_index(base, metric, index, k)
    n = queries.shape[0]
    step = chunk_size or FAISS_CHUNK_ROWS
    distances = np.empty((n, k), dtype=np.float32)
    indices = np.empty((n, k), dtype=np.int64)
    for start in range(0, n, step):
        stop = min(n, start + step)
        rows = base[start:stop] if candidates is None else _faiss_rows(queries[start:stop], metric)
        searcher.search(rows, k, D=distances[start:stop], I=indices[start:stop])
    if index != "flat" and bool((indices < 0).any()):
        raise RuntimeError(
            f"the approximate index={index!r} found fewer than {k} neighbours for some rows; "
            "use index='flat'"
        )
    distances_t, indices_t = torch.from_numpy(distances), torch.from_numpy(indices)
    if metric == "cosine":
        distances_t = distances_t.neg_().add_(1.0).clamp_(0.0, 2.0)
    else:
        distances_t.clamp_(min=0.0)
    return distances_t, indices_t


def _drop_self(distances: Tensor, indices: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Remove each row's own index from a ``[n, k + 1]`` self-search (else its last column)."""
    n = indices.shape[0]
    drop = indices == torch.arange(n, device=indices.device).unsqueeze(1)
    drop[:, -1] |= ~drop.any(1)
    keep = ~drop
    return distances[keep].view(n, k), indices[keep].view(n, k)


def _torch_search(
    queries: Tensor,
    candidates: Tensor | None,
    k: int,
    metric: str,
    exclude_self: bool,
    chunk_size: int | None,
) -> tuple[Tensor, Tensor]:
    """Exact blocked search (against ``queries`` if no candidates): one GEMM and one
    ``topk`` per block of query rows."""
    dtype = torch.promote_types(queries.dtype, torch.float32)
    queries = queries.to(dtype)
    candidates = queries if candidates is None else candidates.to(dtype)
    if metric == "cosine":
        same = candidates is queries
        queries = F.normalize(queries, dim=1)
        candidates = queries if same else F.normalize(candidates, dim=1)
        candidate_sq = None
    else:
        candidate_sq = candidates.pow(2).sum(1)
    n, n_y = queries.shape[0], candidates.shape[0]
    if chunk_size is None:
        budget = TORCH_BLOCK_BYTES.get(queries.device.type, TORCH_BLOCK_BYTES["cpu"])
        chunk_size = max(1, budget // (n_y * queries.element_size()))
    candidates_t = candidates.t()
    distances, indices = [], []
    for start in range(0, n, chunk_size):
        block = queries[start : start + chunk_size]
        if candidate_sq is None:
            scores = torch.mm(block, candidates_t).neg_()
        else:
            scores = torch.addmm(candidate_sq, block, candidates_t, alpha=-2.0)
        if exclude_self:
            rows = torch.arange(block.shape[0], device=block.device)
            scores[rows, rows + start] = float("inf")
        value, index = scores.topk(k, dim=1, largest=False, sorted=True)
        if candidate_sq is None:
            value = value.add_(1.0).clamp_(0.0, 2.0)
        else:
            value = value.add_(block.pow(2).sum(1, keepdim=True)).clamp_(min=0.0)
        distances.append(value)
        indices.append(index)
    return torch.cat(distances), torch.cat(indices)
