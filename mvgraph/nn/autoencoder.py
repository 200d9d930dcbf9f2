"""Fully connected autoencoders, one per view."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn
from torch_geometric.nn import MLP


class ViewAutoencoders(nn.Module):
    r"""One fully connected encoder and decoder per view.

    View :math:`v` is encoded by the stack ``[d_v, *hidden, latent_dim]`` and decoded by
    the mirrored stack ``[decoder_in, *reversed(hidden), d_v]`` (both
    :class:`torch_geometric.nn.MLP` without normalisation). The activation is applied
    between layers, after the latent layer only with ``latent_activation`` and after the
    output layer only with ``output_activation``.

    Args:
        dims: input dimension :math:`d_v` of every view.
        latent_dim: width of each view's latent code.
        hidden: hidden widths of the encoders (the decoders use them reversed).
        act: activation, any name or module :class:`torch_geometric.nn.MLP` accepts.
        latent_activation: also activate the latent layer.
        output_activation: also activate the decoders' output layer.
        decoder_in: input width of the decoders; ``None`` = ``latent_dim`` (set it when
            the views are decoded from a fused code of another width).

    Shapes:
        - **encode:** views :math:`[(n, d_v)]_v` → latents :math:`[(n, \text{latent})]_v`
        - **decode:** latents :math:`[(n, \text{decoder\_in})]_v`, or one tensor
          :math:`(n, \text{decoder\_in})` decoded by every view's decoder →
          reconstructions :math:`[(n, d_v)]_v`
    """

    def __init__(
        self,
        dims: Sequence[int],
        latent_dim: int,
        hidden: Sequence[int] = (500, 500, 2000),
        *,
        act: str | nn.Module = "relu",
        latent_activation: bool = False,
        output_activation: bool = False,
        decoder_in: int | None = None,
    ) -> None:
        super().__init__()
        if len(dims) == 0:
            raise ValueError("dims must name at least one view")
        for name, widths in (("dims", dims), ("hidden", hidden), ("latent_dim", [latent_dim])):
            if any(not isinstance(w, int) or isinstance(w, bool) or w < 1 for w in widths):
                raise ValueError(f"{name} must hold positive integers; got {list(widths)}")
        self.dims = list(dims)
        self.latent_dim = latent_dim
        decoder_in = latent_dim if decoder_in is None else decoder_in
        self.encoders = nn.ModuleList(
            MLP([d, *hidden, latent_dim], act=act, norm=None, plain_last=not latent_activation)
            for d in self.dims
        )
        self.decoders = nn.ModuleList(
            MLP([decoder_in, *reversed(hidden), d], act=act, norm=None,
                plain_last=not output_activation)
            for d in self.dims
        )

    def encode(self, views: Sequence[Tensor]) -> list[Tensor]:
        """Latent code of every view."""
        self._check_count(views, "views")
        return [encoder(view) for encoder, view in zip(self.encoders, views)]

    def decode(self, latents: Sequence[Tensor] | Tensor) -> list[Tensor]:
        """Reconstruction of every view from its latent code, or from one shared code."""
        if isinstance(latents, Tensor):
            return [decoder(latents) for decoder in self.decoders]
        self._check_count(latents, "latents")
        return [decoder(code) for decoder, code in zip(self.decoders, latents)]

    def _check_count(self, tensors: Sequence[Tensor], name: str) -> None:
        if len(tensors) != len(self.dims):
            raise ValueError(
                f"{name} must hold one tensor per view ({len(self.dims)}); got {len(tensors)}"
            )

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(dims={self.dims}, latent_dim={self.latent_dim}, "
            f"hidden={[lin.out_channels for lin in self.encoders[0].lins[:-1]]})"
        )
