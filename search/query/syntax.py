"""The query language: user text → a syntax tree of ``Leaf``/``Not``/``And``/``Or`` nodes.

Syntax: words (articles with all of them rank first), ``OR``, ``NOT word`` / ``-word``,
``"exact phrase"``, ``(groups)``, ``field:word``, ``field:"phrase"`` and ``field:(group)`` (the
field applies to each word of the group) for title/author/source/category, ``prefix*``.
Errors name the column where the query went wrong. Nothing here knows an engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
TEXT_FIELDS = ("title", "body")  # fields of segmented text: words, phrases, snippets
FILTER_FIELDS = ("author", "source", "category")  # fields matched as whole values
FIELDS = ("title", *FILTER_FIELDS)  # what ``field:`` may name

_LEXER = re.compile(r'\s+|(?P<quote>")|(?P<open>\()|(?P<close>\))|(?P<word>[^\s"()]+)')
_FIELD_RE = re.compile(r"([A-Za-z_]+):(.*)", re.S)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class Leaf:
    """A word, ``prefix*`` or quoted phrase, optionally restricted to one field."""

    text: str
    field: str | None = None
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    child: object


@dataclass(frozen=True)
class And:
    children: tuple


@dataclass(frozen=True)
class Or:
    children: tuple


class QuerySyntaxError(ValueError):
    """Raised by the parser; ``Index.search`` turns it into a ``QueryError``."""


def parse(text: str):
    """Parse user query text into a tree of Leaf/Not/And/Or nodes."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query too long ({len(text)} characters; the limit is {MAX_QUERY_CHARS})")
    tokens = _lex(_CONTROL.sub(" ", text))
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.peek() is not None:
        raise QuerySyntaxError(f"unmatched ')' at column {parser.peek()[1] + 1}: remove it or add a '('")
    if tree is None:
        raise QuerySyntaxError("empty query: give at least one word")
    if not positive_leaves(tree):
        raise QuerySyntaxError("the query only excludes words: add a word to search for")
    if len(list(_leaves(tree))) > MAX_TERMS:
        raise QuerySyntaxError(f"too many terms (the limit is {MAX_TERMS})")
    return tree


def _lex(text: str) -> list[tuple[str, int, str]]:
    """Split into (kind, column, text) tokens; a quoted phrase is one token."""
    tokens, pos = [], 0
    while pos < len(text):
        match = _LEXER.match(text, pos)
        if match.group("quote"):
            end = text.find('"', pos + 1)
            if end < 0:
                raise QuerySyntaxError(f'unbalanced quote at column {pos + 1}: add the closing "')
            tokens.append(("phrase", pos, text[pos + 1:end]))
            pos = end + 1
            continue
        kind = match.lastgroup
        if kind:
            tokens.append((kind, pos, match.group()))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent: expression := and ('OR' and)*; and := unary+; unary := (NOT|-) unary | primary."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def expression(self):
        parts = [self.conjunction()]
        while self._at_word("OR"):
            column = self.take()[1]
            right = self.conjunction()
            if parts[-1] is None or right is None:
                raise QuerySyntaxError(f"OR at column {column + 1} needs a term on both sides")
            parts.append(right)
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self):
        parts = []
        while (token := self.peek()) and token[0] != "close" and not self._at_word("OR"):
            parts.append(self.unary())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self):
        kind, column, text = self.peek()
        if kind == "word" and (text == "NOT" or text.startswith("-")):
            self.take()
            rest = text[1:] if text != "NOT" else ""
            if rest:
                self.tokens.insert(self.i, ("word", column + 1, rest))
            if self.peek() is None or self.peek()[0] == "close":
                raise QuerySyntaxError(f"nothing to exclude after '{text}' at column {column + 1}")
            return Not(self.unary())
        return self.primary()

    def primary(self):
        kind, column, text = self.take()
        if kind == "open":
            inner = self.expression()
            if self.peek() is None or self.peek()[0] != "close":
                raise QuerySyntaxError(f"unbalanced '(' at column {column + 1}: add the closing ')'")
            self.take()
            return inner
        if kind == "phrase":
            return Leaf(text, phrase=True) if text.strip() else None
        return self._word(column, text)

    def _word(self, column, text):
        field = None
        match = _FIELD_RE.fullmatch(text)
        if match:
            field, text = match.group(1).lower(), match.group(2)
            if field not in FIELDS:
                raise QuerySyntaxError(
                    f"unknown field '{match.group(1)}' at column {column + 1} (fields: {', '.join(FIELDS)})")
            if not text:
                return self._fielded(field, column)
        if text.endswith("*"):
            stem = text.rstrip("*")
            if not stem:
                raise QuerySyntaxError(f"'*' at column {column + 1} needs at least one character before it")
            return _with_field(Leaf(stem, prefix=True), field, column)
        return _with_field(Leaf(text), field, column)

    def _fielded(self, field, column):
        """What follows ``field:`` with nothing after the colon: a phrase or a group."""
        nxt = self.peek()
        if nxt is None or nxt[0] not in ("phrase", "open"):
            raise QuerySyntaxError(f"nothing after '{field}:' at column {column + 1}")
        if nxt[0] == "phrase":
            self.take()
            return _with_field(Leaf(nxt[2], phrase=True), field, column)
        group = self.primary()
        if group is None:
            raise QuerySyntaxError(f"nothing in the group after '{field}:' at column {column + 1}")
        return _with_field(group, field, column)

    def _at_word(self, word):
        token = self.peek()
        return token is not None and token[0] == "word" and token[2] == word


def _with_field(node, field, column):
    """``node`` with ``field`` on every leaf that names none; a field needs words to look for."""
    if field is None:
        return node
    if isinstance(node, Not):
        return Not(_with_field(node.child, field, column))
    if not isinstance(node, Leaf):
        return type(node)(tuple(_with_field(child, field, column) for child in node.children))
    if not _WORD_CHAR.search(node.text):
        raise QuerySyntaxError(f"'{field}:' at column {column + 1} has no word to look for ({node.text!r}): "
                               f"write one after it, e.g. {field}:华为")
    return node if node.field else replace(node, field=field)


def _leaves(tree):
    if isinstance(tree, Leaf):
        yield tree
    elif isinstance(tree, Not):
        yield from _leaves(tree.child)
    else:
        for child in tree.children:
            yield from _leaves(child)


def positive_leaves(tree) -> list[Leaf]:
    """The leaves not under a NOT: what a result must (or may) contain."""
    if isinstance(tree, Leaf):
        return [tree]
    if isinstance(tree, Not):
        return []
    return [leaf for child in tree.children for leaf in positive_leaves(child)]


def is_required(node) -> bool:
    """Field queries and quoted phrases: never loosened by best-match ranking (the field, or
    the text, must contain those words)."""
    return isinstance(node, Leaf) and (node.phrase or node.field is not None)
