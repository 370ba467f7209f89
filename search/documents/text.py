"""Turn an article body (HTML or Markdown) into clean plain text for indexing and display.

HTML is parsed with BeautifulSoup and lxml; styles, scripts and copy-button labels are dropped, entities
decoded, block elements end a line while inline elements never split a word. Markdown loses its markup but
keeps its words. Lines are joined as a browser shows them (CSS Text's segment-break rule): a soft line
break (a newline in HTML text, a wrapped line of a Markdown paragraph) between two East Asian wide
characters disappears, so a hand-wrapped ``人工智\n能`` stays one word; any other becomes a space.
``<pre>``, ``<br>``, blocks and blank lines still break lines. Both end with the same whitespace
normalisation.
"""

from __future__ import annotations

import html
import re
import unicodedata

from bs4 import BeautifulSoup, NavigableString, Tag

_DROPPED = frozenset({"style", "script", "noscript", "template", "title", "head"})
_BLOCKS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset figcaption figure "
    "footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead tr ul"
    .split()
)
_CELLS = frozenset({"td", "th"})
_COPY_BUTTON = re.compile(r"copy.*(?:btn|button)|(?:btn|button).*copy", re.IGNORECASE)
_COPY_LABEL = "复制代码"
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_FLAT_DROP = re.compile(r"<(style|script|noscript|template|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_FLAT_BLOCK = re.compile(r"</?(?:%s|br)\b[^>]*>" % "|".join(sorted(_BLOCKS)), re.IGNORECASE)
_FLAT_TAG = re.compile(r"<[^>]*>")
_FLAT_NEWLINES = re.compile(r"\s*\n\s*")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b[^>]*\?>")
_SOFT = "\0"  # a soft line break until ``join_soft_breaks`` (files with NUL bytes are never read)
_SOFT_RUN = re.compile(r"[ \t\0]*\0[ \t\0]*")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff\uffa0-\uffdc]")

_SPACES = str.maketrans(
    {c: " " for c in "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
     "\u202f\u205f\u3000\f\v"} | {"\u200b": None, "\ufeff": None, "\r": "\n"}
)
_RUNS_OF_SPACES = re.compile(r" {2,}")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")

_MD_FENCE = re.compile(r"^\s*(```|~~~)")
# An ATX heading line (``## Title ##``); group 1 is its text.
MD_HEADING = re.compile(r"^[ ]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_MD_QUOTE_OR_BULLET = re.compile(r"^\s*(?:>\s?)+|^(\s*)(?:[-*+][ \t]+)")
_MD_RULE = re.compile(r"^\s*(?:[-*_][ \t]*){3,}$")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*{1,3}|(?<![\w])_{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w])")
_MD_CODE = re.compile(r"`+([^`]+)`+")
# A line that starts a block instead of continuing a paragraph: blank, heading, list item, table row.
_MD_BLOCK_START = re.compile(r"[ \t]*(?:$|#{1,6}(?:[ \t]|$)|[-*+][ \t]|\d{1,9}[.)][ \t]|\|)")
_MD_QUOTE = re.compile(r"[ \t]*(?:>[ \t]?)+")
_MD_HARD_BREAK = re.compile(r"(?: {2,}|\\)$")


def body_to_text(body: str) -> str:
    """Plain text of a post body: HTML when it contains a tag, Markdown otherwise."""
    return html_to_text(body) if looks_like_html(body) else markdown_to_text(body)


def looks_like_html(body: str) -> bool:
    """Whether the body contains an HTML tag (``<http://...>`` autolinks do not count)."""
    return _TAG.search(body) is not None


def html_to_text(markup: str) -> str:
    """Plain text of an HTML or XHTML document or fragment (see the module docstring for what is
    kept). An XML declaration is dropped (the HTML parser reads XHTML right, but BeautifulSoup
    warns about the declaration), and text without tags skips the parser (which warns when it
    looks like a URL or file name)."""
    markup = _XML_DECLARATION.sub("", markup, count=1)
    if "<" not in markup:
        return normalize_whitespace(join_soft_breaks(html.unescape(markup).replace("\n", _SOFT)))
    try:
        soup = BeautifulSoup(markup, "lxml")
        return normalize_whitespace(join_soft_breaks(_TextBuilder().walk(soup)))
    except RecursionError:
        return _flat_html_to_text(markup)


class _TextBuilder:
    """Collects a tree's text in document order, iteratively so that deep trees cannot overflow the stack.

    Whitespace between tags is a space (it only indents the source), and a line break outside ``<pre>``
    a soft break (see ``join_soft_breaks``). A block element starts and ends a line, never making an
    empty one by itself, and ``<br>`` always breaks one.
    """

    def __init__(self):
        self.pieces: list[str] = []
        self.line_has_text = False
        self.pre_depth = 0

    def walk(self, root: Tag) -> str:
        stack: list = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, NavigableString):
                self.text(node)
            elif isinstance(node, tuple):
                self.leave(*node)
            else:
                stack.extend(self.enter(node))
        return "".join(self.pieces)

    def text(self, node: NavigableString) -> None:
        if type(node) is not NavigableString:
            return
        content = node.strip()
        if self.pre_depth:
            if content != _COPY_LABEL:
                self.pieces.append(node)
                self.line_has_text = not node.rstrip(" \t").endswith("\n")
        elif not content:
            self.pieces.append(_SOFT if "\n" in node else " ")
        elif content != _COPY_LABEL:
            self.pieces.append(node.replace("\n", _SOFT))
            self.line_has_text = True

    def enter(self, tag: Tag) -> list:
        """Open a tag and return what to visit next, in stack order: its end marker, then its children."""
        name = tag.name
        if name in _DROPPED or _is_copy_button(tag):
            return []
        if name == "br":
            self.pieces.append("\n")
            self.line_has_text = False
            return []
        if name == "pre":
            self.pre_depth += 1
        self.separate(name)
        return [(name,), *reversed(tag.contents)]

    def leave(self, name: str) -> None:
        if name == "pre":
            self.pre_depth -= 1
        self.separate(name)

    def separate(self, name: str) -> None:
        if name in _BLOCKS:
            if self.line_has_text:
                self.pieces.append("\n")
                self.line_has_text = False
        elif name in _CELLS:
            self.pieces.append(" ")


def _is_copy_button(tag: Tag) -> bool:
    classes = tag.attrs.get("class") if tag.attrs else None
    return bool(classes) and any(_COPY_BUTTON.search(c) for c in classes)


def _flat_html_to_text(markup: str) -> str:
    """Fallback for trees too deep to parse: strip tags with regular expressions."""
    text = _FLAT_DROP.sub("", markup).replace("\n", _SOFT)
    text = _FLAT_TAG.sub("", _FLAT_BLOCK.sub("\n", text))
    return normalize_whitespace(join_soft_breaks(_FLAT_NEWLINES.sub("\n", html.unescape(text))))


def markdown_to_text(markdown: str) -> str:
    """Plain text of a Markdown body: headings, emphasis, links, images and fences lose their markup,
    and the wrapped lines of a paragraph are joined by soft breaks."""
    lines = []
    in_fence = wraps = quoted = False  # wraps: the last line is paragraph text the next one may continue
    for line in markdown.split("\n"):
        if _MD_FENCE.match(line):
            in_fence, wraps = not in_fence, False
        elif in_fence:
            lines.append(line)
        elif not _MD_RULE.match(line):
            quote = _MD_QUOTE.match(line)
            rest = line[quote.end():] if quote else line
            if wraps and not _MD_BLOCK_START.match(rest) and (quoted or not quote):
                lines[-1] += _SOFT + _markdown_line(rest)
            else:
                lines.append(_markdown_line(line))
                quoted = bool(quote)
            wraps = bool(rest.strip()) and not MD_HEADING.match(rest) and not _MD_HARD_BREAK.search(rest)
    return normalize_whitespace(join_soft_breaks(html.unescape("\n".join(lines))))


def _markdown_line(line: str) -> str:
    line = MD_HEADING.sub(r"\1", line)
    line = _MD_QUOTE_OR_BULLET.sub(r"\1", line)
    line = _MD_IMAGE_OR_LINK.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    return _MD_EMPHASIS.sub(r"\2", line)


def join_soft_breaks(text: str) -> str:
    """Resolve the soft breaks (``_SOFT``, with the spaces around them) as CSS Text does: removed
    between two East Asian wide characters (Hangul aside), else one space."""
    def resolve(match: re.Match) -> str:
        start, end = match.span()
        return "" if start and end < len(text) and _wide(text[start - 1]) and _wide(text[end]) else " "

    return _SOFT_RUN.sub(resolve, text) if _SOFT in text else text


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F", "H") and not _HANGUL.match(char)


def normalize_whitespace(text: str) -> str:
    """Unicode spaces become spaces, runs collapse, lines are stripped, 3+ newlines become one blank line."""
    text = _RUNS_OF_SPACES.sub(" ", text.translate(_SPACES))
    text = _SPACE_AROUND_NEWLINE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
