import math

import pytest
import torch

from mvgraph.nn import CrossViewRecalibration

D = 5


def _inputs(m: int, batch: int = 7, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, D, dtype=torch.float64, generator=generator)
    reps = [torch.randn(batch, D, dtype=torch.float64, generator=generator) for _ in range(m)]
    return h, reps


def _module(m: int, **kwargs) -> CrossViewRecalibration:
    torch.manual_seed(0)
    return CrossViewRecalibration(D, m, gate_hidden=6, **kwargs).double()


def test_attention_weights_match_a_direct_loop_and_sum_to_one_over_the_other_views():
    m = 4
    module = _module(m)
    h, reps = _inputs(m)
    with torch.no_grad():
        parts = module.parts(h, reps)
        query = h @ module.query.weight.T
    for i in range(h.shape[0]):
        for v in range(m):
            scores = {k: float(reps[k][i] @ query[i]) / math.sqrt(D) for k in range(m) if k != v}
            total = sum(math.exp(s) for s in scores.values())
            assert float(parts.weights[i, v, v]) == 0.0
            for k, score in scores.items():
                assert float(parts.weights[i, v, k]) == pytest.approx(math.exp(score) / total)
            complement = sum(parts.weights[i, v, k] * reps[k][i] for k in scores)
            torch.testing.assert_close(parts.complements[i, v], complement)
    torch.testing.assert_close(parts.weights.sum(-1), torch.ones(7, m, dtype=torch.float64))


def test_gate_lies_in_the_unit_interval_and_follows_eq_7():
    m = 3
    module = _module(m)
    h, reps = _inputs(m)
    reps = [10 * r for r in reps]  # push the sigmoid towards saturation
    parts = module.parts(h, reps)
    assert bool((parts.gates >= 0).all()) and bool((parts.gates <= 1).all())
    first, second = module.gate_network.lins
    for v in range(m):
        joint = torch.cat([reps[v], parts.complements[:, v]], dim=1)
        expected = torch.sigmoid(second(torch.relu(first(joint))))
        torch.testing.assert_close(parts.gates[:, v], expected)
        torch.testing.assert_close(
            parts.outputs[:, v], reps[v] + expected * parts.complements[:, v]
        )


def test_a_closed_gate_leaves_the_identity_path():
    m = 3
    module = _module(m)
    last = module.gate_network.lins[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.fill_(-1e4)
    h, reps = _inputs(m)
    parts = module.parts(h, reps)
    assert bool((parts.gates == 0).all())
    assert bool((parts.complements.abs() > 0).any())
    for output, rep in zip(module(h, reps), reps, strict=True):
        assert torch.equal(output, rep)


def test_two_views_give_the_other_view_weight_one():
    module = _module(2)
    h, reps = _inputs(2)
    parts = module.parts(h, reps)
    expected = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64).expand(7, 2, 2)
    torch.testing.assert_close(parts.weights, expected)
    torch.testing.assert_close(parts.complements[:, 0], reps[1])


SPECS = [
    (aggregation, gate, fusion)
    for aggregation in ("attention", "mean")
    for gate in ("dynamic", "none")
    for fusion in ("residual", "concat")
]


@pytest.mark.parametrize("spec", SPECS)
def test_each_switch_changes_exactly_its_part(spec):
    aggregation, gate, fusion = spec
    m = 3
    full = _module(m)
    variant = _module(m, aggregation=aggregation, gate=gate, fusion=fusion)
    variant.load_state_dict(full.state_dict(), strict=False)  # share the common weights
    assert (variant.query is not None) == (aggregation == "attention")
    assert (variant.gate_network is not None) == (gate == "dynamic")
    assert (variant.merge is not None) == (fusion == "concat")
    h, reps = _inputs(m)
    ref, got = full.parts(h, reps), variant.parts(h, reps)
    if aggregation == "attention":
        torch.testing.assert_close(got.weights, ref.weights)
    else:
        off_diagonal = (1 - torch.eye(m, dtype=torch.float64)) / (m - 1)
        torch.testing.assert_close(got.weights, off_diagonal.expand(7, m, m))
        assert not torch.allclose(got.weights, ref.weights)
    if gate == "dynamic":
        if aggregation == "attention":
            torch.testing.assert_close(got.gates, ref.gates)
        joint = torch.cat([torch.stack(reps, 1), got.complements], -1)
        torch.testing.assert_close(got.gates, torch.sigmoid(variant.gate_network(joint)))
    else:
        assert bool((got.gates == 1).all())
    stacked = torch.stack(reps, 1)
    residual = got.gates * got.complements
    if fusion == "residual":
        torch.testing.assert_close(got.outputs, stacked + residual)
    else:
        torch.testing.assert_close(got.outputs, variant.merge(torch.cat([stacked, residual], -1)))
    if spec == ("attention", "dynamic", "residual"):
        torch.testing.assert_close(got.outputs, ref.outputs)


def test_gradients_reach_every_parameter():
    module = _module(3, fusion="concat")
    h, reps = _inputs(3)
    sum(out.square().sum() for out in module(h, reps)).backward()
    for name, parameter in module.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_views"):
        CrossViewRecalibration(D, 1)
    with pytest.raises(ValueError, match="aggregation"):
        CrossViewRecalibration(D, 2, aggregation="max")
    with pytest.raises(ValueError, match="gate"):
        CrossViewRecalibration(D, 2, gate="static")
    with pytest.raises(ValueError, match="fusion"):
        CrossViewRecalibration(D, 2, fusion="sum")
    with pytest.raises(ValueError, match="channels"):
        CrossViewRecalibration(0, 2)
    module = CrossViewRecalibration(D, 2)
    with pytest.raises(ValueError, match="one tensor per view"):
        module(torch.zeros(3, D), [torch.zeros(3, D)])
    with pytest.raises(ValueError, match=r"view_reps\[1\]"):
        module(torch.zeros(3, D), [torch.zeros(3, D), torch.zeros(4, D)])
    assert "aggregation='attention'" in repr(module)
