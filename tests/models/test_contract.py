"""The contract every registered method keeps, checked for each without a line of its own:
scikit-learn parameters, a fit on tiny data, predictions that reproduce the training labels,
the embedding's shape, reproducible seeds, refused parameters named, running examples."""

import dataclasses
import doctest
import importlib

import numpy as np
import pytest
import torch
from sklearn.base import clone

from mvgraph.data import make_incomplete, make_multiview_blobs
from mvgraph.models import METHOD_NAMES, get_method
from mvgraph.utils.validation import Either, Flag, Integer, Options, Real, Rule, Widths


@pytest.fixture(scope="module")
def tiny():
    return make_multiview_blobs(120, n_views=2, n_clusters=3, dims=[6, 5], noise=0.05,
                                random_state=0)


def quick(name: str, **params):
    """The method with its defaults but one epoch per phase and no output."""
    estimator = get_method(name)(3, random_state=0, **params)
    short = {key: 1 for key in estimator.get_params() if key.endswith("epochs")}
    quiet = {"verbose": 0} if "verbose" in estimator.get_params() else {}
    return estimator.set_params(**short, **quiet)


def bad_values(rule: Rule) -> list:
    """Values ``rule`` refuses: one of another type, and one just past its bounds."""
    values: list = [object()]
    if isinstance(rule, Integer):
        values += [rule.least - 1, float(rule.least), True]
    elif isinstance(rule, Real):
        values += [0.0 if rule.positive else -1.0, float("nan"), "1"]
    elif isinstance(rule, Options):
        values += ["no-such-option"]
    elif isinstance(rule, Flag):
        values += ["yes", 1]
    elif isinstance(rule, Widths):
        values += [(4, 0), 8]
    elif isinstance(rule, Either):
        values += ["no-such-option"]
    return values


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_parameters_follow_scikit_learn(name):
    estimator = quick(name)
    params = estimator.get_params()
    assert clone(estimator).get_params() == params
    assert estimator.set_params(**params).get_params() == params
    declared = {field.name for field in dataclasses.fields(estimator)}
    assert declared == set(params)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_fit_predict_transform(name, tiny):
    estimator = quick(name).fit(tiny)
    assert estimator.labels_.shape == (tiny.n_samples,)
    np.testing.assert_array_equal(estimator.predict(tiny), estimator.labels_)
    assert estimator.transform(tiny).shape == estimator.embedding_.shape
    assert estimator.embedding_.shape[0] == tiny.n_samples


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_the_same_seed_gives_the_same_labels_on_one_thread(name, tiny):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        first = quick(name).fit(tiny).labels_
        again = quick(name).fit(tiny).labels_
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_every_declared_rule_refuses_bad_values_by_name(name, tiny):
    for field in dataclasses.fields(get_method(name)):
        rule = field.metadata.get("rule")
        if rule is None:
            continue
        for value in bad_values(rule):
            estimator = quick(name).set_params(**{field.name: value})
            with pytest.raises(ValueError, match=f"^{field.name} must be .*; got "):
                estimator.fit(tiny)


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_the_docstring_examples_run(name):
    module = importlib.import_module(get_method(name).__module__)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", METHOD_NAMES)
def test_missing_views_are_taken(name, tiny):
    incomplete = make_incomplete(tiny, 0.5, random_state=0)
    estimator = quick(name).fit(incomplete)
    assert estimator.labels_.shape == (tiny.n_samples,)
    np.testing.assert_array_equal(estimator.predict(incomplete), estimator.labels_)
    # the rate-0 protocol is the complete data: the same labels as the complete path
    complete = quick(name).fit(tiny)
    np.testing.assert_array_equal(quick(name).fit(make_incomplete(tiny, 0.0)).labels_,
                                  complete.labels_)
    # a model fitted on complete data labels incomplete samples too
    assert complete.predict(incomplete.subset(np.arange(7))).shape == (7,)
