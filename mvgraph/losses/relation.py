r"""Relation alignment: each view's sample-relation matrix contrasted with a global one.

For a batch of :math:`B` samples with latents :math:`\mathbf{Z}^1, \dots, \mathbf{Z}^V`,
the view relations are Gaussian kernels :math:`\mathbf{S}^v_{ik} =
\exp(-\lVert\mathbf{z}^v_i - \mathbf{z}^v_k\rVert^2/\sigma)` and the global relation
:math:`\mathbf{S}` is the same kernel on the concatenation
:math:`[\mathbf{Z}^1, \dots, \mathbf{Z}^V]` (so :math:`\mathbf{S} = \prod_v \mathbf{S}^v`
elementwise). Row :math:`\mathbf{s}^v_i` (how sample :math:`i` relates to the batch in view
:math:`v`) and row :math:`\mathbf{s}_i` (the same, globally) are a positive pair; every
other row of :math:`\mathbf{S}^v` and :math:`\mathbf{S}` is a negative (RAV, Design 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from mvgraph.graphs import gaussian_relation
from mvgraph.losses.contrastive import nt_xent
from mvgraph.utils.presence import count_rows, rows_with


def relation_alignment(
    latents: Sequence[Tensor],
    sigma: float = 1.0,
    temperature: float = 0.5,
    presence: Tensor | None = None,
) -> Tensor:
    r"""Sum over views of the NT-Xent between the rows of :math:`\mathbf{S}^v` and of
    :math:`\mathbf{S}` (RAV's :math:`\mathcal{L}_S`):

    .. math::
        \mathcal{L}_S = \sum_{v=1}^{V} -\frac{1}{2B}\sum_{i=1}^{2B}\log
        \frac{e^{d(\mathbf{t}^v_i,\, \mathbf{t}^v_{p(i)})/\tau_F}}
             {\sum_{j=1}^{2B} e^{d(\mathbf{t}^v_i,\, \mathbf{t}^v_j)/\tau_F} - e^{1/\tau_F}},
        \qquad \mathbf{t}^v = [\mathbf{s}^v_1..\mathbf{s}^v_B, \mathbf{s}_1..\mathbf{s}_B],

    :math:`d` the cosine similarity and :math:`p(i)` the same sample in the other matrix.
    The paper writes the denominator as a sum over the rows of :math:`\mathbf{S}` alone
    minus :math:`e^{1/\tau_F}`; subtracting the self-similarity only removes a term when the
    anchor's own row is among the items, as in the cluster-level loss it mirrors (whose sum
    runs over both views), so the rows of both matrices are the items and the loss is
    symmetric (MFLVC's feature loss on relation rows). Gradients flow into both
    :math:`\mathbf{S}^v` and :math:`\mathbf{S}`.

    With a ``presence`` mask, view :math:`v` is aligned over the rows that have it:
    :math:`\mathbf{S}^v` and :math:`\mathbf{S}` restricted to those rows and columns (a
    view fewer than two rows have adds nothing; :math:`\mathbf{S}` is computed on every
    row, with the latents of the absent views as given).

    Args:
        latents: one batch of latents per view (the same :math:`B` samples in each).
        sigma: kernel bandwidth :math:`\sigma`.
        temperature: :math:`\tau_F`.
        presence: which row has which view, or ``None`` when every row has every view.

    Shapes:
        - **latents:** :math:`V` tensors :math:`(B, d_v)`
        - **presence:** :math:`(B, V)` booleans or ``None``
        - **output:** :math:`()`; relation matrices are :math:`B \times B`
    """
    if len(latents) == 0:
        raise ValueError("latents must hold at least one view")
    sizes = {z.shape[0] for z in latents}
    if len(sizes) != 1:
        raise ValueError(f"latents must all have the same number of rows; got {sorted(sizes)}")
    global_relation = gaussian_relation(torch.cat(list(latents), dim=1), sigma)
    rows = [rows_with(presence, v) for v in range(len(latents))]
    return sum(
        nt_xent(gaussian_relation(z[r], sigma), global_relation[r][:, r], temperature)
        for z, r in zip(latents, rows)
        if count_rows(r, len(z)) > 1
    )
