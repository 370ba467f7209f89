"""The cluster engine: the same ``Index`` verbs on a replicated Typesense cluster.

Selected by a ``typesense://KEY@HOST:PORT[,HOST:PORT]/COLLECTION`` URL (``search.cluster.url``).
"""
