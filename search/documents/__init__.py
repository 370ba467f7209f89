"""Files → articles: finding files, decoding, YAML front matter, HTML/Markdown to clean text.

Knows nothing of analysis or engines: an ``Article`` is plain text and metadata.
"""

from .articles import Article, find_files, os_reason, parse_article, read_article, read_jsonl

__all__ = ["Article", "find_files", "os_reason", "parse_article", "read_article", "read_jsonl"]
