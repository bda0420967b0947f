"""Lazy package exports, so that importing a CLI module does not import every dependency.

A package lists which submodule defines each public name; the name is imported on first
use (PEP 562). Type checkers see ordinary imports under ``TYPE_CHECKING``. An export named like
its submodule (``mmsis.measure.survey.cascade``, the function, from the module ``.cascade``)
stays the export even when the submodule is imported first.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from typing import Any


class _Package(types.ModuleType):
    """A package module whose exports are not replaced by their same-named submodules."""

    def __setattr__(self, name: str, value: Any) -> None:
        """Bind the export, not the submodule, when the import system binds ``.name``."""
        exports = self.__dict__.get("_lazy_exported", ())
        if (isinstance(value, types.ModuleType) and name in exports
                and value.__name__ == f"{self.__name__}.{name}" and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Return ``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    ``exports`` maps each public name to the submodule (relative, e.g. ``".crt"``) defining it.
    """
    module = sys.modules[package]
    namespace = module.__dict__
    namespace["_lazy_exported"] = frozenset(exports)
    module.__class__ = _Package

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name, package), name)
        # importing a submodule binds its own name on the package: bind the export over it
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__, sorted(exports)
