"""Pinyin readings of Han characters, without tones, from pypinyin's character table.

The table module is loaded on its own (``pinyin_dict.py``, 40 ms) rather than through
``import pypinyin``, whose phrase table takes another 300 ms that one-off queries should not pay.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from functools import cache
from pathlib import Path

_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0304\u030c"))  # grave, acute, macron, caron


@cache
def _table() -> dict[int, str]:
    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_pypinyin_table", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


@cache
def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of ``char`` (中 → zhong; 绿 → lü, lu), most common first; () for a
    character pypinyin does not know."""
    marked = _table().get(ord(char))
    if not marked:
        return ()
    toneless = (unicodedata.normalize("NFC", unicodedata.normalize("NFD", r).translate(_TONE_MARKS))
                for r in marked.split(","))
    return tuple(dict.fromkeys(toneless))
