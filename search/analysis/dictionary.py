"""jieba's segmentation from a compact on-disk dictionary, for fast query-time start-up.

A query needs a few dozen dictionary lookups, yet jieba (and rjieba) load the whole dictionary
first, a large part of a one-off query (measured: benchmarks/README.md). ``write_dictionary``
stores that dictionary (with the zero-frequency prefix entries of ``jieba.Tokenizer.gen_pfdict``)
and the HMM tables of ``jieba.finalseg`` in one read-only SQLite file; ``CompactSegmenter`` opens
it in less time than importing sqlite3 takes, and looks words up on demand through SQLite's
B-tree index. Its ``cut`` replicates ``jieba.Tokenizer().cut(text, HMM=True)`` of jieba 0.42.1
step by step (``get_DAG``, ``calc``, ``__cut_DAG``, ``finalseg.cut`` and its Viterbi, with the
same floating-point arithmetic and tie breaks), so it yields exactly jieba's tokens; the tests
compare the two on every Han run of thousands of articles. ``Force_Split_Words`` and user
dictionaries are not supported (unused here).

Only the standard library is imported at module level: jieba's files are needed by
``write_dictionary`` alone. A missing, damaged or foreign file raises ``DictionaryError``.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path

FORMAT = "jieba-0.42.1-compact-1"
MEMO_TEXTS, MEMO_CHARS = 1024, 64  # segmentations remembered, of texts up to this long
CACHE_DIR_ENV = "SEARCH_CACHE_DIR"

# jieba's constants and character classes (jieba/__init__.py, jieba/finalseg/__init__.py). The Han
# classes are tested char by char: compiling them as regular expressions would slow every process's
# start (measured: benchmarks/README.md).
MIN_FLOAT = -3.14e100
_PREV_STATES = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}
_DAG_EXTRA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+#&._%-")
_RE_CHAR = re.compile("\r\n|.", re.DOTALL)  # re_skip_default: whitespace apart, "\r\n" as one
_RE_HMM_SKIP = re.compile("([a-zA-Z0-9]+(?:\\.\\d+)?%?)")


def _is_han(char: str) -> bool:
    """finalseg's re_han: ``[\u4E00-\u9FD5]``."""
    return "\u4e00" <= char <= "\u9fd5"


def _is_dag_han(char: str) -> bool:
    """re_han_default, the characters jieba cuts with its dictionary: ``[\u4E00-\u9FD5a-zA-Z0-9+#&._%-]``."""
    return "\u4e00" <= char <= "\u9fd5" or char in _DAG_EXTRA


def _blocks(text: str, member) -> list[tuple[bool, str]]:
    """The maximal runs of characters that are, or are not, ``member``s (``re.split`` on a class)."""
    return [(key, "".join(chars)) for key, chars in groupby(text, member)]


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE emit (char TEXT PRIMARY KEY, B REAL, M REAL, E REAL, S REAL) WITHOUT ROWID;
CREATE TABLE trans (prev TEXT, state TEXT, logp REAL NOT NULL, PRIMARY KEY (prev, state)) WITHOUT ROWID;
"""


class DictionaryError(ValueError):
    """The dictionary file is missing, unreadable, damaged or of another format."""


# --- the per-user cache -----------------------------------------------------------------------

def cache_path() -> Path:
    """Where the dictionary is kept: ``$SEARCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/hexo-search``,
    else ``~/.cache/hexo-search``."""
    folder = os.environ.get(CACHE_DIR_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hexo-search")
    return Path(folder) / f"{FORMAT}.sqlite"


def ensure_cached() -> None:
    """Write the cached dictionary unless a valid one is there. Indexing calls this, so queries
    never pay for it; an unwritable cache is skipped (queries then load the full dictionary)."""
    path = cache_path()
    try:
        CompactSegmenter(path).close()
    except DictionaryError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_dictionary(path)
        except OSError:
            pass


@cache
def cached_segmenter() -> CompactSegmenter | None:
    """A segmenter over the cached dictionary, or None when there is no valid one."""
    try:
        return CompactSegmenter(cache_path())
    except DictionaryError:
        return None


# --- writing ---------------------------------------------------------------------------------

def jieba_file(name: str) -> Path:
    """A data file inside the installed jieba package (found without importing jieba)."""
    from importlib.util import find_spec

    spec = find_spec("jieba")
    if spec is None or spec.origin is None:
        raise DictionaryError("jieba is not installed, so its dictionary cannot be converted")
    return Path(spec.origin).with_name(name)


def _read_jieba_dict(path: Path) -> tuple[dict[str, int], int]:
    """Word frequencies with zero-frequency prefixes, and their total: ``Tokenizer.gen_pfdict``."""
    lines = path.read_bytes().split(b"\n")
    if not lines[-1]:
        lines.pop()  # the file ends with a newline: no empty last line
    freq: dict[str, int] = {}
    total = 0
    for lineno, line in enumerate(lines, 1):
        try:
            line = line.strip().decode("utf-8")
            word, count = line.split(" ")[:2]
            count = int(count)
        except ValueError:
            raise DictionaryError(f"invalid dictionary entry in {path} at line {lineno}: {line}")
        freq[word] = count  # a repeated word keeps its last count, yet each counts in the total
        total += count
    prefixes = {word[:end] for word in freq for end in range(1, len(word))}
    freq.update(dict.fromkeys(prefixes - freq.keys(), 0))
    return freq, total


def _hmm_tables() -> tuple[dict, dict, dict]:
    """jieba's HMM start, transition and emission log-probabilities (imports only finalseg's tables)."""
    from jieba.finalseg.prob_emit import P as emit
    from jieba.finalseg.prob_start import P as start
    from jieba.finalseg.prob_trans import P as trans

    return start, trans, emit


def _fill(db: sqlite3.Connection) -> None:
    freq, total = _read_jieba_dict(jieba_file("dict.txt"))
    start, trans, emit = _hmm_tables()
    db.executescript(_SCHEMA)
    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("total", total)])
    db.executemany("INSERT INTO words VALUES (?, ?)", ((word, freq[word]) for word in sorted(freq)))
    rows = [("", state, logp) for state, logp in start.items()]
    rows += [(prev, state, logp) for prev, row in trans.items() for state, logp in row.items()]
    db.executemany("INSERT INTO trans VALUES (?, ?, ?)", rows)
    chars = sorted(set().union(*emit.values()))
    db.executemany("INSERT INTO emit VALUES (?, ?, ?, ?, ?)",
                   [(c, *(emit[s].get(c) for s in "BMES")) for c in chars])


def write_dictionary(path: str | os.PathLike) -> None:
    """Write jieba's default dictionary and HMM tables to the SQLite file ``path``, atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)  # left by a crashed writer of the same process id
    try:
        db = sqlite3.connect(tmp)
        try:
            db.execute("PRAGMA journal_mode = OFF")
            with db:
                _fill(db)
        finally:
            db.close()
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- reading ---------------------------------------------------------------------------------

def _connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open ``path`` read-only (never creating it) and check its format."""
    path = Path(path).absolute()
    if not path.is_file():
        raise DictionaryError(f"dictionary file not found: {path}")
    try:
        db = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        found = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.Error as error:
        raise DictionaryError(f"cannot read dictionary file {path}: {error}") from error
    if found != (FORMAT,):
        db.close()
        raise DictionaryError(f"{path} is not a {FORMAT} dictionary file")
    return db


def _viterbi(obs: str, start: dict, trans: dict, emit: dict) -> str:
    """The most likely B/M/E/S state of each character: ``finalseg.viterbi``, same arithmetic."""
    probs = {y: start[y] + emit[obs[0]].get(y, MIN_FLOAT) for y in "BMES"}
    paths = {y: y for y in "BMES"}
    for char in obs[1:]:
        new_probs, new_paths = {}, {}
        for y in "BMES":
            em_p = emit[char].get(y, MIN_FLOAT)
            prob, state = max((probs[y0] + trans[y0].get(y, MIN_FLOAT) + em_p, y0) for y0 in _PREV_STATES[y])
            new_probs[y], new_paths[y] = prob, paths[state] + y
        probs, paths = new_probs, new_paths
    return paths[max((probs[y], y) for y in "ES")[1]]


def _hmm_words(sentence: str, states: str) -> list[str]:
    """Cut a Han run at its Viterbi states: ``finalseg.__cut``."""
    words, begin, next_i = [], 0, 0
    for i, (char, pos) in enumerate(zip(sentence, states)):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(sentence[begin:i + 1])
            next_i = i + 1
        elif pos == "S":
            words.append(char)
            next_i = i + 1
    if next_i < len(sentence):
        words.append(sentence[next_i:])
    return words


class CompactSegmenter:
    """jieba's ``Tokenizer().cut(text, HMM=True)`` and dictionary lookup over a compact file.

    Raises ``DictionaryError`` when the file is missing, damaged or of another format (on opening,
    or on a lookup if the damage lies deeper). Safe to share between threads (read-only file).
    """

    name = "compact"

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._db = _connect(path)
        self._memo_cut = lru_cache(maxsize=MEMO_TEXTS)(lambda text: tuple(self._cut(text)))
        try:
            self._log_total = math.log(self._db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0])
            self._start: dict[str, float] = {}
            self._trans: dict[str, dict[str, float]] = {}
            for prev, state, logp in self._db.execute("SELECT prev, state, logp FROM trans"):
                (self._trans.setdefault(prev, {}) if prev else self._start)[state] = logp
            if set(self._start) != set("BMES") or set(self._trans) != set("BMES"):
                raise ValueError("incomplete HMM tables")
        except (sqlite3.Error, TypeError, ValueError) as error:
            raise DictionaryError(f"damaged dictionary file {self.path}: {error!r}") from error

    def close(self) -> None:
        self._db.close()

    def has_word(self, word: str) -> bool:
        """Whether ``word`` is in jieba's dictionary with a non-zero frequency."""
        return bool(self._lookup(self._freq, word))

    def cut(self, text: str) -> list[str]:
        """jieba's default-mode (accurate, HMM) segmentation of ``text``. Short texts (a search
        segments each query word several times) are remembered."""
        if len(text) > MEMO_CHARS:
            return self._lookup(self._cut, text)
        return list(self._lookup(self._memo_cut, text))

    def _lookup(self, method, arg):
        try:
            return method(arg)
        except sqlite3.Error as error:
            raise DictionaryError(f"damaged dictionary file {self.path}: {error}") from error

    def _freq(self, word: str) -> int | None:
        """``FREQ.get(word)``: None if absent, 0 for a mere prefix of a word."""
        row = self._db.execute("SELECT freq FROM words WHERE word = ?", (word,)).fetchone()
        return row and row[0]

    def _cut(self, text: str) -> list[str]:
        """``Tokenizer.cut``: DAG cut of jieba's "Han" blocks; other characters one by one."""
        words: list[str] = []
        for han, block in _blocks(text, _is_dag_han):
            words += self._cut_dag(block) if han else _RE_CHAR.findall(block)
        return words

    def _dag(self, sentence: str) -> list[list[tuple[int, int]]]:
        """``get_DAG``: for each start, the (end, frequency) of the words there, else (start, 1)."""
        dag = []
        for k in range(len(sentence)):
            ends = []
            i = k + 1
            freq = self._freq(sentence[k:i])
            while freq is not None:
                if freq:
                    ends.append((i - 1, freq))
                if i == len(sentence):
                    break
                i += 1
                freq = self._freq(sentence[k:i])
            dag.append(ends or [(k, 1)])
        return dag

    def _route(self, sentence: str) -> list[int]:
        """``calc``: the end of the best word from each position (maximum log-probability path)."""
        dag = self._dag(sentence)
        route = [(0.0, 0)] * (len(sentence) + 1)
        for idx in range(len(sentence) - 1, -1, -1):
            route[idx] = max((math.log(freq) - self._log_total + route[x + 1][0], x) for x, freq in dag[idx])
        return [x for _, x in route]

    def _cut_dag(self, sentence: str) -> list[str]:
        """``__cut_DAG``: dictionary words; runs of single characters go through the HMM."""
        route = self._route(sentence)
        words: list[str] = []
        buf = ""
        x = 0
        while x < len(sentence):
            y = route[x] + 1
            if y - x == 1:
                buf += sentence[x]
            else:
                words += self._cut_buf(buf)
                buf = ""
                words.append(sentence[x:y])
            x = y
        return words + self._cut_buf(buf)

    def _cut_buf(self, buf: str) -> list[str]:
        """Single-character steps: kept apart if they form a dictionary word, else ``finalseg.cut``."""
        if len(buf) <= 1:
            return [buf] if buf else []
        if self._freq(buf):
            return list(buf)
        return self._hmm_cut(buf)

    def _hmm_cut(self, text: str) -> list[str]:
        """``finalseg.cut``: Viterbi over Han blocks, other blocks split at letters/digits."""
        words: list[str] = []
        for han, block in _blocks(text, _is_han):
            if han:
                words += _hmm_words(block, _viterbi(block, self._start, self._trans, self._emissions(block)))
            else:
                words += [part for part in _RE_HMM_SKIP.split(block) if part]
        return words

    def _emissions(self, chars: str) -> dict[str, dict[str, float]]:
        """Each character's emission log-probability per state (states it never has are left out)."""
        emit = {}
        for char in set(chars):
            row = self._db.execute("SELECT B, M, E, S FROM emit WHERE char = ?", (char,)).fetchone() or ()
            emit[char] = {s: p for s, p in zip("BMES", row) if p is not None}
        return emit
