"""Full-text search for Chinese article archives: jieba segmentation over a Whoosh index.

    from search import Index
    with Index("index_data") as idx:
        idx.add(["posts/"])
        for hit in idx.search("阿里云 美国"):
            print(hit.rank, hit.title, hit.snippet)
"""

from importlib import import_module

_EXPORTS = {
    "Article": "documents", "parse_article": "documents", "read_article": "documents",
    "ArticleError": "errors", "IndexBusyError": "errors", "IndexClosedError": "errors", "IndexMismatchError": "errors",
    "IndexMissingError": "errors", "QueryError": "errors", "SearchError": "errors",
    "Filters": "query", "parse_period": "query", "Index": "index", "IndexReport": "results",
    "Document": "results", "Explanation": "results", "Facets": "results", "Hit": "results", "IndexStats": "results",
    "SearchResults": "results",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    # Lazy, so that `search --help` and one-off queries import only what they use.
    if name not in _EXPORTS:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
