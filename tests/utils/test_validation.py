"""The hyper-parameter rules and the label check: what each accepts, what it refuses, and the
one-line message a refusal gives."""

import math

import numpy as np
import pytest
import torch

from mvgraph.utils.validation import (
    Either,
    Flag,
    Integer,
    Options,
    Real,
    Widths,
    as_label_vector,
    check_int,
    check_matrix,
    check_number,
    check_same_width,
    is_torch_tensor,
)


@pytest.mark.parametrize("value", [2, 3, 10**20, np.int64(2), np.int32(7), np.uint8(2)])
def test_integer_accepts_python_and_numpy_integers_from_the_bound(value):
    assert Integer(2).accepts(value)


@pytest.mark.parametrize("value", [1, -5, np.int64(1), True, False, np.bool_(True), 2.0,
                                   np.float64(3.0), "3", None, math.nan, math.inf])
def test_integer_refuses_bools_floats_and_values_below_the_bound(value):
    assert not Integer(2).accepts(value)


def test_integer_bound_is_inclusive_and_may_be_negative():
    assert Integer(0).accepts(0) and not Integer(1).accepts(0)
    assert Integer(-3).accepts(-3) and not Integer(-3).accepts(-4)


@pytest.mark.parametrize("value", [0.5, 1, 1e300, np.float32(0.1), np.float64(2.0),
                                   np.int64(4)])
def test_positive_real_accepts_finite_numbers_above_zero(value):
    assert Real(positive=True).accepts(value)


@pytest.mark.parametrize("value", [0, 0.0, -0.0, -1e-12, math.nan, math.inf, -math.inf,
                                   np.float32("nan"), np.float64("inf"), True, np.bool_(True),
                                   "1.0", None, [1.0], 1 + 0j])
def test_positive_real_refuses_zero_non_finite_bools_and_non_numbers(value):
    assert not Real(positive=True).accepts(value)


def test_non_negative_real_takes_zero_but_not_negatives_or_nan():
    rule = Real(positive=False)
    assert rule.accepts(0) and rule.accepts(0.0) and rule.accepts(-0.0) and rule.accepts(3.5)
    assert not rule.accepts(-1e-12) and not rule.accepts(math.nan) and not rule.accepts(False)


def test_options_match_strings_by_value_and_none_by_identity():
    rule = Options(("mean", "sum", None))
    assert rule.accepts("mean") and rule.accepts(np.str_("sum")) and rule.accepts(None)
    assert rule.accepts("".join(["me", "an"]))  # equal, not the same object
    for value in ("Mean", "", "none", 0, False, ["mean"], b"mean"):
        assert not rule.accepts(value), value
    assert not Options(("a", "b")).accepts(None)  # None only where it is one of them


def test_flag_is_exactly_a_bool():
    assert Flag().accepts(True) and Flag().accepts(False)
    for value in (0, 1, np.bool_(True), "True", None):
        assert not Flag().accepts(value), value


def test_widths_are_a_tuple_or_list_of_positive_integers():
    rule = Widths()
    for value in ((), [], (1,), [512, 512], (np.int64(3), 4)):
        assert rule.accepts(value), value
    for value in ((0,), (8, -1), (8.0,), (True,), "8", 8, {8}, np.array([8]), None):
        assert not rule.accepts(value), value


def test_either_accepts_what_any_of_its_rules_accepts():
    rule = Either((Integer(2), Options((None,))))
    assert rule.accepts(2) and rule.accepts(None)
    assert not rule.accepts(1) and not rule.accepts("auto") and not rule.accepts(True)
    assert rule.expected == "an integer >= 2 or one of None"


@pytest.mark.parametrize(("rule", "value", "message"), [
    (Integer(1), 0, "n must be an integer >= 1; got 0"),
    (Integer(1), True, "n must be an integer >= 1; got True"),
    (Integer(0), 2.0, "n must be an integer >= 0; got 2.0"),
    (Real(positive=True), 0, "n must be a finite number > 0; got 0"),
    (Real(positive=False), -1.5, "n must be a finite number >= 0; got -1.5"),
    (Real(positive=True), math.nan, "n must be a finite number > 0; got nan"),
    (Real(positive=True), math.inf, "n must be a finite number > 0; got inf"),
    (Options(("a", "b")), "c", "n must be one of a, b; got 'c'"),
    (Options(("a", None)), 3, "n must be one of a, None; got 3"),
    (Flag(), "yes", "n must be True or False; got 'yes'"),
    (Widths(), (8, 0), "n must be a sequence of positive integers; got (8, 0)"),
    (Either((Integer(0), Flag(), Options((None,)))), -1,
     "n must be an integer >= 0 or True or False or one of None; got -1"),
])
def test_check_names_the_parameter_the_expected_values_and_the_value(rule, value, message):
    with pytest.raises(ValueError) as raised:
        rule.check("n", value)
    assert str(raised.value) == message


def test_check_is_silent_for_an_accepted_value():
    Integer(1).check("n", 1)
    Options(("a",)).check("n", "a")


def test_check_int_and_check_number_apply_their_rules():
    check_int("k", 3, least=3)
    with pytest.raises(ValueError, match=r"^k must be an integer >= 3; got 2$"):
        check_int("k", 2, least=3)
    with pytest.raises(ValueError, match=r"^k must be an integer >= 0; got False$"):
        check_int("k", False, least=0)
    check_number("tau", 0.0, positive=False)
    with pytest.raises(ValueError, match=r"^tau must be a finite number > 0; got 0\.0$"):
        check_number("tau", 0.0, positive=True)
    with pytest.raises(ValueError, match=r"^tau must be a finite number >= 0; got -inf$"):
        check_number("tau", -math.inf, positive=False)


def test_label_vector_ravels_columns_and_rows_and_keeps_integers():
    np.testing.assert_array_equal(as_label_vector([[1], [0], [2]], "y"), [1, 0, 2])
    np.testing.assert_array_equal(as_label_vector(np.array([[3, 4, 5]]), "y"), [3, 4, 5])
    labels = np.array([2, 0, 1], dtype=np.uint8)
    assert as_label_vector(labels, "y").dtype == np.uint8


def test_label_vector_converts_integral_floats_and_tensors():
    converted = as_label_vector(np.array([1.0, 0.0, -2.0]), "y")
    assert converted.dtype == np.int64 and converted.tolist() == [1, 0, -2]
    from_tensor = as_label_vector(torch.tensor([[2], [1]]), "y")
    assert isinstance(from_tensor, np.ndarray) and from_tensor.tolist() == [2, 1]


@pytest.mark.parametrize(("labels", "message"), [
    (np.zeros((2, 3)), "y must be a 1-d array of labels; got shape (2, 3)"),
    (np.zeros((2, 1, 1)), "y must be a 1-d array of labels; got shape (2, 1, 1)"),
    (np.array(3), "y must be a 1-d array of labels; got shape ()"),
    ([], "y must hold at least one label; got an empty array"),
    ([0.0, np.nan], "y must hold finite integer labels; got nan"),
    ([1.0, np.inf], "y must hold finite integer labels; got inf"),
    ([1.0, 1.5, 2.5], "y must hold integer labels; got the non-integral value 1.5"),
    (["a", "b"], "y must hold integer labels; got dtype <U1"),
])
def test_label_vector_refusals_name_the_argument(labels, message):
    with pytest.raises(ValueError) as raised:
        as_label_vector(labels, "y")
    assert str(raised.value) == message


def test_is_torch_tensor():
    assert is_torch_tensor(torch.zeros(2))
    assert not is_torch_tensor(np.zeros(2)) and not is_torch_tensor([0.0])


def test_check_matrix_takes_a_non_empty_2d_tensor():
    check_matrix("z", torch.zeros(1, 1))
    check_matrix("z", torch.zeros(3, 2, dtype=torch.float64), "[B, d]")


@pytest.mark.parametrize(("value", "got"), [
    (torch.zeros(3), "(3,)"),
    (torch.zeros(2, 2, 2), "(2, 2, 2)"),
    (torch.zeros(0, 4), "(0, 4)"),
    (torch.zeros(4, 0), "(4, 0)"),
    (np.zeros((3, 2)), "ndarray"),
    ([[1.0]], "list"),
])
def test_check_matrix_names_the_argument_and_what_came(value, got):
    with pytest.raises(ValueError) as raised:
        check_matrix("z", value)
    assert str(raised.value) == f"z must be a non-empty 2-d tensor; got {got}"
    with pytest.raises(ValueError) as raised:
        check_matrix("z", value, "[B, d]")
    assert str(raised.value) == f"z must be a non-empty 2-d tensor [B, d]; got {got}"


def test_check_same_width_compares_the_columns_after_checking_both():
    check_same_width("z", torch.zeros(5, 3), "u", torch.zeros(2, 3))
    with pytest.raises(ValueError) as raised:
        check_same_width("z", torch.zeros(5, 3), "u", torch.zeros(2, 4))
    assert str(raised.value) == "z and u must share their width d; got shapes (5, 3) and (2, 4)"
    with pytest.raises(ValueError, match=r"^u must be a non-empty 2-d tensor; got \(3,\)$"):
        check_same_width("z", torch.zeros(5, 3), "u", torch.zeros(3))
