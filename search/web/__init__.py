"""The web face of ``search``: a search page, an article page and a JSON API over one
``Index`` per process (``search serve``); it uses only the library's public API."""
