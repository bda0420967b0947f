"""The public surface of mmsis: unique class names and typed returns (no bare ``Any``).

Every importable module is walked (the database migrations, which run on import, excepted), so
a new class or function is checked without being listed here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict
from types import ModuleType
from typing import Any

import mmsis

SKIP = ("mmsis.web.migrations",)


def _public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


def public_modules() -> list[ModuleType]:
    """Every public module of mmsis, imported."""
    out = [mmsis]
    for info in pkgutil.walk_packages(mmsis.__path__, prefix="mmsis."):
        if info.name.startswith(SKIP) or not _public(info.name):
            continue
        out.append(importlib.import_module(info.name))
    return out


MODULES = public_modules()


def _defined(mod: ModuleType) -> list[tuple[str, Any]]:
    """Public classes and functions defined in the module itself (not imported into it)."""
    return [(name, obj) for name, obj in vars(mod).items()
            if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
            and getattr(obj, "__module__", None) == mod.__name__]


def test_the_walk_sees_the_packages() -> None:
    names = {m.__name__ for m in MODULES}
    assert {"mmsis.results", "mmsis.web.models", "mmsis.plan.workspace",
            "mmsis.framework.models", "mmsis.demos.examples"} <= names
    assert len(names) > 100


def test_public_class_names_are_unique() -> None:
    where: dict[str, list[str]] = defaultdict(list)
    for mod in MODULES:
        for name, obj in _defined(mod):
            if inspect.isclass(obj):
                where[name].append(mod.__name__)
    twice = {k: v for k, v in where.items() if len(v) > 1}
    assert not twice, f"public class names defined more than once: {twice}"


def _returns_any(fn: Any) -> bool:
    ann = inspect.signature(fn).return_annotation
    return ann is Any or ann == "Any"


def test_no_public_function_returns_any() -> None:
    found = []
    for mod in MODULES:
        for name, obj in _defined(mod):
            members = [(name, obj)]
            if inspect.isclass(obj):
                members = [(f"{name}.{m}", f) for m, f in vars(obj).items()
                           if not m.startswith("_") and inspect.isfunction(f)]
            found += [f"{mod.__name__}.{n}" for n, f in members if _returns_any(f)]
    assert not found, f"public functions returning Any: {sorted(found)}"


def test_every_package_lists_its_public_names() -> None:
    packages = [m for m in MODULES if hasattr(m, "__path__")]
    assert len(packages) >= 15
    for pkg in packages:
        names = getattr(pkg, "__all__", None)
        assert names, f"{pkg.__name__} has no __all__"
        for name in names:
            if not hasattr(pkg, name):  # a submodule listed by name
                importlib.import_module(f"{pkg.__name__}.{name}")


def test_survey_exports_the_analyses_even_after_their_modules() -> None:
    import mmsis.measure.survey.cascade
    import mmsis.measure.survey.equity  # noqa: F401 - the modules share the functions' names
    from mmsis.measure import survey

    for name in ("cascade", "adherence", "equity", "recode", "Design", "proportion"):
        assert callable(getattr(survey, name)), name
    assert survey.cascade is mmsis.cascade and survey.equity is mmsis.equity
