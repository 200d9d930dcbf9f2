"""Lazy package exports: a name's module is imported on first use, once."""

import sys
import uuid

import pytest

from mvgraph.utils.lazy import lazy_exports


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A fresh package on ``sys.path`` whose ``__init__`` exports ``VALUE`` and ``twice`` from
    its module ``heavy`` and ``MISSING`` from a module that does not define it; every import
    of ``heavy`` appends to ``IMPORTS`` of the package's ``counter`` module."""
    name = f"lazy_package_{uuid.uuid4().hex}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text(
        "from mvgraph.utils.lazy import lazy_exports\n"
        "EAGER = 1\n"
        f"_EXPORTS = {{'VALUE': '{name}.heavy', 'twice': '{name}.heavy',\n"
        f"            'MISSING': '{name}.counter'}}\n"
        "__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)\n"
    )
    (root / "counter.py").write_text("IMPORTS = []\n")
    (root / "heavy.py").write_text(
        f"from {name}.counter import IMPORTS\n"
        "IMPORTS.append('heavy')\n"
        "VALUE = 42\n"
        "def twice(x):\n"
        "    return 2 * x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [key for key in sys.modules if key == name or key.startswith(f"{name}.")]:
        del sys.modules[module]


def test_the_module_is_imported_on_first_use_of_a_name(package):
    imported = __import__(package)
    assert f"{package}.heavy" not in sys.modules
    assert imported.VALUE == 42
    assert f"{package}.heavy" in sys.modules
    assert imported.twice(4) == 8
    assert sys.modules[f"{package}.counter"].IMPORTS == ["heavy"]  # imported once


def test_a_resolved_name_is_stored_on_the_package(package):
    imported = __import__(package)
    assert "twice" not in vars(imported)
    function = imported.twice
    assert vars(imported)["twice"] is function is sys.modules[f"{package}.heavy"].twice
    assert "VALUE" not in vars(imported)  # only the name used is resolved


def test_an_unknown_name_is_an_attribute_error_naming_package_and_name(package):
    imported = __import__(package)
    with pytest.raises(AttributeError) as raised:
        imported.nothing  # noqa: B018
    assert str(raised.value) == f"module {package!r} has no attribute 'nothing'"
    assert not hasattr(imported, "nothing")
    assert f"{package}.heavy" not in sys.modules


def test_an_export_its_module_does_not_define_is_an_attribute_error(package):
    imported = __import__(package)
    with pytest.raises(AttributeError, match="MISSING"):
        imported.MISSING  # noqa: B018


def test_dir_lists_the_exports_before_they_are_imported(package):
    imported = __import__(package)
    names = dir(imported)
    assert names == sorted(names)
    assert {"VALUE", "twice", "MISSING", "EAGER", "__getattr__"} <= set(names)
    assert f"{package}.heavy" not in sys.modules
    assert names.count("VALUE") == 1
    imported.VALUE  # noqa: B018
    assert dir(imported).count("VALUE") == 1  # stored on the package and exported: once


def test_lazy_exports_of_mvgraph_data():
    import mvgraph.data
    from mvgraph.data.synthetic import make_multiview_blobs

    assert mvgraph.data.make_multiview_blobs is make_multiview_blobs
    assert set(mvgraph.data.__all__) <= set(dir(mvgraph.data))


def test_getattr_and_dir_of_a_package_registered_by_hand():
    module = type(sys)("lazy_by_hand")
    sys.modules["lazy_by_hand"] = module
    try:
        getattr_, dir_ = lazy_exports("lazy_by_hand", {"sqrt": "math"})
        module.__getattr__ = getattr_
        import math

        assert module.sqrt is math.sqrt and vars(module)["sqrt"] is math.sqrt
        assert "sqrt" in dir_() and dir_() == sorted(dir_())
        with pytest.raises(AttributeError, match="module 'lazy_by_hand' has no attribute 'cos'"):
            getattr_("cos")
    finally:
        del sys.modules["lazy_by_hand"]
