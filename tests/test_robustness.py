"""Robustness: crashes and Ctrl-C while indexing, locks, concurrent readers and writers, hostile
files, hostile queries and damaged indexes. Everything goes through the real CLI in subprocesses
where the promise is about the command (one-line ``Error: ...``, exit codes, never a traceback).

Runs on the 13 bundled articles; the crash and concurrency tests that need a thousand news files
(enough work to kill a run at many points, or to keep a writer busy) are in
``tests/corpus/test_robustness_at_scale.py``.
"""

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from search import Index, QueryError
from search.engine.local import LOCK_TIMEOUT

CLI = [sys.executable, "-c", "from search.cli import main; main()"]
REBUILD = "run `search index --rebuild PATH...` to rebuild it"
BUSY = "Error: another process is writing to the index at {}; wait for it to finish and try again\n"
WORD = "中国"  # in 5 of the bundled articles and in most news articles


def cli(*args, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs)


def start(*args, **kwargs) -> subprocess.Popen:
    """The CLI in a session of its own (so a signal can go to its whole process group, as Ctrl-C does)."""
    return subprocess.Popen([*CLI, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **kwargs)


def state(index_dir) -> tuple[int, int]:
    """(documents, total hits for WORD) of the last commit, read by a fresh reader."""
    with Index(index_dir) as idx:
        return idx.stats().documents, idx.search(WORD).total


def assert_one_line_error(result, exit_code=2):
    assert result.returncode == exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr


def lock_is_free(index_dir, timeout=2.0) -> bool:
    from whoosh.filedb.filestore import FileStorage
    from whoosh.util.filelock import try_for

    lock = FileStorage(str(index_dir)).lock("MAIN_WRITELOCK")
    if try_for(lock.acquire, timeout=timeout, delay=0.05):
        lock.release()
        return True
    return False


def wait_for_writer(proc, index_dir, before: set, timeout=30.0):
    """Wait until ``proc`` holds the lock and writes segment files (new files in the index dir)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if set(os.listdir(index_dir)) - before - {"MAIN.tmp"}:
            return
        time.sleep(0.02)
    raise AssertionError(f"the writer never started writing (exit code {proc.poll()})")


def touch(paths) -> None:
    """Move the modification time of files a second on, so that the next run re-indexes them."""
    for path in paths:
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))


def copy_files(paths, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copy2(path, folder / path.name)
    return folder


# -- 1. crash safety -------------------------------------------------------------------------------

def _assert_no_orphan_segment_files(ix):
    from whoosh import index as whoosh_index

    live = {seg.segment_id() for seg in whoosh_index.open_dir(str(ix))._segments()}
    for name in os.listdir(ix):
        if name.startswith("MAIN_") and name != "MAIN_WRITELOCK":
            assert name.split(".")[0] in live, f"leftover file {name} in {sorted(os.listdir(ix))}"


KILL_POINTS = {
    # Just before the TOC is written: every new segment is complete on disk.
    "segments-written": "whoosh.index.TOC.write = lambda self, storage, name: die()",
    # The new TOC is complete in its temporary file, not yet renamed into place.
    "toc-written": """
        real = FileStorage.rename_file
        def rename(self, old, new, safe=False):
            if new.endswith(".toc"):
                die()
            return real(self, old, new, safe)
        FileStorage.rename_file = rename""",
    # Half of the new TOC written (a kill in the middle of the write).
    "toc-half-written": """
        real = FileStorage.rename_file
        def rename(self, old, new, safe=False):
            if new.endswith(".toc"):
                path = os.path.join(self.folder, old)
                os.truncate(path, os.path.getsize(path) // 2)
                die()
            return real(self, old, new, safe)
        FileStorage.rename_file = rename""",
    # The new TOC is in place; the old generation's files are not cleaned up yet.
    "toc-renamed": "import search.engine.files\nsearch.engine.files.clean_files = lambda *args: die()",
}


@pytest.mark.slow
@pytest.mark.parametrize("point", KILL_POINTS)
def test_sigkill_inside_the_commit(point, articles_dir, tmp_path):
    """Kills exactly at each step of Whoosh's commit: the TOC goes to a temporary file that is
    renamed into place (atomic on POSIX), so readers see the old or the new commit, never a mix."""
    files = sorted(articles_dir.glob("*.md"))
    data, ix = tmp_path / "data", tmp_path / "ix"
    copy_files(files[:7], data)
    assert cli("index", data, "--index-dir", ix).returncode == 0
    copy_files(files[7:], data)
    patch = textwrap.dedent(KILL_POINTS[point]).strip()
    script = (f"import os, signal, whoosh.index\nfrom whoosh.filedb.filestore import FileStorage\n"
              f"def die():\n    os.kill(os.getpid(), signal.SIGKILL)\n{patch}\n"
              "from search.cli import main\nmain()\n")
    killed = subprocess.run([sys.executable, "-c", script, "index", data, "--index-dir", ix],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert state(ix)[0] == (13 if point == "toc-renamed" else 7)
    assert lock_is_free(ix)
    again = cli("index", data, "--index-dir", ix)
    assert again.returncode == 0, again.stderr
    assert state(ix)[0] == 13
    _assert_no_orphan_segment_files(ix)


def test_a_live_writers_lock_is_respected(articles_index, tmp_path, articles_dir):
    from whoosh.filedb.filestore import FileStorage

    ix = tmp_path / "ix"
    shutil.copytree(articles_index, ix)
    lock = FileStorage(str(ix)).lock("MAIN_WRITELOCK")
    assert lock.acquire()
    try:
        began = time.monotonic()
        busy = cli("index", articles_dir, "--index-dir", ix)
        assert time.monotonic() - began >= LOCK_TIMEOUT - 0.5  # it waited for the lock first
        assert (busy.returncode, busy.stderr) == (2, BUSY.format(ix))
        # Rebuilding an incompatible index must not wipe it under the live writer either.
        _stamp_analysis(ix, "v0/old")
        busy = cli("index", "--rebuild", articles_dir, "--index-dir", ix)
        assert (busy.returncode, busy.stderr) == (2, BUSY.format(ix))
        assert "v0/old" in cli("query", WORD, "--index-dir", ix).stderr
    finally:
        lock.release()
    assert cli("index", "--rebuild", articles_dir, "--index-dir", ix).returncode == 0
    assert state(ix)[0] == 13


# -- 2. concurrency ----------------------------------------------------------------------------------

def test_stats_skips_a_file_a_commit_deletes_between_listing_and_measuring(articles_index, tmp_path, monkeypatch):
    # The race the test above once lost: a commit deletes the replaced state's files at any moment.
    ix = tmp_path / "ix"
    shutil.copytree(articles_index, ix)
    replaced = ix / "MAIN_replaced.pst"
    replaced.write_bytes(bytes(1000))
    listing = os.scandir

    def list_then_commit(path):
        entries = list(listing(path))
        replaced.unlink()
        return contextlib.nullcontext(entries)

    with Index(ix) as idx:
        idx.search(WORD)  # the reader is open before the commit, as in a long-running process
        monkeypatch.setattr(os, "scandir", list_then_commit)
        stats = idx.stats()
    assert not replaced.exists()  # listed, then deleted
    assert stats.documents == 13
    assert stats.size_bytes == sum(f.stat().st_size for f in ix.iterdir())


def test_a_table_of_contents_being_written_is_the_engines_own_file(tmp_path):
    """Whoosh writes ``_MAIN_<generation>.toc.<time()>`` and then renames it: a second writer
    looking at the folder meanwhile sees an index being written (and waits for the lock), not a
    folder of someone else's files (which failed the test below now and then)."""
    from search.engine.files import foreign_files, has_index

    (tmp_path / "_MAIN_0.toc.1796519181.5144317").write_bytes(b"")
    assert foreign_files(tmp_path) == [] and not has_index(tmp_path)


def test_two_writers_at_once_never_corrupt_the_index(articles_dir, tmp_path):
    ix = tmp_path / "ix"
    procs = [start("index", "--rebuild", articles_dir, "--index-dir", ix) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0 or (code, err) == (2, BUSY.format(ix)), results
    assert 0 in [code for code, _ in results]
    assert state(ix)[0] == 13


# -- 3. hostile input ----------------------------------------------------------------------------------

GBK_ARTICLE = ("---\ntitle: 国产芯片的突破\ndate: 2022-03-01 10:00:00\ncategories:\n  - 新闻\n---\n"
               "<p>我国科学家在光刻机领域取得进展，华为与中芯国际合作研发。</p>\n")


def _hostile_folder(root: Path) -> dict[str, str]:
    """Write the hostile files; return file name -> expected skip reason (None: indexed)."""
    root.mkdir()
    expected = {}

    def write(name, data, reason=None):
        (root / name).write_bytes(data)
        expected[name] = reason

    write("good.md", "---\ntitle: 正常文章\n---\n<p>量子计算机研究进展</p>".encode())
    write("invalid-utf8.md", b"---\ntitle: x\n---\n\xff\xfe\xfa bad \x80\x81", "not UTF-8 or GB18030 text")
    write("gbk.md", GBK_ARTICLE.encode("gbk"))
    write("gb18030.md", GBK_ARTICLE.replace("国产芯片的突破", "𠀀字与国产操作系统").encode("gb18030"))
    write("bom.md", "\ufeff---\ntitle: 带BOM的文章\n---\n<p>自动驾驶汽车</p>".encode())
    write("crlf.md", "---\r\ntitle: Windows换行\r\n---\r\n<p>区块链技术</p>\r\n".encode())
    write("binary.md", bytes(range(256)) * 40, "binary file (contains NUL bytes)")
    write("empty.md", b"", "empty file")
    write("blank.md", b"  \n\n\t\n", "empty file")
    write("yaml-attack.md", b"---\ntitle: !!python/object/apply:os.system ['touch PWNED']\n"
                            b"tags: !!python/object/new:os.system [touch PWNED]\n---\n<p>\xe5\xae\x89\xe5\x85\xa8</p>")
    write("nested.html", (b"<div>" * 100_000 + "深层嵌套".encode() + b"</div>" * 100_000))
    write("huge.html", b"<html><body>" + "<p>大量<b>段落</b>文本</p>\n".encode() * 20_000 + b"</body></html>")
    with open(root / "too-big.md", "wb") as file:  # sparse: 50 MB without writing them
        file.truncate(50 * 2**20)
    expected["too-big.md"] = "file too large (50 MB; limit 32 MB)"
    (root / "sub").mkdir()
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "sub" / "self").symlink_to(root / "sub", target_is_directory=True)
    long_name = " 'quoted' \"double\" 100% " + "长" * 70 + ".md"  # 255 bytes in UTF-8
    write(long_name, "---\ntitle: 长文件名\n---\n<p>长文件名测试</p>".encode())
    return expected


@pytest.mark.slow
def test_hostile_files_are_reported_one_by_one_and_the_run_completes(tmp_path):
    root = tmp_path / "hostile"
    expected = _hostile_folder(root)
    ix = tmp_path / "ix"
    runner = ("import resource, subprocess, sys\n"
              "r = subprocess.run(sys.argv[2:], capture_output=True, text=True, cwd=sys.argv[1])\n"
              "sys.stdout.write(r.stderr)\n"
              "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    measured = subprocess.run([sys.executable, "-c", runner, tmp_path, *CLI, "index", root, "--index-dir", ix],
                              capture_output=True, text=True, timeout=170)
    *stderr, last = measured.stdout.splitlines()
    code, max_rss_kb = map(int, last.split())
    assert code == 0, measured.stdout
    assert "Traceback" not in measured.stdout
    skipped = {line for line in stderr if line.startswith("skipped ")}
    assert skipped == {f"skipped {root / name}: {reason}" for name, reason in expected.items() if reason}
    indexed = [name for name, reason in expected.items() if reason is None]
    assert stderr[-1] == f"indexed {ix}: {len(indexed)} added, 0 updated, 0 unchanged, 0 removed, {len(skipped)} skipped"
    assert max_rss_kb < 1_000_000, f"peak RSS {max_rss_kb} KB"  # the 50 MB file is never read
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()

    with Index(ix) as idx:
        assert idx.stats().documents == len(indexed)
        assert [h.title for h in idx.search("光刻机")] == ["国产芯片的突破", "𠀀字与国产操作系统"] or \
            sorted(h.title for h in idx.search("光刻机")) == sorted(["国产芯片的突破", "𠀀字与国产操作系统"])
        assert idx.get(str(root / "gbk.md")).title == "国产芯片的突破"
        assert [h.title for h in idx.search("自动驾驶")] == ["带BOM的文章"]
        assert [h.title for h in idx.search("区块链")] == ["Windows换行"]
        assert [h.path for h in idx.search("深层嵌套")] == [str(root / "nested.html")]
        assert idx.search("段落").total == 1
        assert idx.search("长文件名测试").hits[0].path == str(root / [n for n in expected if n.startswith(" ")][0])
        yaml_doc = idx.get(str(root / "yaml-attack.md"))
        assert "安全" in yaml_doc.body  # the tags were kept as text, never constructed or run


def test_unreadable_file_is_skipped_with_permission_denied(tmp_path, monkeypatch):
    import search.documents.articles

    root = tmp_path / "posts"
    root.mkdir()
    (root / "ok.md").write_text("---\ntitle: 可读\n---\n<p>可读文章</p>", encoding="utf-8")
    (root / "secret.md").write_text("---\ntitle: 秘密\n---\n<p>秘密文章</p>", encoding="utf-8")
    if os.geteuid() == 0:  # root reads anything: simulate the refusal
        real_open = open

        def refusing_open(path, *args, **kwargs):
            if str(path).endswith("secret.md"):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(search.documents.articles, "open", refusing_open, raising=False)
    else:
        (root / "secret.md").chmod(0)
    with Index(tmp_path / "ix") as idx:
        report = idx.add([root], workers=1)
        assert report.skipped == [(str(root / "secret.md"), "permission denied")]
        assert report.added == 1 and idx.stats().documents == 1


def test_awkward_sample_file_names_are_indexed_and_shown(articles_dir, tmp_path):
    names = [" .md", "%secretclub%power：专家发现又一能禁用iPhone无线连接的SSID.md",  # names of sample posts
             "''Pass the Butter!\" DIY《瑞克和莫蒂》里的黄油机器人！.md", "1%名单.md"]
    posts, ix = tmp_path / "posts", tmp_path / "ix"
    posts.mkdir()
    for name, article in zip(names, sorted(articles_dir.glob("*.md"))):
        shutil.copy(article, posts / name)
    assert cli("index", posts, "--index-dir", ix).returncode == 0
    for name in names:
        shown = cli("show", posts / name, "--json", "--index-dir", ix)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["path"] == str(posts / name)


# -- 4. hostile queries ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ['"阿里云'], ["(阿里云"], ["阿里云)"], ["(("], ["-"], ["OR"], ["*"], ["NOT"], ["-阿里云"],
    ["阿里云" * 3334], ["\x01\x1b[31m\x7f\u200b"], ["nosuchfield:阿里云"], ["title:"], [":"],
    ["阿里云", "--since", "yesterday"], ["阿里云", "--until", "2022-13-45"], ["阿里云", "--since", "9999999"],
    ["阿里云", "--limit", "0"], ["阿里云", "--page", "100000"], ["阿里云", "--limit", "-5"],
])
def test_hostile_queries_never_trace_back_or_hang(articles_index, args):
    result = cli("query", *args, "--index-dir", articles_index, timeout=60)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 1, 2), result.stderr
    if result.returncode == 2:
        assert "Error: " in result.stderr, result.stderr
    if result.returncode == 1:
        assert result.stdout == ""


@pytest.mark.parametrize("option, value", [("--since", "yesterday"), ("--until", "2022-13-45"),
                                           ("--limit", "0")])
def test_bad_option_values_name_the_option(articles_index, option, value):
    result = cli("query", "阿里云", option, value, "--index-dir", articles_index)
    assert result.returncode == 2
    assert "Invalid value for" in result.stderr and option in result.stderr


def test_fuzzed_queries_return_results_or_raise_query_error(articles_index):
    pool = ["阿里云", "美国", "华为", "芯片", "国家安全", "竞", "里云", "deep", "C", "7-Zip", "AND", "OR", "NOT",
            "-", "+", "*", "?", "\"", "\"", "(", ")", "title:", "author:", "source:", "category:", "date:",
            "nosuch:", ":", "\\", "'", "~", "^2", "{", "}", "[", "]", "TO", "，", "。", "！", "%", "\t", "𠀀",
            "source:虎嗅", "category:开源中国", "title:美国"]
    rng = random.Random(4321)
    outcomes = {"results": 0, "empty": 0, "QueryError": 0}
    with Index(articles_index) as idx:
        for _ in range(300):
            text = "".join(rng.choice(pool) + rng.choice(["", " ", " ", ""]) for _ in range(rng.randint(1, 8)))
            try:
                results = idx.search(text, limit=5, page=rng.choice([1, 1, 2]),
                                     sort=rng.choice(["relevance", "date"]))
            except QueryError:
                outcomes["QueryError"] += 1
                continue
            outcomes["results" if results.hits else "empty"] += 1
            assert all(hit.rank >= 1 and hit.path for hit in results.hits)
    assert outcomes["results"] > 30, outcomes


def test_a_reader_that_stops_reading_ends_the_output_quietly(articles_index):
    """``search query ... | head``: the pipe closes early, and the command stops without an error."""
    proc = subprocess.Popen([*CLI, "query", WORD, "-n", "40", "--index-dir", articles_index],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the command writes anything
    assert (proc.wait(timeout=60), proc.stderr.read()) == (141, b"")


# -- 5. index trouble ------------------------------------------------------------------------------------

def test_missing_and_empty_index_directories(tmp_path):
    for ix in (tmp_path / "missing", tmp_path / "empty"):
        if ix.name == "empty":
            ix.mkdir()
        result = cli("query", WORD, "--index-dir", ix)
        assert (result.returncode, result.stderr) == (2, f"Error: no index at {ix}: run `search index PATH...` first\n")
        assert cli("stats", "--index-dir", ix).stderr == result.stderr


def _stamp_analysis(ix, value: str):
    """Rewrite the analysis id stored in the index's schema (an index built by another version)."""
    from whoosh import index as whoosh_index
    from whoosh.index import TOC

    storage = whoosh_index.open_dir(str(ix)).storage
    toc = TOC.read(storage, "MAIN")
    toc.schema["body"].analysis = value
    toc.generation += 1
    toc.write(storage, "MAIN")


def _damage(ix: Path, how: str):
    toc = next(ix.glob("_MAIN_*.toc"))
    segment = next(ix.glob("MAIN_*.seg"))
    if how == "incompatible":
        _stamp_analysis(ix, "v0/jieba-0.1")
    elif how == "truncated-segment":
        os.truncate(segment, segment.stat().st_size // 3)
    elif how == "deleted-segment":
        segment.unlink()
    elif how == "truncated-toc":
        os.truncate(toc, toc.stat().st_size // 2)
    elif how == "empty-toc":
        os.truncate(toc, 0)
    elif how == "garbage-toc":
        toc.write_bytes(random.Random(7).randbytes(4000))
    elif how == "deleted-toc":
        toc.unlink()


@pytest.mark.parametrize("how", ["incompatible", "truncated-segment", "deleted-segment", "truncated-toc",
                                 "empty-toc", "garbage-toc", "deleted-toc"])
def test_damaged_index_says_to_rebuild_and_rebuild_recovers(how, articles_index, articles_dir, tmp_path):
    ix = tmp_path / "ix"
    shutil.copytree(articles_index, ix)
    _damage(ix, how)
    commands = [("query", WORD), ("show", articles_dir / "江湖寂静.md"), ("stats",), ("index", articles_dir)]
    for command in commands:
        result = cli(*command, "--index-dir", ix)
        if how == "deleted-toc":  # nothing says an index was here: a new one is made
            expected = f"Error: no index at {ix}: run `search index PATH...` first\n"
            assert result.returncode == 0 if command[0] == "index" else (result.returncode, result.stderr) == (2, expected)
            continue
        assert_one_line_error(result)
        if how == "incompatible":
            assert result.stderr == (f"Error: the index at {ix} was built with analysis v0/jieba-0.1, "
                                     f"this version uses {_analysis_id()}; {REBUILD}\n")
        else:
            assert result.stderr.startswith(f"Error: the index at {ix} is damaged or unreadable (")
            assert result.stderr.endswith(f"); {REBUILD}\n")
    rebuilt = cli("index", "--rebuild", articles_dir, "--index-dir", ix)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert state(ix)[0] == 13
    assert cli("query", "阿里云", "--index-dir", ix).returncode == 0


def _analysis_id():
    from search.analysis import analysis_id

    return analysis_id()


def test_index_dir_that_is_a_file(tmp_path, articles_dir):
    ix = tmp_path / "not-a-dir"
    ix.write_text("x")
    for command in (("index", articles_dir), ("query", WORD)):
        result = cli(*command, "--index-dir", ix)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"Directory '{ix}' is a file" in result.stderr  # click's usage error
