import pytest
import torch
from torch import nn

from mvgraph.nn import ViewAutoencoders


def test_shapes_and_mirrored_widths():
    model = ViewAutoencoders([7, 5], latent_dim=3, hidden=(6, 4))
    views = [torch.randn(10, 7), torch.randn(10, 5)]
    latents = model.encode(views)
    assert [z.shape for z in latents] == [(10, 3), (10, 3)]
    rebuilt = model.decode(latents)
    assert [x.shape for x in rebuilt] == [(10, 7), (10, 5)]
    widths = [(lin.in_channels, lin.out_channels) for lin in model.decoders[0].lins]
    assert widths == [(3, 4), (4, 6), (6, 7)]


def test_latent_and_output_activations():
    plain = ViewAutoencoders([4], latent_dim=3, hidden=(5,))
    active = ViewAutoencoders([4], latent_dim=3, hidden=(5,), latent_activation=True,
                              output_activation=True)
    active.load_state_dict(plain.state_dict())
    x = [torch.randn(50, 4)]
    assert (plain.encode(x)[0] < 0).any()
    assert (active.encode(x)[0] >= 0).all()
    assert (active.decode(active.encode(x))[0] >= 0).all()
    torch.testing.assert_close(active.encode(x)[0], torch.relu(plain.encode(x)[0]))


def test_one_shared_code_is_decoded_by_every_view():
    model = ViewAutoencoders([4, 6], latent_dim=2, hidden=(3,), decoder_in=5,
                             act=nn.LeakyReLU())
    rebuilt = model.decode(torch.randn(8, 5))
    assert [x.shape for x in rebuilt] == [(8, 4), (8, 6)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="hidden"):
        ViewAutoencoders([4], latent_dim=2, hidden=(0,))
    model = ViewAutoencoders([4, 4], latent_dim=2, hidden=(3,))
    with pytest.raises(ValueError, match="one tensor per view"):
        model.encode([torch.randn(2, 4)])
