"""A 3-node cluster loses its leader during a stream of queries and an indexing run: no query
fails (the client retries the other nodes), the run completes or reports and is safe to rerun,
and the count is exact afterwards."""

import threading
import time

import pytest

from clusters import local_cluster
from search import Index
from search.errors import SearchError

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
FILES = 600


@pytest.fixture
def three_nodes(tmp_path):
    """Three nodes; the one the test kills is started again after, for the tests that follow."""
    with local_cluster(tmp_path / "cluster", nodes=3) as running:
        yield running
        for node in running.nodes:
            if node.killed:
                running.restart(node)


def many_posts(folder, articles_dir, count):
    """``count`` distinct posts made from the bundled ones (each with a number of its own)."""
    folder.mkdir()
    sources = sorted(articles_dir.glob("*.md"))
    for n in range(count):
        text = sources[n % len(sources)].read_text(encoding="utf-8")
        (folder / f"post{n}.md").write_text(f"{text}\n\n编号{n}号\n", encoding="utf-8")
    return folder


def settled(check, timeout=30.0):
    """Poll until ``check()`` holds for 10 reads in a row (reads go round the nodes)."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 10:
        streak = streak + 1 if check() else 0
        assert time.monotonic() < deadline, "the nodes did not converge"
        time.sleep(0.05)


def test_killing_the_leader_fails_no_query_and_a_rerun_makes_the_count_exact(three_nodes, articles_dir, tmp_path):
    url = three_nodes.url
    with Index(url) as idx:
        assert idx.add([articles_dir]).added == 13
        # add waits for the followers: a query right after it finds the articles on every node
        assert [len(idx.search("阿里云").hits) for _ in range(9)] == [2] * 9
        before = idx.search("编号").total
    posts = many_posts(tmp_path / "posts", articles_dir, FILES)
    failures, answered, stop = [], [], threading.Event()

    def ask():
        with Index(url) as idx:
            while not stop.is_set():
                try:
                    answered.append(len(idx.search("阿里云").hits) >= 2)
                except Exception as error:  # noqa: BLE001 - every failure counts
                    failures.append(repr(error))

    def index():
        try:
            with Index(url) as idx:
                outcome.append(idx.add([posts, articles_dir]))
        except SearchError as error:  # reported, and safe to rerun
            outcome.append(error)

    outcome = []
    readers = [threading.Thread(target=ask) for _ in range(2)]
    writer = threading.Thread(target=index)
    for thread in readers:
        thread.start()
    writer.start()
    time.sleep(1.0)
    leader = three_nodes.leader()
    three_nodes.kill(leader)
    killed_at = len(answered)
    writer.join(120)
    time.sleep(2.0)  # queries go on after the failover
    stop.set()
    for thread in readers:
        thread.join(60)
    first = outcome[0].summary() if hasattr(outcome[0], "summary") else f"stopped: {outcome[0]}"
    print(f"\nfailover: {len(answered)} queries ({len(answered) - killed_at} after the kill), "
          f"{len(failures)} failed; the indexing run: {first}")
    assert failures == []
    assert all(answered) and len(answered) > killed_at
    three_nodes.wait_healthy()
    with Index(url) as idx:
        report = idx.add([posts, articles_dir])
        assert report.skipped == []
        settled(lambda: idx.stats().documents == FILES + 13)
        assert idx.search("编号").total == FILES + before
