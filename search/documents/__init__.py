"""Files → articles: finding files, decoding, YAML front matter, HTML/Markdown to clean text.

Knows nothing of analysis or engines: an ``Article`` is plain text and metadata.
"""

from importlib import import_module

__all__ = ["Article", "find_files", "os_reason", "parse_article", "read_article", "read_jsonl"]


def __getattr__(name):
    # Lazy: a query reads only ``changes`` (is an indexed file gone?), never BeautifulSoup or YAML.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(".articles", __name__), name)
