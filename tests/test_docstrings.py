"""The docstrings a user reads in an IDE or with help(): every public function and class of every
public module has the NumPy-style sections its kind needs, each documented parameter exists, and
the Examples run (doctest, here, on every platform CI tests).

A module whose optional dependency is missing is skipped. Keras is imported on the JAX backend,
as tests/test_keras.py does."""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import inspect
import os
import pydoc
import re
import sys
import textwrap

import pytest

# module -> the optional packages its examples need
MODULES = {
    "fastinit": (),
    "fastinit.analysis": (),
    "fastinit.reference": (),
    "fastinit.io": (),
    "fastinit.dask": ("dask",),
    "fastinit.torch": ("torch",),
    "fastinit.jax": ("jax",),
    "fastinit.keras": ("jax", "keras"),
}

# objects whose examples need more than their module
NEEDS = {
    "fastinit.analysis.plot_propagation": ("matplotlib",),
    "fastinit.io.write_safetensors": ("safetensors",),
}

# Public objects that take arguments but never raise for a valid call of their signature: plain
# records (dataclasses) and an exception class.
CANNOT_RAISE = {
    "fastinit.analysis.LayerGains",
    "fastinit.analysis.LayerStats",
    "fastinit.torch.NotInitializedError",
    "fastinit.torch.TorchArgumentError",
    "fastinit.torch.canonical_name",
}
SECTION = re.compile(r"^(\S.*)\n-{3,}$", re.M)


def _import(module: str):
    if module == "fastinit.keras" and "keras" not in sys.modules:
        saved = os.environ.get("KERAS_BACKEND")
        os.environ["KERAS_BACKEND"] = "jax"  # as tests/test_keras.py: JAX's Keras, just for the import
        try:
            import keras  # noqa: F401
        finally:
            if saved is None:
                del os.environ["KERAS_BACKEND"]
            else:
                os.environ["KERAS_BACKEND"] = saved
    return importlib.import_module(module)


def _available(module: str) -> bool:
    try:
        return all(importlib.util.find_spec(name) is not None for name in MODULES[module])
    except (ImportError, ValueError):  # a package blocked in sys.modules, or a broken one
        return False


def _public(module: str) -> list[tuple[str, object]]:
    """(qualified name, object) of each public function and class of module, and of each public
    method of those classes (its own or inherited from fastinit, not from a framework)."""
    mod = _import(module)
    out = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # constants (POLICIES, SCHEMES, __version__, ...)
        out.append((f"{module}.{name}", obj))
        if inspect.isclass(obj):
            methods = {
                attr
                for klass in obj.__mro__
                if klass.__module__.startswith("fastinit")
                for attr, value in vars(klass).items()
                if inspect.isfunction(value) and (attr == "__call__" or not attr.startswith("_"))
            }
            out += [(f"{module}.{name}.{attr}", getattr(obj, attr)) for attr in sorted(methods)]
    return out


def _params():
    seen = set()  # an object public in two modules (fastinit.torch.zeros_ is fastinit.zeros_) is tested once
    for module in MODULES:
        if not _available(module):
            yield pytest.param(module, None, id=f"{module}-skipped")
            continue
        for qualname, obj in _public(module):
            if id(obj) not in seen:
                seen.add(id(obj))
                yield pytest.param(module, qualname, id=qualname)


PARAMS = list(_params())


def _object(module: str, qualname: str | None) -> object:
    for name in (*MODULES[module], *NEEDS.get(qualname or "", ())):
        pytest.importorskip(name)
    if qualname is None:
        pytest.fail(f"{module}'s dependencies import now but did not at collection")
    return dict(_public(module))[qualname]


def sections(doc: str) -> dict[str, str]:
    """A NumPy docstring's sections: title -> body."""
    parts = SECTION.split(inspect.cleandoc(doc))
    return {title: body for title, body in zip(parts[1::2], parts[2::2])}


def documented_names(doc: str) -> set[str]:
    """The parameter names the Parameters and Other Parameters sections describe."""
    names = set()
    for title, body in sections(doc).items():
        if title in ("Parameters", "Other Parameters"):
            for line in textwrap.dedent(body.strip("\n")).splitlines():
                if line and not line[0].isspace():
                    names.update(n.strip("*") for n in line.split(" : ")[0].split(", "))
    return names


def _signature(obj: object) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # an exception class: no Python signature
        return None


def _arguments(obj: object) -> list[inspect.Parameter]:
    sig = _signature(obj)
    if sig is None:
        return [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL)]
    return [p for name, p in sig.parameters.items() if name != "self"]


def _raises_itself(obj: object) -> bool:
    """Does obj's own source (a class: its methods' and its bases' in fastinit) hold a raise?"""
    units = [k for k in obj.__mro__ if k.__module__.startswith("fastinit")] if inspect.isclass(obj) else [obj]
    for unit in units:
        try:
            source = textwrap.dedent(inspect.getsource(unit))
        except (OSError, TypeError):
            continue
        if any(isinstance(node, ast.Raise) for node in ast.walk(ast.parse(source))):
            return True
    return False


def required_sections(qualname: str, obj: object) -> set[str]:
    """The sections obj's docstring must have: Parameters unless it takes no arguments, Returns
    (or Yields) for a function that returns something, Raises where it raises (its own raise
    statements, or any argument it validates), Examples always."""
    needed = {"Examples"}
    arguments = _arguments(obj)
    if arguments:
        needed.add("Parameters")
    if not inspect.isclass(obj):
        sig = _signature(obj)
        if sig is not None and sig.return_annotation not in ("None", None):
            needed.add("Returns")
    if _raises_itself(obj) or (arguments and qualname not in CANNOT_RAISE):
        needed.add("Raises")
    return needed


@pytest.mark.parametrize(("module", "qualname"), PARAMS)
def test_docstring_has_the_sections_of_its_kind(module, qualname):
    obj = _object(module, qualname)
    doc = inspect.getdoc(obj) or ""
    found = set(sections(doc))
    if "Yields" in found:
        found.add("Returns")
    missing = required_sections(qualname, obj) - found
    assert not missing, f"{qualname}: the docstring has no {', '.join(sorted(missing))} section"
    assert doc.splitlines()[0].strip(), f"{qualname}: the docstring starts with an empty line"
    left = re.findall(r"^ *<[a-z][a-z' ]*>$", doc, re.M)  # fastinit._docstrings' markers, torch_function's
    assert not left, f"{qualname}: the docstring still has the section markers {left}"


@pytest.mark.parametrize(("module", "qualname"), PARAMS)
def test_documented_parameters_exist_and_named_ones_are_documented(module, qualname):
    obj = _object(module, qualname)
    documented = documented_names(inspect.getdoc(obj) or "")
    arguments = _arguments(obj)
    named = {
        p.name
        for p in arguments
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    }
    assert not named - documented, f"{qualname}: parameters not documented: {sorted(named - documented)}"
    if _signature(obj) is not None and not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in arguments):
        stray = documented - named - {p.name for p in arguments}
        assert not stray, f"{qualname}: documents parameters it does not take: {sorted(stray)}"


@pytest.mark.parametrize(("module", "qualname"), PARAMS)
def test_examples_run(module, qualname):
    obj = _object(module, qualname)
    tests = [
        t
        for t in doctest.DocTestFinder(recurse=False).find(obj, qualname, module=False, globs={})
        if t.examples
    ]
    assert tests, f"{qualname}: no doctest examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures: list[str] = []
    for test in tests:
        runner.run(test, out=failures.append)
    assert not failures, "".join(failures)


def test_help_of_normal_explains_the_placement_keywords():
    import fastinit

    text = pydoc.render_doc(fastinit.normal_, renderer=pydoc.plaintext)
    meaning = {
        "seed": r"A key in \[0, 2\*\*64\)\. With seed= the call is a pure function of \(seed, stream",
        "stream": r"The stream within the seed's key: an int in \[0, 2\*\*64\), or a name hashed",
        "generator": r"A fastinit\.Generator gives its key and its next stream id",
        "offset": r"The logical index of the first element \(default 0\)",
        "global_shape, index": r"Together: arr is the block ``index`` .* of a tensor of\s+shape ``global_shape``",
    }
    other = sections(inspect.getdoc(fastinit.normal_))["Other Parameters"]
    for name, text_re in meaning.items():
        assert re.search(rf"^\s*{name} : ", text, re.M), f"help(fastinit.normal_) does not describe {name}="
        entry = re.search(rf"^{name} : .*?(?=^\S|\Z)", textwrap.dedent(other.strip("\n")), re.M | re.S)
        assert entry and re.search(text_re, entry.group(0), re.S), f"{name}= is not explained: {entry}"


def test_placement_and_fan_docs_document_exactly_their_keywords():
    from fastinit._docstrings import FANS_DOC, PLACEMENT_DOC
    from fastinit.engine.placement import FanKeywords, Placement

    assert documented_names(PLACEMENT_DOC) == set(Placement.__annotations__)
    fans = "Parameters\n----------\n" + textwrap.dedent(FANS_DOC.strip("\n"))
    assert documented_names(fans) == set(FanKeywords.__annotations__)
