r"""A small convolutional encoder for image-shaped views given as flat rows."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from torch import Tensor, nn


def image_shape_3d(shape: Sequence[int]) -> tuple[int, int, int]:
    """``(H, W)`` or ``(C, H, W)`` as ``(C, H, W)``; ``ValueError`` for anything else."""
    dims = tuple(shape) if isinstance(shape, (tuple, list)) else ()
    if len(dims) not in (2, 3) or any(
        not isinstance(d, (int, np.integer)) or isinstance(d, bool) or d < 1 for d in dims
    ):
        raise ValueError(
            f"an image shape must be (H, W) or (C, H, W) of positive integers; got {shape!r}"
        )
    dims = tuple(int(d) for d in dims)
    return (1, *dims) if len(dims) == 2 else dims  # type: ignore[return-value]


def image_shapes(
    image_shape: Sequence | None, dims: Sequence[int]
) -> list[tuple[int, int, int] | None]:
    """Per view, ``None`` (not an image) or its ``(C, H, W)``, from ``image_shape``: ``None``
    (no view is an image), one ``(H, W)`` or ``(C, H, W)`` for every view, or one entry
    (``None`` or a shape) per view. ``ValueError`` for anything else, or when a shape does
    not hold exactly the view's ``dims[v]`` values."""
    if image_shape is None:
        return [None] * len(dims)
    if isinstance(image_shape, (tuple, list)) and image_shape and all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in image_shape
    ):
        entries = [tuple(int(d) for d in image_shape)] * len(dims)
    elif isinstance(image_shape, (tuple, list)) and len(image_shape) == len(dims):
        entries = list(image_shape)
    else:
        raise ValueError(
            "image_shape must be None, one (H, W) or (C, H, W), or one entry (None or a "
            f"shape) per view ({len(dims)}); got {image_shape!r}"
        )
    shapes: list[tuple[int, int, int] | None] = []
    for view, (entry, dim) in enumerate(zip(entries, dims, strict=True)):
        if entry is None:
            shapes.append(None)
            continue
        try:
            full = image_shape_3d(entry)
        except ValueError as error:
            raise ValueError(f"image_shape of view {view}: {error}") from None
        if math.prod(full) != dim:
            raise ValueError(
                f"image_shape of view {view} is {full} ({math.prod(full)} values) but the "
                f"view has {dim} features"
            )
        shapes.append(full)
    return shapes


class ConvEncoder(nn.Module):
    r"""Four 3×3/5×5 convolutions with two max-poolings (the image encoder of CONAN's code,
    from DMSC), for a view whose rows are flattened images.

    Conv5×5(32)–ReLU–Conv5×5(32)–BN–ReLU–MaxPool2–Conv3×3(32)–ReLU–Conv3×3(32)–BN–ReLU–
    MaxPool2–Flatten; a 28×28 image gives :math:`32 \cdot 3 \cdot 3 = 288` features. When
    that width differs from ``out_features``, a Linear–ReLU maps it to ``out_features``
    (CONAN's code instead sets its representation width to 288 for 28×28 images).

    Args:
        image_shape: ``(H, W)`` or ``(C, H, W)`` of one row; :math:`H, W \ge 20`.
        out_features: width of the representation.

    Shapes:
        - **input:** :math:`(B, C \cdot H \cdot W)`, rows in C-order (channel, row, column)
        - **output:** :math:`(B, \text{out\_features})`, non-negative
    """

    def __init__(self, image_shape: Sequence[int], out_features: int) -> None:
        super().__init__()
        self.image_shape = image_shape_3d(image_shape)
        channels, height, width = self.image_shape
        if min(height, width) < 20:
            raise ValueError(
                f"ConvEncoder needs images of at least 20×20 pixels; got {height}×{width}"
            )
        self.features = nn.Sequential(
            nn.Conv2d(channels, 32, 5),
            nn.ReLU(),
            nn.Conv2d(32, 32, 5),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 32 * _out_size(height) * _out_size(width)
        self.out_features = out_features
        self.head = (
            nn.Identity()
            if flat == out_features
            else nn.Sequential(nn.Linear(flat, out_features), nn.ReLU())
        )

    @property
    def in_features(self) -> int:
        return math.prod(self.image_shape)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"expected rows of {self.in_features} = prod{self.image_shape} values; "
                f"got shape {tuple(x.shape)}"
            )
        return self.head(self.features(x.reshape(-1, *self.image_shape)))

    def extra_repr(self) -> str:
        return f"image_shape={self.image_shape}, out_features={self.out_features}"


def _out_size(size: int) -> int:
    """Spatial size after the two conv–pool blocks."""
    return ((size - 8) // 2 - 4) // 2
