"""Modules loaded at their first use, for start-up time.

`lazy_module(name)` returns a stand-in at once; the module is imported the first time one of
its attributes is read, and the stand-in then holds the module's names.  It is for a module
whose imports are heavy and which most runs never touch: the user-mapping compiler pulls in
sympy (about 0.35 s of a 1.2 s start-up) and only a query file that declares a mapping needs
it; pyarrow is needed only when data is read or written.  It is never a way around an import
cycle: the importing module must be allowed to import the target by the layer contracts
(pyproject.toml), and is written with a TYPE_CHECKING import of it beside the stand-in, so
type checkers see the real module.  tests/test_startup.py checks what start-up loads.
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands for a module until one of its attributes is read."""

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(vars(module))
        return getattr(module, attr)


def lazy_module(name: str) -> ModuleType:
    """The module `name` if it is loaded, else a stand-in that imports it when first used."""
    return sys.modules.get(name) or _Deferred(name)
