"""The API reference documents every public name, and its examples run.

Every function, class and exception that pixelkit, pixelkit.dask and
pixelkit.build export (and the command line's ``main``) has a numpy-style
docstring with the sections its signature calls for, and an autodoc entry
in docs/.  Every example, of the docstrings and of the pages, runs here as
a doctest with the names docs/doctest_setup.py defines, as Sphinx's
doctest builder runs them in CI.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, is_typeddict

import pytest

import pixelkit
import pixelkit.build
import pixelkit.cli
import pixelkit.dask
import pixelkit.ops
import pixelkit.runtime

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.rst"))

# Public names beyond the packages' __all__ that the pages refer to.
EXTRA = [
    "pixelkit.cli.main",
    "pixelkit.ops.Rect",
    "pixelkit.ops.resize_source",
    "pixelkit.ops.resize_part",
    "pixelkit.ops.gaussian_radius",
    "pixelkit.ops.adjust_lut",
    "pixelkit.runtime.pool_stats",
    "pixelkit.runtime.PoolStats",
    "pixelkit.runtime.CpuFeatures",
    "pixelkit.runtime.default_num_threads",
]


def public_names() -> list[str]:
    names = [f"pixelkit.{n}" for n in pixelkit.__all__]
    names += [f"pixelkit.dask.{n}" for n in pixelkit.dask.__all__]
    names += [f"pixelkit.build.{n}" for n in pixelkit.build.__all__]
    return names + EXTRA


def resolve(dotted: str) -> Any:
    module_name, _, attribute = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        owner = resolve(module_name)
        return getattr(owner, attribute)


def documented_callables() -> Iterator[tuple[str, Any]]:
    """Every public function, class and exception, and every public method of the public classes."""
    for name in public_names():
        obj = resolve(name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        yield name, obj
        if inspect.isclass(obj) and obj.__module__.startswith("pixelkit"):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
                if inspect.isfunction(function):
                    yield f"{name}.{member}", function


CALLABLES = list(documented_callables())


# ---- the docstrings' sections ------------------------------------------------------------------


def sections(doc: str) -> dict[str, str]:
    """The numpy-style sections of a docstring: heading -> body."""
    text = inspect.cleandoc(doc)
    found: dict[str, str] = {}
    matches = list(re.finditer(r"^(\w[\w ]*)\n-{3,}$", text, re.MULTILINE))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        found[match.group(1)] = text[match.end() : end]
    return found


def parameters(obj: Any) -> list[str]:
    """The parameters a caller passes (no self or cls)."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return []
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [p for p in signature.parameters if p not in ("self", "cls")]


def own_parameters(obj: Any) -> list[str]:
    """Parameters of a class's own constructor (a NamedTuple's fields); none for exceptions."""
    if inspect.isclass(obj):
        if issubclass(obj, BaseException) or is_typeddict(obj):
            return []
        fields = getattr(obj, "_fields", None)
        if fields is not None:
            return list(fields)
        if "__init__" not in vars(obj):
            return []
    return parameters(obj)


def function_source(obj: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(obj)))


def raises_anything(obj: Callable[..., Any]) -> bool:
    """Whether a function could raise: it checks arguments (it takes any) or has a raise statement."""
    if own_parameters(obj):
        return True
    return any(isinstance(node, ast.Raise) for node in ast.walk(function_source(obj)))


def return_annotation(obj: Callable[..., Any]) -> str:
    annotation = inspect.signature(obj).return_annotation
    if annotation is inspect.Signature.empty:
        return ""
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", repr(annotation))


def missing_sections(obj: Any) -> list[str]:
    """What a public callable's docstring lacks: sections its signature calls for, parameters not described."""
    doc = obj.__doc__
    if not (doc and doc.strip()):
        return ["a docstring"]
    found = sections(doc)
    missing = []
    if own_parameters(obj) and "Parameters" not in found:
        missing.append("Parameters")
    if inspect.isfunction(obj):
        returned = return_annotation(obj)
        if returned.startswith(("Iterator", "Generator")):
            if "Yields" not in found:
                missing.append("Yields")
        elif returned not in ("None", "") and "Returns" not in found:
            missing.append("Returns")
        if raises_anything(obj) and "Raises" not in found:
            missing.append("Raises")
    if ">>>" not in found.get("Examples", ""):
        missing.append("Examples (with >>> lines)")
    described = found.get("Parameters", "")
    for parameter in own_parameters(obj):
        if not re.search(rf"^(\*\*)?(\w+, )*{re.escape(parameter)}\b", described, re.MULTILINE):
            missing.append(f"a description of parameter {parameter}")
    return missing


@pytest.mark.parametrize(("name", "obj"), CALLABLES, ids=[name for name, _ in CALLABLES])
def test_every_public_callable_has_the_sections_it_needs(name: str, obj: Any) -> None:
    missing = missing_sections(obj)
    assert not missing, f"{name}'s docstring lacks: {', '.join(missing)}"


def test_every_public_property_has_a_docstring() -> None:
    for name in public_names():
        obj = resolve(name)
        if not inspect.isclass(obj) or not obj.__module__.startswith("pixelkit"):
            continue
        for member, value in vars(obj).items():
            if isinstance(value, property) and not member.startswith("_"):
                assert value.__doc__ and value.__doc__.strip(), f"{name}.{member} has no docstring"


def test_the_section_check_catches_a_bare_function() -> None:
    """A new public function without the sections fails the test above."""

    def bare(img: Any, radius: int) -> Any:
        """Blur."""
        raise ValueError(radius)

    assert missing_sections(bare) == [
        "Parameters",
        "Returns",
        "Raises",
        "Examples (with >>> lines)",
        "a description of parameter img",
        "a description of parameter radius",
    ]
    assert missing_sections(pixelkit.invert) == []


# ---- the docs' pages document every name --------------------------------------------------------

DIRECTIVE = re.compile(
    r"^\.\. (autofunction|autoclass|autoexception|autodata|data|function|class|exception):: (\S+)\n"
    r"((?:[ ]{3,}\S.*\n|[ ]{6,}.*\n)*)",
    re.MULTILINE,
)


def directives() -> list[tuple[str, str, str]]:
    """(directive, target, options block) of every object description in docs/."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in DIRECTIVE.finditer(text):
            target = match.group(2)
            if "." not in target:
                module = re.findall(r"^\.\. (?:current)?module:: (\S+)$", text[: match.start()], re.MULTILINE)
                target = f"{module[-1]}.{target}"
            found.append((match.group(1), target, match.group(3)))
    return found


def test_every_public_name_has_an_entry_in_the_docs() -> None:
    entries = directives()
    documented = {id(resolve(target)) for _, target, _ in entries}
    data = {target for kind, target, _ in entries if kind in ("autodata", "data")}
    for name in public_names():
        obj = resolve(name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert id(obj) in documented, f"{name} has no autodoc entry in docs/ (e.g. .. autofunction:: {name})"
        else:
            assert name in data, f"{name} has no data entry in docs/ (.. data:: or .. autodata::)"


def test_documented_classes_list_every_public_member() -> None:
    for kind, target, options in directives():
        if kind != "autoclass":
            continue
        obj = resolve(target)
        members = re.search(r":members:(.*?)(?=\n\s*:|\Z)", options, re.DOTALL)
        listed = set(re.split(r"[\s,]+", members.group(1).strip())) if members else set()
        public = {
            m
            for m, v in vars(obj).items()
            if not m.startswith("_") and (inspect.isfunction(v) or isinstance(v, (property, classmethod)))
        }
        assert public <= listed, f"{target}'s autoclass entry lacks :members: {sorted(public - listed)}"


# ---- the examples run -----------------------------------------------------------------------------

# The names every example starts with (docs/doctest_setup.py, as Sphinx's doctest builder uses them).
sys.path.insert(0, str(DOCS))
doctest_setup = importlib.import_module("doctest_setup")

# The flags of Sphinx's doctest builder.
FLAGS = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.DONT_ACCEPT_TRUE_FOR_1


def run_doctest(test: doctest.DocTest) -> None:
    folder = doctest_setup.new_folder()
    test.globs = {name: getattr(doctest_setup, name) for name in doctest_setup.__all__} | {"tmp": folder}
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    output: list[str] = []
    try:
        runner.run(test, out=output.append)
    finally:
        doctest_setup.remove(folder)
        pixelkit.set_isa()
        pixelkit.set_num_threads()
    assert runner.failures == 0, "".join(output)


def docstring_tests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen: set[str] = set()
    tests = []
    for name, obj in CALLABLES:
        for test in finder.find(obj, name, globs={}):
            if test.examples and test.name not in seen and (test.name == name or not inspect.isclass(obj)):
                seen.add(test.name)
                tests.append(test)
    return tests


DOCSTRING_TESTS = docstring_tests()


# Examples that run pixelkit.build (the C preprocessor and compiler): needs_compiler, so that only the
# run against the installed package without a compiler skips them.
BUILDS_C = re.compile(
    r"pixelkit\.build\.(extension|build|pixelkit_declarations)\b|\.compile\(|python -m pixelkit\.build"
)


def _compiler_marks(source: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.needs_compiler] if BUILDS_C.search(source) else []


@pytest.mark.parametrize(
    "test",
    [
        pytest.param(t, marks=_compiler_marks("".join(e.source for e in t.examples) + (t.docstring or "")))
        for t in DOCSTRING_TESTS
    ],
    ids=[t.name for t in DOCSTRING_TESTS],
)
def test_docstring_examples_run(test: doctest.DocTest) -> None:
    run_doctest(test)


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=_compiler_marks(p.read_text())) for p in PAGES],
    ids=[str(p.relative_to(DOCS)) for p in PAGES],
)
def test_page_examples_run(page: Path) -> None:
    text = page.read_text()
    test = doctest.DocTestParser().get_doctest(text, {}, str(page.relative_to(ROOT)), str(page), 0)
    run_doctest(test)


def test_every_docstring_example_is_collected() -> None:
    """Each public callable with examples has its doctest collected (nothing silently skipped)."""
    collected = {t.name for t in DOCSTRING_TESTS}
    for name, obj in CALLABLES:
        if ">>>" in (obj.__doc__ or ""):
            assert name in collected, name
