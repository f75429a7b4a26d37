"""``MODULE[:ATTR]`` targets of the CLI (`goblins worker`, `goblins replay`): the import, once."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType


def import_target(target: str) -> tuple[ModuleType, str]:
    """The module of ``MODULE[:ATTR]`` (imported from the working directory too) and ATTR
    (``""``: none); ValueError naming the module when it cannot be imported."""
    module_name, _, attr = target.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(module_name), attr
    except ImportError as exc:
        raise ValueError(f"cannot import module {module_name!r}: {exc}") from None
