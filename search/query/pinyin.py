"""Latin query words read as pinyin: each plain word (not quoted, not in a field, not a prefix,
not excluded) for which ``lookup`` finds Chinese words becomes ``word OR 汉字``, so literal Latin
matches still rank where they belong. ``lookup`` comes from the engine (the index's own words)."""

from __future__ import annotations

from dataclasses import replace

from .syntax import And, Leaf, Not, Or


def with_pinyin(tree, lookup) -> tuple[object, tuple[tuple[str, str], ...]]:
    """``tree`` with its pinyin words also searched as the Chinese they spell, and the
    (word, Chinese) pairs that were."""
    found: list[tuple[str, str]] = []
    return _rewrite(tree, lookup, found), tuple(found)


def _rewrite(node, lookup, found):
    if isinstance(node, Leaf):
        if node.phrase or node.prefix or node.field or not _latin(node.text):
            return node
        chinese = lookup(node.text)
        if not chinese:
            return node
        found.append((node.text, chinese))
        return Or((node, replace(node, text=chinese)))
    if isinstance(node, Not):
        return node
    return type(node)(tuple(_rewrite(child, lookup, found) for child in node.children))


def _latin(text: str) -> bool:
    """Letters (Latin, with or without tone marks) and tone digits only, at least one letter."""
    return text.isalnum() and not text.isdigit() and all(
        char.isdigit() or "a" <= char.lower() <= "z" or "\u00c0" <= char <= "\u024f" for char in text)
