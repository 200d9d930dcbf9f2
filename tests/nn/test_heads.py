import pytest
import torch
from torch import nn

from mvgraph.losses import student_t_assignment
from mvgraph.nn import (
    ConcatFusion,
    ConvEncoder,
    DDCHead,
    DECHead,
    ProjectionHead,
)


def test_projection_and_prediction_heads_shapes_and_layer_order():
    projection = ProjectionHead(8, 16, 4)
    kinds = [type(layer) for layer in projection.layers]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear, nn.BatchNorm1d]
    assert projection(torch.randn(10, 8)).shape == (10, 4)
    prediction = ProjectionHead(4, 6, 4, output_norm=False)
    kinds = [type(layer) for layer in prediction.layers]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
    assert prediction(torch.randn(10, 4)).shape == (10, 4)
    with pytest.raises(ValueError, match="hidden_features"):
        ProjectionHead(8, 0, 4)


def test_ddc_head_gives_simplex_rows_and_its_hidden_layer():
    head = DDCHead(8, 5, 3)
    assignments, hidden = head(torch.randn(12, 8))
    assert assignments.shape == (12, 3) and hidden.shape == (12, 5)
    torch.testing.assert_close(assignments.sum(1), torch.ones(12))
    assert [type(layer) for layer in head.hidden] == [nn.Linear, nn.ReLU, nn.BatchNorm1d]


def test_ddc_head_temperature_divides_the_logits():
    torch.manual_seed(0)
    plain, tempered = DDCHead(8, 5, 3), DDCHead(8, 5, 3, temperature=3.0)
    tempered.load_state_dict(plain.state_dict())
    z = torch.randn(12, 8)
    (cold, hidden), (warm, same_hidden) = plain(z), tempered(z)
    torch.testing.assert_close(same_hidden, hidden)
    logits = plain.output(hidden)
    torch.testing.assert_close(warm, torch.softmax(logits / 3.0, dim=1))
    assert torch.equal(warm.argmax(1), cold.argmax(1))
    assert warm.max(1).values.mean() < cold.max(1).values.mean()
    with pytest.raises(ValueError, match="temperature"):
        DDCHead(8, 5, 3, temperature=0.0)


def test_dec_head_uses_its_centroids():
    head = DECHead(4, 3, alpha=2.0)
    centroids = torch.randn(3, 4)
    head.set_centroids(centroids)
    z = torch.randn(9, 4)
    torch.testing.assert_close(head(z), student_t_assignment(z, centroids, 2.0))
    head(z).sum().backward()
    assert head.centroids.grad is not None
    with pytest.raises(ValueError, match="shape"):
        head.set_centroids(torch.randn(2, 4))


def test_concat_fusion_layers_and_input_check():
    fusion = ConcatFusion([3, 5], 6)
    kinds = [type(layer) for layer in fusion.layers]
    assert kinds == [nn.Linear, nn.ReLU, nn.BatchNorm1d, nn.Linear]
    assert fusion.layers[0].in_features == 8
    assert fusion([torch.randn(7, 3), torch.randn(7, 5)]).shape == (7, 6)
    with pytest.raises(ValueError, match="expected 2"):
        fusion([torch.randn(7, 3)])
    with pytest.raises(ValueError, match="positive integers"):
        ConcatFusion([], 6)


def test_conv_encoder_on_small_synthetic_images():
    torch.manual_seed(0)
    # 28×28 grey images: 32·3·3 = 288 features, no extra layer (the reference setting).
    encoder = ConvEncoder((28, 28), 288)
    assert isinstance(encoder.head, nn.Identity) and encoder.image_shape == (1, 28, 28)
    images = torch.rand(6, 1, 28, 28)
    out = encoder(images.reshape(6, -1))
    assert out.shape == (6, 288) and (out >= 0).all()
    torch.testing.assert_close(out, encoder.features(images))
    # 3-channel 24×24 images mapped to 16 features by the extra Linear–ReLU.
    colour = ConvEncoder((3, 24, 24), 16)
    assert colour(torch.rand(4, 3 * 24 * 24)).shape == (4, 16)
    with pytest.raises(ValueError, match="1728"):
        colour(torch.rand(4, 100))
    with pytest.raises(ValueError, match="at least 20"):
        ConvEncoder((16, 16), 8)
    with pytest.raises(ValueError, match="image shape"):
        ConvEncoder((1, 2, 28, 28), 8)
