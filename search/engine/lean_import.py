"""Whoosh imported without the modules it only re-exports: a one-off query starts faster."""

from __future__ import annotations

import sys
import types
from importlib import import_module

# Modules Whoosh imports for names this program never calls, each a noticeable part of a fresh
# process's start-up (measured: benchmarks/README.md): ``urllib.request`` (http.client, email,
# ...) only to re-export ``urlretrieve``, and ``whoosh.lang.morph_en`` (hundreds of regular
# expressions) only for ``whoosh.query.Variations``.
_UNUSED_BY_WHOOSH = {"urllib.request": "urlretrieve", "whoosh.lang.morph_en": "variations"}


def import_whoosh_lean() -> None:
    """Import Whoosh's query modules with stand-ins for ``_UNUSED_BY_WHOOSH``: a stand-in's function
    imports the real module on first call, and later imports get the real modules."""
    if "whoosh.query" in sys.modules or not _UNUSED_BY_WHOOSH.keys().isdisjoint(sys.modules):
        return
    for module, name in _UNUSED_BY_WHOOSH.items():
        stand_in = types.ModuleType(module)
        setattr(stand_in, name, _importing_on_call(module, name))
        sys.modules[module] = stand_in
    try:
        import whoosh.query  # noqa: F401
    finally:
        for module in _UNUSED_BY_WHOOSH:
            del sys.modules[module]


def _importing_on_call(module: str, name: str):
    def call(*args, **kwargs):
        return getattr(import_module(module), name)(*args, **kwargs)

    return call
