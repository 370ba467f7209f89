"""Robustness at scale: SIGKILL at many points of a run that adds 500 news articles, Ctrl-C and
SIGKILL while parallel workers index 600, and readers that see one committed state or the other
while writers work. The helpers are test_robustness.py's."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from test_robustness import (WORD, _assert_no_orphan_segment_files, cli, copy_files, lock_is_free, start, state,
                             touch, wait_for_writer)

# The SIGKILL test indexes the first half, then kills runs that add the second half. Every killed
# run starts from scratch (nothing is visible before the one commit), so the test costs about
# KILLS x 0.6 x (time to index half): keep it small enough for CI on a busy 2-core machine.
KILL_FILES = 1000
KILLS = 11  # at least 10 of them must land before the run ends


@pytest.fixture(scope="module")
def news_files(news_dir):
    """The first KILL_FILES news articles, in sorted (fixed) order."""
    files = sorted(news_dir.glob("*.md"))[:KILL_FILES]
    assert len(files) == KILL_FILES
    return files


@pytest.mark.slow
def test_sigkill_at_many_points_leaves_the_last_commit_and_no_stale_lock(news_files, tmp_path):
    data, ix = tmp_path / "data", tmp_path / "ix"
    half = KILL_FILES // 2
    copy_files(news_files[:half], data)
    assert cli("index", data, "--index-dir", ix).returncode == 0  # also caches the dictionary
    touch(data.iterdir())
    began = time.monotonic()  # kills are spread over a run of the same work, without that cost
    assert cli("index", data, "--index-dir", ix).returncode == 0
    duration = time.monotonic() - began
    first = state(ix)
    assert first[0] == half
    copy_files(news_files[half:], data)

    rng = random.Random(20240501)
    points = [duration * (0.05 + 0.9 * i / (KILLS - 1)) * rng.uniform(0.9, 1.1) for i in range(KILLS)]
    seen = []
    for delay in points:
        proc = start("index", data, "--index-dir", ix)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as the OOM killer would
        proc.communicate()
        assert lock_is_free(ix), "a killed writer's lock (or its workers') outlived it"
        now = state(ix)
        seen.append((round(delay, 2), proc.returncode, now))
        assert now[0] in (half, KILL_FILES), seen
        if now[0] == KILL_FILES:  # committed before the kill: give the next run work again
            touch(sorted(data.iterdir())[half:])

    done = cli("index", data, "--index-dir", ix)
    assert done.returncode == 0, done.stderr
    final = state(ix)
    assert final[0] == KILL_FILES
    assert all(s in (first, final) for _, _, s in seen), seen
    killed = [s for _, code, s in seen if code == -signal.SIGKILL]
    assert first in killed and len(killed) >= 10, seen
    _assert_no_orphan_segment_files(ix)


@pytest.fixture
def big_run(sample_dir, news_files, tmp_path):
    """A committed index of the 44 samples, and 600 news files to add (enough for parallel workers)."""
    data, ix = tmp_path / "data", tmp_path / "ix"
    copy_files(sorted(sample_dir.glob("*.md")), data)
    assert cli("index", data, "--index-dir", ix).returncode == 0
    copy_files(news_files[:600], data / "news")
    return data, ix, state(ix)


def start_writing(data, ix) -> subprocess.Popen:
    """``search index`` a second into writing the big run's new articles."""
    proc = start("index", data, "--index-dir", ix)
    wait_for_writer(proc, ix, set(os.listdir(ix)))
    time.sleep(1.0)
    return proc


@pytest.mark.slow
def test_ctrl_c_while_indexing_exits_130_with_one_line_and_keeps_the_index(big_run):
    data, ix, before = big_run
    proc = start_writing(data, ix)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err == "Interrupted: the index is as it was before this run.\n"
    assert state(ix) == before
    assert lock_is_free(ix)


@pytest.mark.slow
def test_a_killed_writers_lock_dies_with_it(big_run):
    data, ix, before = big_run
    proc = start_writing(data, ix)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert state(ix) == before
    began = time.monotonic()
    again = cli("index", data, "--index-dir", ix)  # no manual cleanup
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - began < 60
    assert state(ix)[0] == 644


READER = """
import json, os, sys, time
from search import Index
ix, stop, word = sys.argv[1:4]
while not os.path.exists(stop):
    try:
        with Index(ix) as idx:
            print(json.dumps([idx.stats().documents, idx.search(word).total]), flush=True)
    except BaseException as error:
        print(json.dumps(f"{type(error).__name__}: {error}"), flush=True)
"""


@pytest.mark.slow
def test_readers_see_one_committed_state_or_the_other_while_writers_work(sample_dir, news_files, tmp_path):
    data, ix, stop = tmp_path / "data", tmp_path / "ix", tmp_path / "stop"
    copy_files(sorted(sample_dir.glob("*.md")), data)
    assert cli("index", data, "--index-dir", ix).returncode == 0
    small = state(ix)
    reader = subprocess.Popen([sys.executable, "-c", READER, ix, stop, WORD], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the reader is up (jieba loaded) before the first commit
        copy_files(news_files[:300], data / "news")
        assert cli("index", data, "--index-dir", ix).returncode == 0
        large = state(ix)
        shutil.rmtree(data / "news")
        assert cli("index", data, "--index-dir", ix).returncode == 0
        assert cli("index", "--rebuild", data, "--index-dir", ix).returncode == 0
        copy_files(news_files[:300], data / "news")
        assert cli("index", "--rebuild", data, "--index-dir", ix).returncode == 0
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    seen = [json.loads(line) for line in out.splitlines()]
    assert len(seen) >= 20, err
    assert [s for s in seen if not isinstance(s, list)] == []
    assert {tuple(s) for s in seen} <= {small, large}, (small, large)
    assert large[0] == 344 and state(ix) == large
