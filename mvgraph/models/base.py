"""Estimator bases in the scikit-learn style.

:class:`MultiViewClusterer` owns what every method shares: input validation, per-view
scaling fitted on the training data, and the ``fit`` / ``predict`` / ``fit_predict`` /
``transform`` / ``score`` contract; new samples go to the nearest of
``cluster_centers_`` unless a method overrides ``_assign``.
:class:`DeepMultiViewClusterer` adds the neural path: build a module from the view
dimensions, train it through the method's phases with :class:`~mvgraph.training.Trainer`,
embed, and cluster the embedding.

Views are a list of arrays (numpy, scipy.sparse, torch), one ``[n, d_v]`` per view,
or a :class:`~mvgraph.data.MultiViewData`.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, dataclass_transform

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted
from torch import Tensor, nn

from mvgraph.cluster import kmeans, nearest_centroid
from mvgraph.data import SCALERS, MultiViewData, ViewScaler, as_multiview
from mvgraph.data.container import count_distinct_rows
from mvgraph.data.incomplete import impute_from_neighbors
from mvgraph.distributed import current_shard
from mvgraph.metrics import acc
from mvgraph.training import Phase, Trainer, load_checkpoint, recalibrate_batch_norm
from mvgraph.utils import deterministic_mode, resolve_device, seed_everything
from mvgraph.utils.memory import check_memory
from mvgraph.utils.validation import Either, Flag, Integer, Options, Real, Rule

ViewsLike = Sequence[Any] | MultiViewData


class EmptyClustersWarning(UserWarning):
    """A fitted model's labels leave some of the ``n_clusters`` clusters empty."""


class CollapseWarning(EmptyClustersWarning):
    """A fitted model's labels use fewer than half of ``n_clusters`` clusters."""


class DegenerateViewWarning(UserWarning):
    """A training view is constant: every sample has the same row."""


def parameter(default: Any, rule: Rule | None = None) -> Any:
    """Declare a hyper-parameter of an estimator: its default and the :class:`Rule` its
    values must follow (``None``: any value; the code that reads it checks it).

    An estimator class declares each hyper-parameter once, as an annotated class attribute
    ``name: type = parameter(default, rule)``; the ``__init__`` that stores them unchanged
    (keyword-only but for ``n_clusters``, as scikit-learn requires) is generated from the
    declarations, and ``fit`` checks every value against its rule before any work."""
    return field(default=default, metadata={"rule": rule})


OPTIONAL_SEED = Either((Integer(0), Options((None,))))

# Rows per block when a whole data set is embedded (bounded activation memory).
EMBED_CHUNK_ROWS = 16384
# Missing views of the deep methods' inputs: the neighbours an absent row is imputed from
# (the usual k of k-NN imputation; not tuned), and the most training samples kept as
# donors (the search cost and the fitted model's size are bounded by it).
IMPUTATION_NEIGHBORS = 10
IMPUTATION_DONORS = 20_000
# Parameters a fit may be resumed with other values of: they change what is shown or
# where the checkpoint lives, not what is trained.
RESUMABLE_PARAMS = frozenset({"verbose", "checkpoint_path", "checkpoint_every"})


@dataclass_transform(kw_only_default=True, field_specifiers=(parameter,))
@dataclass(eq=False, repr=False)
class MultiViewClusterer(ClusterMixin, BaseEstimator):
    """Base of every mvgraph estimator.

    Subclasses declare their hyper-parameters as annotated class attributes with
    :func:`parameter` (every subclass is made a dataclass, so every annotated class
    attribute is a hyper-parameter; the generated ``__init__`` stores them unchanged, as
    scikit-learn requires), set ``default_scaler`` where their paper prescribes a scaling,
    and implement ``_fit`` and ``_embed``. A subclass re-declares a shared parameter to
    change its default or its rule.

    Parameters
    ----------
    n_clusters : int
        Number of clusters.
    scaler : str
        Per-view scaling (:class:`~mvgraph.data.ViewScaler`); ``"auto"`` is the method's
        ``default_scaler``.
    n_init : int
        k-means restarts wherever labels come from a k-means.
    random_state : int or None
        Seed of everything random in the fit (``None``: a fresh one).

    Attributes
    ----------
    labels_ : ndarray of shape (n,)
        Cluster of every training sample.
    embedding_ : ndarray of shape (n, e)
        What the clusters are read from.
    history_ : list of dict
        Per-epoch records (empty for a method that does not train).
    scaler_ : ViewScaler
        The fitted scaling; its ``view_methods_`` say how each view was scaled.
    n_features_in_views_ : list of int
        The dimension of every training view.
    shard_ : Shard
        The :class:`~mvgraph.distributed.Shard` of the fit: on several processes,
        ``labels_`` and ``embedding_`` are those of this process's samples.

    Notes
    -----
    ``presets`` maps a registry data set name to hyper-parameters that override the
    defaults on that set; the estimator itself never applies them (its defaults are
    its defaults), :func:`mvgraph.experiment.run` (``mvgraph fit`` and ``bench``) does,
    and records that it did.

    Every method takes samples with missing views (a presence mask in
    :class:`~mvgraph.data.MultiViewData`): the scaling of a view is fitted on the samples
    that have it, and every sample, whatever views it has, gets a label and an embedding.
    On complete data nothing changes.

    Inside an initialised ``torch.distributed`` process group of several processes
    (``torchrun``, :func:`~mvgraph.distributed.process_group_from_environment`), ``fit`` takes
    each process's samples (its shard; the data are the shards in rank order) and a
    method that can (``runs_distributed``) reduces every global quantity over the
    processes; the others refuse.
    """

    n_clusters: int = parameter(8, Integer(1))
    _: KW_ONLY
    scaler: str = parameter("auto", Options(tuple(SCALERS)))
    n_init: int = parameter(10, Integer(1))
    random_state: int | None = parameter(None, OPTIONAL_SEED)

    default_scaler: ClassVar[str] = "auto"
    # For a part of estimate_memory, the setting that lowers it.
    memory_lowered_by: ClassVar[Mapping[str, str]] = {}
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    # What a CollapseWarning advises.
    collapse_hint: ClassVar[str] = "try another random_state"
    # ``_fit`` reads each scaled view once, in turn: it gets them scaled on reading
    # (ViewScaler.transform_lazily), so that one scaled copy exists at a time.
    reads_one_view_at_a_time: ClassVar[bool] = False
    # ``_fit`` runs on several processes, each given its samples (``shard_``), and
    # reduces every global quantity over them.
    runs_distributed: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(cls, eq=False, repr=False, kw_only=True)

    def fit(self, Xs: ViewsLike, y: Any = None) -> MultiViewClusterer:
        """Learn the clustering of the training views ``Xs`` (``y`` only for metrics).

        Refused before any work (``ValueError``): a hyper-parameter its rule does not
        accept (:meth:`check_parameters`), or fewer distinct samples than ``n_clusters``
        (the clusters could only split identical samples). A constant view (one that
        carries nothing to cluster on) raises a :class:`DegenerateViewWarning`; labels that
        leave clusters empty an :class:`EmptyClustersWarning` (a :class:`CollapseWarning`
        when they use fewer than half of them). A fit whose :meth:`estimate_memory`
        exceeds the memory available (or the limit of :func:`mvgraph.utils.memory_limit`)
        is refused with :class:`~mvgraph.utils.InsufficientMemoryError`, naming the
        estimate and the setting that lowers it.
        """
        self.check_parameters()
        self.shard_ = current_shard()
        if self.shard_.is_distributed and not self.runs_distributed:
            from mvgraph.models import METHODS

            able = ", ".join(name for name, method in METHODS.items() if method.runs_distributed)
            raise ValueError(
                f"{type(self).__name__} does not run on several processes (world size "
                f"{self.shard_.world_size}); run it in one process, or use one of {able}")
        data = as_multiview(Xs, y)
        self._check_training_data(data)
        check_memory(self.estimate_memory(data.n_samples, data.dims),
                     f"{type(self).__name__} on {data.n_samples} samples",
                     self.memory_lowered_by)
        # the statistics of each view come from the samples that have it
        self.scaler_ = ViewScaler(self.scaler_method).fit(
            data.views if data.is_complete
            else [view[data.present(v)] for v, view in enumerate(data.views)],
            self.shard_)
        self.n_features_in_views_ = list(data.dims)
        scale = (self.scaler_.transform_lazily if self.reads_one_view_at_a_time
                 else self.scaler_.transform)
        self._fit(scale(data.views), data.labels, data.presence)
        self._warn_empty_clusters()
        return self

    def check_parameters(self) -> None:
        """Raise ``ValueError`` naming the first hyper-parameter its rule does not accept
        (what was expected and what came), then any combination the method refuses."""
        for declared in fields(self):
            rule = declared.metadata.get("rule")
            if rule is not None:
                rule.check(declared.name, getattr(self, declared.name))
        self._check_combinations()

    def _check_combinations(self) -> None:
        """Refuse combinations of valid values that cannot be fitted (default: none)."""

    def predict(self, Xs: ViewsLike) -> np.ndarray:
        """Cluster labels ``[n]`` of new samples, from the fitted model."""
        return self._assign(self._embed(*self._prepare(Xs)))

    def fit_predict(self, Xs: ViewsLike, y: Any = None) -> np.ndarray:
        """Fit and return ``labels_``."""
        return self.fit(Xs, y).labels_

    def transform(self, Xs: ViewsLike) -> np.ndarray:
        """Embedding ``[n, e]`` of new samples."""
        return self._embed(*self._prepare(Xs))

    def score(self, Xs: ViewsLike, y: Any) -> float:
        """Clustering accuracy (Hungarian matching) of ``predict(Xs)`` against ``y``."""
        return acc(y, self.predict(Xs))

    def estimate_memory(self, n_samples: int, dims: Sequence[int]) -> dict[str, int]:
        """Estimated peak extra memory of ``fit`` on ``n_samples`` samples of views with
        ``dims`` features, by part, in bytes: the scaled float32 views (``data``; the
        widest one alone for a method that reads one view at a time) and
        what :meth:`_memory_parts` adds for the method."""
        self.check_parameters()
        scaled = max(dims) if self.reads_one_view_at_a_time else sum(dims)
        return {"data": 4 * n_samples * scaled,
                **self._memory_parts(int(n_samples), [int(d) for d in dims])}

    def _memory_parts(self, n: int, dims: list[int]) -> dict[str, int]:
        """The method's parts of :meth:`estimate_memory` beside the scaled views."""
        return {}

    @property
    def scaler_method(self) -> str:
        """The :class:`~mvgraph.data.ViewScaler` method used: the ``scaler`` parameter, or
        for ``scaler="auto"`` the method's ``default_scaler`` (its paper's scaling where the
        paper prescribes one, else ``"auto"``, the per-view rule chosen from the data)."""
        return self.default_scaler if self.scaler == "auto" else self.scaler

    def _prepare(self, Xs: ViewsLike) -> tuple[list, np.ndarray | None]:
        """The scaled views of new samples and their presence mask."""
        check_is_fitted(self, "scaler_")
        data = as_multiview(Xs)
        if list(data.dims) != self.n_features_in_views_:
            raise ValueError(
                f"views must have the dimensions seen in fit, {self.n_features_in_views_}; "
                f"got {list(data.dims)}"
            )
        return self.scaler_.transform(data.views), data.presence

    def _check_training_data(self, data: MultiViewData) -> None:
        """Refuse what no clustering into ``n_clusters`` can come from; warn of a constant
        view. Each scan stops as soon as enough distinct rows are found. On several
        processes the counts are summed over them (the distinct rows of all shards
        together are at most that sum, so what is refused cannot be clustered), and
        every rank refuses alike."""
        k, n = self.n_clusters, self.shard_.total(data.n_samples)
        if n < 2:
            raise ValueError(f"fit needs at least 2 samples; got {n}")
        if k > n:
            raise ValueError(
                f"n_clusters={k} exceeds the number of samples ({n}); "
                "a clustering needs at least one sample per cluster"
            )
        distinct = self.shard_.total(count_distinct_rows(data.views, limit=k))
        if distinct < k:
            raise ValueError(
                f"the views hold {distinct} distinct sample(s), fewer than n_clusters={k}; "
                "a clustering into that many clusters could only split identical samples"
            )
        for v, view in enumerate(data.views):
            if count_distinct_rows([view], limit=2) < 2:
                warnings.warn(
                    f"views[{v}] is constant (every sample has the same row): it carries "
                    "nothing to cluster on",
                    DegenerateViewWarning,
                    stacklevel=3,
                )

    def _warn_empty_clusters(self) -> None:
        used = int(np.unique(self.labels_).size)
        if used == self.n_clusters:
            return
        collapsed = used < self.n_clusters / 2
        warnings.warn(
            f"{type(self).__name__}: the labels use {used} of the n_clusters="
            f"{self.n_clusters} clusters" + (f"; {self.collapse_hint}" if collapsed else ""),
            CollapseWarning if collapsed else EmptyClustersWarning,
            stacklevel=3,
        )

    @abstractmethod
    def _fit(self, views: list, labels: np.ndarray | None,
             presence: np.ndarray | None) -> None:
        """Fit on scaled views (``presence`` ``[n, V]``: which sample has which view;
        ``None`` when complete); set ``labels_``, ``embedding_`` and ``history_``."""

    @abstractmethod
    def _embed(self, views: list, presence: np.ndarray | None) -> np.ndarray:
        """Embedding ``[n, e]`` of scaled views."""

    def _assign(self, embedding: np.ndarray) -> np.ndarray:
        """Cluster labels ``[n]`` of an embedding: its nearest ``cluster_centers_``."""
        return nearest_centroid(embedding, self.cluster_centers_)


class DeepMultiViewClusterer(MultiViewClusterer):
    """Base of the neural methods.

    Subclasses implement ``_build`` (the ``nn.Module`` for the view dimensions),
    ``_phases`` (how to train it) and ``_forward_embedding`` (the embedding the
    clusters are read from). By default labels are k-means on the embedding
    (``n_init`` restarts) and new samples go to the nearest centroid; methods whose
    labels come from a clustering head override ``_cluster`` and ``_assign``. What a
    method fits beside the model (anchors, view weights) lives during training in its
    phases' ``state``, which checkpoints hold, and ``_learned_state`` returns it as
    fitted attributes, so that restarts keep it with the model it belongs to.

    Parameters
    ----------
    n_clusters, scaler, n_init, random_state
        See :class:`MultiViewClusterer`; ``random_state`` seeds the weights, the batches,
        the method's own draws and the k-means.
    epochs : int
        Epochs of the main training phase.
    lr : float
        Learning rate of the main training phase.
    batch_size : int or None
        Rows per training step (``None``: the full data).
    n_restarts : int
        Models trained from different seeds; the one with the lowest final training loss
        among those whose labels use every cluster is kept, with everything fitted
        alongside it.
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda[:i]"``.
    verbose : int or None
        0 silent; 1 a progress bar per training phase (epochs, loss, time left); ``None``
        progress bars when the output is a terminal.
    eval_every : int
        Epochs between metric evaluations when labels are passed to ``fit`` (0: never).
    checkpoint_path : str or None
        File that holds the training state, written atomically every
        ``checkpoint_every`` optimiser steps, at the end of every phase and on SIGINT or
        SIGTERM (the step under way finishes, then
        :class:`~mvgraph.training.TrainingInterrupted` is raised). When it exists, ``fit``
        resumes from it, after checking that it was written for these parameters and data
        (``ValueError`` naming what differs), and ends as an uninterrupted fit would.
    checkpoint_every : int
        Optimiser steps between checkpoints.
    deterministic : bool
        One thread and deterministic kernels only
        (:func:`~mvgraph.utils.deterministic_mode`), so that the same seed gives
        byte-identical labels and embedding (slower on several cores).

    Attributes
    ----------
    model_ : nn.Module
        The trained network of the kept restart.
    cluster_centers_ : ndarray or None
        The centres labels are read from (k-means centroids by default).
    restart_losses_ : list of float
        Final training loss of every restart.
    restart_cluster_counts_ : list of int
        Clusters the labels of every restart use.
    best_restart_ : int
        Index of the kept restart.
    restart_seeds_ : list of int
        Seed of every restart (``random_state`` of an equal single fit).

    Notes
    -----
    After training, the running statistics of any batch-norm layer are recomputed on
    the training data with the final weights, running the last phase's loss
    (:func:`~mvgraph.training.recalibrate_batch_norm`), so that the labels and
    predictions, computed in evaluation mode, come from the network that was trained.

    With missing views, the network's inputs are complete and its targets are not: an
    absent row is imputed from the same view of the sample's ``IMPUTATION_NEIGHBORS``
    nearest donors, found through the views it has
    (:func:`~mvgraph.data.impute_from_neighbors`; the donors are up to
    ``IMPUTATION_DONORS`` training samples, kept as ``imputation_donors_`` so that
    :meth:`predict` imputes new samples the same way), and every batch carries its rows
    of the presence mask (:class:`~mvgraph.training.Batch`), so that every loss term of a
    view (or pair of views) runs over the samples that have it (them): a network learns
    from observed rows only, and reads imputed ones to embed the samples that lack a view.
    Against the alternative of encoding present rows only and filling an absent code with
    the mean of the sample's present codes, on Handwritten at missing rate 0.5 (seed 0)
    DMAC gave 57.8 ACC that way (``benchmarks/results/incomplete-notes.md``) and 84.5 from
    imputed inputs, 85.5 with the masked losses (86.0 on complete data), and k-means on the
    imputed views 94.8 against 70.5 with mean imputation
    (``benchmarks/results/imputation-check.json``).
    """

    epochs: int = parameter(100, Integer(0))
    lr: float = parameter(1e-3, Real(positive=True))
    batch_size: int | None = parameter(256, Either((Integer(1), Options((None,)))))
    n_restarts: int = parameter(1, Integer(1))
    device: str = parameter("auto")
    verbose: int | None = parameter(None, Either((Integer(0), Flag(), Options((None,)))))
    eval_every: int = parameter(10, Integer(0))
    checkpoint_path: str | None = parameter(None)
    checkpoint_every: int = parameter(200, Integer(1))
    deterministic: bool = parameter(False, Flag())

    memory_lowered_by = {"activations": "a smaller batch_size",
                         "embedding forward": "narrower hidden layers",
                         "embedding": "a narrower embedding"}
    collapse_hint = (
        "training has collapsed the embedding; history_ records its spread and cluster "
        "count per evaluated epoch; try another random_state (or n_restarts > 1)"
    )

    def _fit(self, views: list, labels: np.ndarray | None,
             presence: np.ndarray | None) -> None:
        """Train ``n_restarts`` models and keep the one with the lowest final training
        loss, with everything fitted alongside it.

        Restart 0 uses ``random_state``; the others use seeds drawn from it. A restart
        whose labels leave some of the ``n_clusters`` clusters empty has collapsed and is
        kept only when every restart did (then again by lowest loss); ``fit`` warns when
        the kept model's labels leave clusters empty. The choice sees only the losses and
        the cluster counts, never the labels' agreement with any ground truth:
        unsupervised model selection, as in papers that train several times and report
        the run with the lowest loss. Each restart returns what it fitted; the kept one's
        becomes the fitted attributes, once, at the end.

        With ``checkpoint_path`` set, the checkpoints also hold the restart under way, the
        finished restarts' losses and cluster counts and the kept restart's fitted state;
        when the file exists, the fit resumes from it (after checking that it was written
        for these parameters and this data) and ends as an uninterrupted fit would.
        """
        with deterministic_mode(self.deterministic):
            device = resolve_device(self.device)
            self.imputation_donors_ = _donors(views, presence, self.random_state)
            if presence is not None:
                views = impute_from_neighbors(views, presence, *self.imputation_donors_,
                                              n_neighbors=IMPUTATION_NEIGHBORS)
            tensors = views_to_tensors(views, device)
            present = None if presence is None else torch.as_tensor(presence, device=device)
            path = self.checkpoint_path
            fingerprint = self._fingerprint(tensors, present) if path is not None else None
            checkpoint = None
            if path is not None and Path(path).exists():
                checkpoint = load_checkpoint(path)
                _check_fingerprint(checkpoint["fingerprint"], fingerprint, path)
            if checkpoint is None:
                seed = seed_everything(self.random_state)
                seeds = [seed] + [
                    int(s) & 0x7FFFFFFF
                    for s in np.random.SeedSequence(seed).generate_state(self.n_restarts - 1)
                ]
                losses: list[float] = []
                counts: list[int] = []
                best: dict[str, Any] = {}
            else:
                seeds = list(checkpoint["seeds"])
                losses = list(checkpoint["restart_losses"])
                counts = list(checkpoint["restart_cluster_counts"])
                best = self._decode_fitted(checkpoint["best"], tensors, device)
            for restart, restart_seed in enumerate(seeds):
                if restart < len(losses):
                    continue
                context = None if fingerprint is None else {
                    "fingerprint": fingerprint, "seeds": seeds, "restart_losses": losses,
                    "restart_cluster_counts": counts, "best": self._encode_fitted(best),
                }
                # the checkpoint's training state is that of the first restart it has no
                # loss of
                resume = None
                if checkpoint is not None and restart == len(checkpoint["restart_losses"]):
                    resume = checkpoint["training"]
                fitted = self._fit_once(
                    tensors, present, labels, restart_seed, device, resume=resume,
                    context=context,
                    description=f"{restart + 1}/{len(seeds)} " if len(seeds) > 1 else "")
                # no training epoch (``epochs=0``): no loss, the first restart is kept
                history = fitted["history_"]
                losses.append(float(history[-1]["loss"]) if history else math.nan)
                counts.append(int(np.unique(fitted["labels_"]).size))
                kept = best.get("best_restart_")
                if kept is None or _restart_rank(losses[-1], counts[-1], self.n_clusters) < (
                    _restart_rank(losses[kept], counts[kept], self.n_clusters)
                ):
                    best = {**fitted, "best_restart_": restart}
        for name, value in best.items():
            setattr(self, name, value)
        self.device_ = device
        self.restart_losses_ = losses
        self.restart_cluster_counts_ = counts
        self.restart_seeds_ = seeds

    def _fit_once(
        self,
        tensors: list[Tensor],
        presence: Tensor | None,
        labels: np.ndarray | None,
        seed: int,
        device: torch.device,
        *,
        resume: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        description: str = "",
    ) -> dict[str, Any]:
        """One training run from ``seed`` on the view tensors and their ``presence`` mask
        (``[n, V]``, ``None`` when complete); returns what it fitted: ``model_``,
        ``history_``, ``embedding_``, ``labels_``, ``cluster_centers_`` and what
        :meth:`_learned_state` adds. ``resume`` is a checkpoint's training state to
        continue from; ``context`` what the checkpoints of this run hold beside it
        (``None``: no checkpoints)."""
        seed_everything(seed)
        model = self._build([view.shape[1] for view in tensors]).to(device)
        trainer = Trainer(
            verbose=self.verbose,
            random_state=seed,
            eval_every=self.eval_every,
            checkpoint_path=None if context is None else self.checkpoint_path,
            checkpoint_every=self.checkpoint_every,
            checkpoint_context=context,
            description=description,
        )
        phases = self._phases(model, tensors, presence)

        def predict() -> tuple[np.ndarray, np.ndarray]:
            embedding = self._embed_tensors(model, tensors)
            return embedding, self._cluster(model, embedding, quick=True)[0]

        history = trainer.fit(model, phases, tensors, labels=labels, predict=predict,
                              resume=resume, presence=presence)
        if phases:
            recalibrate_batch_norm(
                model, phases[-1].loss, tensors,
                generator=torch.Generator().manual_seed(seed), presence=presence,
            )
        learned = self._learned_state(model, phases, tensors)
        embedding = self._embed_tensors(model, tensors)
        labels_, centers = self._cluster(model, embedding, quick=False)
        return {"model_": model, "history_": history, "embedding_": embedding,
                "labels_": labels_, "cluster_centers_": centers, **learned}

    def _learned_state(
        self, model: nn.Module, phases: list[Phase], tensors: list[Tensor]
    ) -> dict[str, Any]:
        """The fitted attributes a run learned beside the model, from its phases' ``state``
        or the trained model (its batch-norm statistics recomputed; default: none)."""
        return {}

    def _memory_parts(self, n: int, dims: list[int]) -> dict[str, int]:
        r"""Estimated peak memory of training and clustering, in bytes, by part.

        - ``activations``: a batch of :math:`B` rows (:meth:`_batch_rows`) through the
          network, :math:`4B\,(\sum_v d_v + 3\sum_\ell w_\ell)` where :math:`w_\ell`
          are the output widths of its weight matrices (outputs, activation outputs and
          gradients);
        - ``embedding forward``: one block of ``EMBED_CHUNK_ROWS`` rows through the
          encoding half of the network without gradients,
          :math:`4\min(n, 16384)(\sum_v d_v + \frac{1}{2}\sum_\ell w_\ell)`;
        - ``embedding``: the :math:`n \times e` embedding three times (the fitted one, the
          one of an evaluation, and the k-means copy);
        - ``runtime``: a fixed 150 MiB for the kernels' and thread pools' buffers;
        - ``imputation donors``: the rows kept to impute missing views from,
          :math:`4\min(n, \text{IMPUTATION\_DONORS})\sum_v d_v` (dense views);
        - what :meth:`_method_memory_parts` adds (graphs, anchor terms).

        The checks of ``benchmarks/memory_estimate.py`` (``memory-estimate.json``) measure
        how far this is from the peak.
        """
        model = self._build(dims)
        widths = sum(weight.shape[0] for weight in model.parameters() if weight.dim() == 2)
        model.eval()
        with torch.no_grad():
            embedding_width = self._forward_embedding(
                model, [torch.zeros(2, d) for d in dims]).shape[1]
        rows = self._batch_rows(n)
        return {
            "activations": 4 * rows * (sum(dims) + 3 * widths),
            "embedding forward": 4 * min(n, EMBED_CHUNK_ROWS) * (sum(dims) + widths // 2),
            "embedding": 3 * 4 * n * embedding_width,
            "runtime": 150 * 2**20,
            "imputation donors": 4 * min(n, IMPUTATION_DONORS) * sum(dims),
            **self._method_memory_parts(n, dims, rows),
        }

    def _batch_rows(self, n: int) -> int:
        """Rows per training step: ``batch_size``, or ``n`` for full-batch training."""
        return n if self.batch_size is None else min(int(self.batch_size), n)

    def _method_memory_parts(self, n: int, dims: list[int], rows: int) -> dict[str, int]:
        """Parts of the estimate peculiar to the method (default: none)."""
        return {}

    def _fingerprint(self, tensors: list[Tensor], presence: Tensor | None) -> dict[str, Any]:
        """What a checkpoint must have been written for: the parameters that shape the
        training (as text) and the scaled training views with their presence mask (sizes
        and a digest)."""
        digest = hashlib.blake2b(digest_size=16)
        for tensor in tensors if presence is None else [*tensors, presence]:
            digest.update(np.ascontiguousarray(tensor.cpu().numpy()))
        params = {name: repr(value) for name, value in self.get_params().items()
                  if name not in RESUMABLE_PARAMS}
        return {"params": params, "n_samples": int(tensors[0].shape[0]),
                "dims": [int(t.shape[1]) for t in tensors], "data": digest.hexdigest()}

    def _encode_fitted(self, fitted: Mapping[str, Any]) -> dict[str, Any]:
        """Fitted attributes as tensors and plain values: modules as their state dicts,
        arrays as tensors (a checkpoint holds nothing else)."""
        encoded: dict[str, Any] = {"modules": {}, "arrays": {}, "values": {}}
        for name, value in fitted.items():
            if isinstance(value, nn.Module):
                encoded["modules"][name] = value.state_dict()
            elif isinstance(value, np.ndarray):
                encoded["arrays"][name] = torch.from_numpy(value)
            elif value is None or isinstance(value, (bool, int, float, str, list, dict)):
                encoded["values"][name] = value
            else:
                raise TypeError(f"cannot checkpoint the fitted attribute {name} of type "
                                f"{type(value).__name__}")
        return encoded

    def _decode_fitted(self, encoded: Mapping[str, Any], tensors: list[Tensor],
                       device: torch.device) -> dict[str, Any]:
        """The inverse of :meth:`_encode_fitted` (modules rebuilt for these views)."""
        fitted: dict[str, Any] = dict(encoded["values"])
        fitted.update({name: array.numpy() for name, array in encoded["arrays"].items()})
        for name, state in encoded["modules"].items():
            module = self._build([view.shape[1] for view in tensors]).to(device)
            module.load_state_dict(state)
            fitted[name] = module.eval()
        return fitted

    def _embed(self, views: list, presence: np.ndarray | None) -> np.ndarray:
        check_is_fitted(self, "model_")
        if presence is not None:
            views = impute_from_neighbors(views, presence, *self.imputation_donors_,
                                          n_neighbors=IMPUTATION_NEIGHBORS)
        return self._embed_tensors(self.model_, views_to_tensors(views, self.device_))

    def _embed_tensors(self, model: nn.Module, tensors: list[Tensor]) -> np.ndarray:
        return embed_in_chunks(model, tensors, self._forward_embedding).float().cpu().numpy()

    def _cluster(
        self, model: nn.Module, embedding: np.ndarray, *, quick: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Labels and centres of the embedding of ``model``: k-means, one restart when
        ``quick``."""
        result = kmeans(
            embedding,
            self.n_clusters,
            n_init=1 if quick else self.n_init,
            random_state=self.random_state,
        )
        return result.labels, result.centroids

    @abstractmethod
    def _build(self, dims: list[int]) -> nn.Module:
        """The method's module for views of dimensions ``dims``."""

    @abstractmethod
    def _phases(self, model: nn.Module, views: list[Tensor],
                presence: Tensor | None) -> list[Phase]:
        """The training phases; ``views`` are the full-data tensors, ``presence`` which
        sample has which view (``[n, V]``; ``None``: all of them)."""

    @abstractmethod
    def _forward_embedding(self, model: nn.Module, views: list[Tensor]) -> Tensor:
        """The embedding ``[n, e]`` of full-data view tensors (called without grad)."""




def _donors(views: list, presence: np.ndarray | None,
            random_state: int | None) -> tuple[list, np.ndarray]:
    """The samples absent views are imputed from: every training sample, or
    ``IMPUTATION_DONORS`` of them drawn with ``random_state`` when there are more (their
    rows of every view, in the views' format, and their presence mask)."""
    n = views[0].shape[0]
    rows = np.arange(n)
    if n > IMPUTATION_DONORS:
        rows = np.sort(np.random.default_rng(random_state).choice(n, IMPUTATION_DONORS,
                                                                  replace=False))
    mask = np.ones((n, len(views)), dtype=bool) if presence is None else presence
    return [view[rows] for view in views], mask[rows]


def _restart_rank(loss: float, clusters: int, n_clusters: int) -> tuple[bool, float]:
    """Restarts compare by this key, lowest kept: first whether clusters are empty,
    then the final loss (none counts as the worst)."""
    return clusters < n_clusters, math.inf if math.isnan(loss) else loss


def _check_fingerprint(saved: Mapping[str, Any], current: Mapping[str, Any],
                       path: str | Path) -> None:
    """Refuse a checkpoint written for other parameters or data, naming what differs."""
    differences = [
        f"{name}={saved['params'].get(name)} in the checkpoint, {value} now"
        for name, value in current["params"].items() if saved["params"].get(name) != value
    ]
    for key, what in (("n_samples", "samples"), ("dims", "view dimensions")):
        if saved[key] != current[key]:
            differences.append(f"{what} {saved[key]} in the checkpoint, {current[key]} now")
    if not differences and saved["data"] != current["data"]:
        differences.append("the scaled training data differ")
    if differences:
        raise ValueError(f"checkpoint_path '{path}' was written for another fit: "
                         + "; ".join(differences)
                         + "; remove it or choose another checkpoint_path to start afresh")


def embed_in_chunks(
    model: nn.Module,
    views: list[Tensor],
    forward: Callable[[nn.Module, list[Tensor]], Tensor],
    chunk_rows: int = EMBED_CHUNK_ROWS,
) -> Tensor:
    """``forward(model, views)`` in eval mode without grad, over blocks of ``chunk_rows``
    rows concatenated, so activation memory does not grow with ``n``.

    Shapes:
        - **views:** one :math:`(n, d_v)` tensor per view
        - **output:** :math:`(n, e)` on the views' device
    """
    model.eval()
    n = views[0].shape[0]
    with torch.no_grad():
        return torch.cat([
            forward(model, [view[start : start + chunk_rows] for view in views])
            for start in range(0, n, chunk_rows)
        ])


def views_to_tensors(views: list, device: torch.device) -> list[Tensor]:
    """Dense float32 tensors on ``device``; sparse views are densified."""
    dense = [view.toarray() if sp.issparse(view) else view for view in views]
    return [torch.as_tensor(np.asarray(view), dtype=torch.float32, device=device) for view in dense]
