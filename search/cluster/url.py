"""Server URLs: ``typesense://API_KEY@HOST:PORT[,HOST:PORT…]/COLLECTION`` (``typesenses://`` for TLS).

Several nodes are one cluster: the client sends each request to one and fails over to the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import SearchError

SCHEMES = {"typesense": "http", "typesenses": "https"}
_URL_RE = re.compile(r"(?P<scheme>[a-z]+)://(?P<key>[^@/]*)@(?P<hosts>[^/]*)/(?P<collection>[^/?#]*)")
_HOST_RE = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})")
_COLLECTION_RE = re.compile(r"[A-Za-z0-9_-]{1,100}")
EXAMPLE = "typesense://KEY@127.0.0.1:8108/articles"


@dataclass(frozen=True)
class ServerURL:
    """A parsed server URL; ``str()`` shows it without the key."""

    protocol: str
    api_key: str
    nodes: tuple[tuple[str, int], ...]
    collection: str

    def __str__(self) -> str:
        scheme = "typesenses" if self.protocol == "https" else "typesense"
        hosts = ",".join(f"{host}:{port}" for host, port in self.nodes)
        return f"{scheme}://{hosts}/{self.collection}"


def is_server_url(text) -> bool:
    """Whether ``text`` names a server (a scheme of ours) rather than an index folder."""
    return isinstance(text, str) and text.split("://", 1)[0] in SCHEMES and "://" in text


def parse_url(text: str) -> ServerURL:
    """``text`` as a ``ServerURL``; a ``SearchError`` that says what is wrong otherwise."""
    match = _URL_RE.fullmatch(text.strip())
    if not match or match["scheme"] not in SCHEMES:
        raise SearchError(f"bad server URL {_redacted(text)!r}: use {EXAMPLE} (typesenses:// for TLS)")
    key = unquote(match["key"])
    if not key:
        raise SearchError(f"bad server URL {_redacted(text)!r}: the API key is missing before '@' ({EXAMPLE})")
    nodes = []
    for part in match["hosts"].split(","):
        host = _HOST_RE.fullmatch(part.strip())
        if not host or not 0 < int(host["port"]) < 65536:
            raise SearchError(f"bad server URL {_redacted(text)!r}: {part!r} is not HOST:PORT ({EXAMPLE})")
        nodes.append((host["host"].strip("[]"), int(host["port"])))
    if not _COLLECTION_RE.fullmatch(match["collection"]):
        raise SearchError(f"bad server URL {_redacted(text)!r}: name the collection after the last '/' "
                          f"(letters, digits, _ and -), e.g. {EXAMPLE}")
    return ServerURL(SCHEMES[match["scheme"]], key, tuple(nodes), match["collection"])


def _redacted(text: str) -> str:
    """``text`` without what looks like its API key, for messages."""
    return re.sub(r"://[^@/]*@", "://…@", text)
