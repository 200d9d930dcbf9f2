"""Anchor graph convolution."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn import Parameter
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.nn.dense.linear import Linear
from torch_geometric.nn.inits import zeros
from torch_geometric.typing import Adj, OptTensor

from mvgraph.graphs.anchors import AnchorGraph, inverse_degree


class AGCNConv(MessagePassing):
    r"""Anchor graph convolution over the anchor graph
    :math:`\hat{\mathbf{A}} = \mathbf{D}^{-1}\mathbf{S}^\top\mathbf{S}`:

    .. math::
        \mathbf{F}^{\prime} = \mathbf{D}^{-1}\mathbf{S}^\top\mathbf{S}\,\mathbf{F}\,
        \mathbf{\Theta} \; (+\, \mathbf{b}),

    where :math:`\mathbf{S} \in \mathbb{R}^{n \times m}` is a sample→anchor graph
    (:class:`~mvgraph.graphs.AnchorGraph`), :math:`\mathbf{D} =
    \operatorname{diag}(\mathbf{S}^\top\mathbf{1})` and :math:`\mathbf{F}` holds the anchor
    features. Its node-wise form is :math:`\mathbf{f}^{\prime}_i = \mathbf{\Theta}^\top
    \sum_j \hat{a}_{ij} \mathbf{f}_j`. As in :class:`~torch_geometric.nn.conv.GCNConv`, no
    activation is applied.

    The operator :math:`\hat{\mathbf{A}}` can be given in three forms, all through
    :meth:`propagate`:

    - a sparse tensor ``[m, m]`` equal to :math:`\hat{\mathbf{A}}` (e.g.
      :meth:`AnchorGraph.anchor_adjacency`): the fused path :meth:`message_and_aggregate`,
      one ``torch.sparse.mm``;
    - ``edge_index`` ``[2, E]`` and ``edge_weight`` ``[E]`` with an edge :math:`j \to i`
      (``edge_index[0] = j``, ``edge_index[1] = i``) of weight :math:`\hat{a}_{ij}`; from the
      sparse form: ``adj.indices().flip(0)``, ``adj.values()``. Edge-wise :meth:`message`;
    - an :class:`~mvgraph.graphs.AnchorGraph`: :math:`\hat{\mathbf{A}}` is applied in its
      factored form, two bipartite propagations anchors → samples (:math:`\mathbf{S}`) and
      samples → anchors (:math:`\mathbf{S}^\top`) on the sparse tensors of
      :meth:`AnchorGraph.to_sparse`, then the scaling by :math:`\mathbf{D}^{-1}`; the
      :math:`m \times m` matrix is never formed and gradients reach ``edge_weight``.

    Args:
        in_channels: size of each input anchor feature.
        out_channels: size of each output anchor feature.
        bias: learn an additive bias :math:`\mathbf{b}`. (default: ``False``)
        **kwargs: additional arguments of :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** anchor features :math:`(m, F_{in})`; edge indices :math:`(2, E)` with
          edge weights :math:`(E)`, or a sparse matrix :math:`(m, m)`, or an anchor graph
          with ``size=(n, m)``
        - **output:** anchor features :math:`(m, F_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = False, **kwargs):
        kwargs.setdefault("aggr", "add")
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin = Linear(in_channels, out_channels, bias=False, weight_initializer="glorot")
        if bias:
            self.bias = Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin.reset_parameters()
        zeros(self.bias)

    def forward(
        self, x: Tensor, edge_index: Adj | AnchorGraph, edge_weight: OptTensor = None
    ) -> Tensor:
        x = self.lin(x)
        if isinstance(edge_index, AnchorGraph):
            out = self._factored_propagate(x, edge_index)
        else:
            # propagate_type: (x: Tensor, edge_weight: OptTensor)
            out = self.propagate(edge_index, x=x, edge_weight=edge_weight)
        if self.bias is not None:
            out = out + self.bias
        return out

    def _factored_propagate(self, x: Tensor, graph: AnchorGraph) -> Tensor:
        r""":math:`\mathbf{D}^{-1}\mathbf{S}^\top(\mathbf{S}\mathbf{X})`: anchors → samples →
        anchors, two bipartite propagations over coalesced sparse tensors."""
        if x.shape[0] != graph.size[1]:
            raise ValueError(
                f"x must have one row per anchor (m = {graph.size[1]}); got {x.shape[0]} rows"
            )
        samples = self.propagate(graph.to_sparse(), x=x, edge_weight=None)
        anchors = self.propagate(graph.to_sparse(transpose=True), x=samples, edge_weight=None)
        return anchors * inverse_degree(graph.anchor_degree()).unsqueeze(1)

    def message(self, x_j: Tensor, edge_weight: OptTensor) -> Tensor:
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: Tensor, x: Tensor) -> Tensor:
        return torch.sparse.mm(adj_t, x)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"bias={self.bias is not None})"
        )


class AnchorClusterHead(nn.Module):
    r"""Two anchor graph convolutions to anchor cluster distributions (DMAC Eq. 11):
    :math:`\mathbf{F} = \operatorname{softmax}(\hat{\mathbf{A}}\,
    \operatorname{LeakyReLU}(\hat{\mathbf{A}}\mathbf{U}\mathbf{W}_1)\mathbf{W}_2)`,
    :math:`\hat{\mathbf{A}} = \mathbf{D}^{-1}\mathbf{S}^\top\mathbf{S}`, bias-free.

    Shapes:
        - **input:** anchors :math:`(m, d)` and an anchor graph with ``size=(n, m)``
        - **output:** :math:`(m, c)`, rows summing to 1
    """

    def __init__(self, in_channels: int, hidden: int, n_clusters: int) -> None:
        super().__init__()
        self.conv1 = AGCNConv(in_channels, hidden)
        self.conv2 = AGCNConv(hidden, n_clusters)

    def forward(self, anchors: Tensor, graph: AnchorGraph) -> Tensor:
        hidden = F.leaky_relu(self.conv1(anchors, graph))
        return torch.softmax(self.conv2(hidden, graph), dim=1)
