"""Image shapes of flat views, and the convolutional encoder's widths."""

import numpy as np
import pytest
import torch
from torch import nn

from mvgraph.nn.conv_encoder import ConvEncoder, image_shape_3d, image_shapes

SHAPE_ERROR = "an image shape must be (H, W) or (C, H, W) of positive integers; got "


@pytest.mark.parametrize(("shape", "expected"), [
    ((28, 28), (1, 28, 28)),
    ([32, 16], (1, 32, 16)),
    ((3, 32, 32), (3, 32, 32)),
    ([1, 1, 1], (1, 1, 1)),
])
def test_image_shape_3d_accepts_two_or_three_positive_integers(shape, expected):
    result = image_shape_3d(shape)
    assert result == expected and isinstance(result, tuple)


@pytest.mark.parametrize("shape", [(28,), (1, 2, 3, 4), (), (0, 28), (28, -1), (2.0, 28),
                                   (True, 28), ("28", 28), 784, "28x28", None,
                                   np.array([28, 28])])
def test_image_shape_3d_refuses_everything_else_naming_it(shape):
    with pytest.raises(ValueError) as raised:
        image_shape_3d(shape)
    assert str(raised.value) == SHAPE_ERROR + repr(shape)


def test_image_shapes_none_means_no_image_view():
    assert image_shapes(None, [784, 10, 3]) == [None, None, None]


@pytest.mark.parametrize("shape", [(28, 28), [28, 28], (1, 28, 28), (np.int64(28), 28)])
def test_image_shapes_one_shape_for_every_view(shape):
    assert image_shapes(shape, [784, 784]) == [(1, 28, 28), (1, 28, 28)]


def test_image_shapes_one_entry_per_view():
    assert image_shapes([None, (3, 4, 5), [6, 7]], [10, 60, 42]) == [None, (3, 4, 5), (1, 6, 7)]
    assert image_shapes([None, None], [5, 6]) == [None, None]


@pytest.mark.parametrize(("image_shape", "dims"), [
    ([(28, 28)], [784, 10]),  # one entry for two views
    ([None, None, None], [4, 4]),
    ((), [4]),
    ("28x28", [784]),
    (28, [784]),
    ({"shape": (28, 28)}, [784]),
])
def test_image_shapes_of_another_form_are_refused(image_shape, dims):
    with pytest.raises(ValueError) as raised:
        image_shapes(image_shape, dims)
    assert str(raised.value) == (
        "image_shape must be None, one (H, W) or (C, H, W), or one entry (None or a shape) "
        f"per view ({len(dims)}); got {image_shape!r}"
    )


def test_image_shapes_name_the_view_of_a_bad_entry():
    with pytest.raises(ValueError) as raised:
        image_shapes([None, (0, 5)], [3, 0])
    assert str(raised.value) == "image_shape of view 1: " + SHAPE_ERROR + "(0, 5)"
    with pytest.raises(ValueError, match=r"^image_shape of view 0: an image shape must be"):
        image_shapes((28,), [28])


def test_image_shapes_must_hold_exactly_the_views_features():
    with pytest.raises(ValueError) as raised:
        image_shapes([None, (3, 8, 8)], [10, 190])
    assert str(raised.value) == ("image_shape of view 1 is (3, 8, 8) (192 values) but the view "
                                 "has 190 features")
    with pytest.raises(ValueError, match=r"^image_shape of view 0 is \(1, 28, 28\) \(784 "):
        image_shapes((28, 28), [784 + 1])


def test_a_28_by_28_image_gives_288_features_without_a_head():
    torch.manual_seed(0)
    encoder = ConvEncoder((28, 28), 288)
    assert encoder.image_shape == (1, 28, 28) and encoder.in_features == 784
    assert isinstance(encoder.head, nn.Identity)
    out = encoder(torch.rand(5, 784))
    assert out.shape == (5, 288) and bool((out >= 0).all())


def test_another_width_adds_a_linear_head_from_the_flattened_features():
    torch.manual_seed(0)
    # 32 -> 28 -> 24 -> pool 12 -> 10 -> 8 -> pool 4: 32 channels x 4 x 4 = 512
    encoder = ConvEncoder((3, 32, 32), 64)
    assert encoder.in_features == 3 * 32 * 32
    rows = torch.rand(2, 3 * 32 * 32)
    assert encoder.features(rows.reshape(-1, 3, 32, 32)).shape == (2, 512)
    assert isinstance(encoder.head[0], nn.Linear) and encoder.head[0].in_features == 512
    out = encoder(rows)
    assert out.shape == (2, 64) and bool((out >= 0).all())
    assert "image_shape=(3, 32, 32), out_features=64" in repr(encoder)


def test_the_rows_are_read_in_channel_row_column_order():
    torch.manual_seed(0)
    encoder = ConvEncoder((2, 20, 21), 8).eval()
    images = torch.rand(3, 2, 20, 21)
    with torch.no_grad():
        expected = encoder.head(encoder.features(images))
        torch.testing.assert_close(encoder(images.reshape(3, -1)), expected)


def test_small_images_and_rows_of_another_width_are_refused():
    with pytest.raises(ValueError, match="^ConvEncoder needs images of at least 20×20 pixels; "
                                         "got 19×28$"):
        ConvEncoder((19, 28), 16)
    encoder = ConvEncoder((20, 20), 16)
    with pytest.raises(ValueError) as raised:
        encoder(torch.rand(2, 399))
    assert str(raised.value) == "expected rows of 400 = prod(1, 20, 20) values; got shape (2, 399)"
    with pytest.raises(ValueError, match=r"got shape \(2, 20, 20\)"):
        encoder(torch.rand(2, 20, 20))
