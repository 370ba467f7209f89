"""The ``search`` command: a thin click layer over ``search.Index``.

Results go to stdout, progress and diagnostics to stderr. Exit codes follow grep and
ripgrep: 0 found, 1 nothing found, 2 error (with a one-line message), 130 interrupted.
Heavy modules are imported inside commands so ``--help`` and ``stats`` start fast.
"""

from __future__ import annotations

import os
import sys

import click

from .errors import SearchError
from .settings import DEFAULT_INDEX_DIR, INDEX_DIR_ENV, SERVER_ENV

EXAMPLES = """
\b
Examples:
  search index ~/blog/source/_posts
  search query 阿里云 美国
  search query '"国家安全" -特朗普' --source 虎嗅 --since 2022-01 --sort date --json
  search show ~/blog/source/_posts/hello.md
  search stats
  search serve
"""


class SearchGroup(click.Group):
    """Turns expected library errors and Ctrl-C into a message and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SearchError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("Interrupted: the index is as it was before this run.", err=True)
            ctx.exit(130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader went away (`search query ... | head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
            ctx.exit(128 + 13)  # as a process killed by SIGPIPE
        except Exception as error:  # a bug: still one line (SEARCH_DEBUG=1 shows the traceback)
            if os.environ.get("SEARCH_DEBUG"):
                raise
            click.echo(f"Error: internal error ({type(error).__name__}: {error}); please report it "
                       "(SEARCH_DEBUG=1 shows the traceback)", err=True)
            ctx.exit(2)


def index_dir_option(command):
    return click.option("--index-dir", type=click.Path(file_okay=False), envvar=INDEX_DIR_ENV,
                        default=DEFAULT_INDEX_DIR, show_default=True, show_envvar=True,
                        help="Where the index lives.")(command)


def server_option(command):
    return click.option("--server", metavar="URL", envvar=SERVER_ENV, show_envvar=True, callback=_server_url,
                        help="Use a Typesense cluster instead of --index-dir: "
                             "typesense://KEY@HOST:PORT[,HOST:PORT...]/COLLECTION (typesenses:// for TLS).")(command)


def _server_url(ctx, param, value):
    """A ``--server`` URL checked before any work (a bad one is one line and exit 2)."""
    if value is not None:
        from .cluster.url import parse_url

        parse_url(value)
    return value


def json_option(command):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON Lines for scripts.")(command)


@click.group(cls=SearchGroup, epilog=EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hexo-search", prog_name="search")
def cli():
    """Full-text search for Chinese article archives (Markdown, HTML, JSON Lines)."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--rebuild", is_flag=True, help="Discard the index and build it from scratch.")
@click.option("--workers", type=click.IntRange(1), help="Parallel worker processes [default: one per core].")
@index_dir_option
@server_option
def index(paths, rebuild, workers, index_dir, server):
    """Index (or re-index) articles under PATHS: files or folders, searched recursively.

    Only new and changed files are analysed; documents of files that are gone from PATHS are
    removed. Each skipped file is reported with its reason; the run goes on.

    \b
    Example:
      search index ~/blog/source/_posts examples/
    """
    from .formatting import printable
    from .index import Index

    if (click.get_current_context().obj or {}).get("own_process"):
        _as_background_job()
    with Index(server or index_dir) as idx, _Progress() as progress:
        report = idx.add(paths, rebuild=rebuild, progress=progress, workers=workers)
    for path, reason in report.skipped:
        click.echo(f"skipped {printable(path)}: {reason}", err=True)
    click.echo(f"indexed {printable(str(idx.path) if server else index_dir)}: {report.summary()}", err=True)
    missing = [p for p in paths if not os.path.exists(p)]
    sys.exit(2 if missing else 0)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@click.option("--source", help="Only articles from this source (e.g. 虎嗅).")
@click.option("--category", help="Only articles in this category.")
@click.option("--author", help="Only articles by this author.")
@click.option("--since", metavar="DATE", help="Only articles from DATE on (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only articles up to the end of DATE.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="Rank by relevance, or newest first (undated last).")
@click.option("-n", "--limit", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Results per page.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="Page of results.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Highlight matches; auto means on a terminal unless NO_COLOR is set.")
@click.option("--explain", is_flag=True,
              help="Also say how the query was read: its words, the tier of each hit, what each filter "
                   "removed, why nothing matched (in --json: an 'explain' key in the last line).")
@click.option("--no-pinyin", is_flag=True, help="Search Latin words only as written, never as pinyin.")
@click.option("--no-suggest", is_flag=True,
              help="Do not suggest a close query (did you mean) when no article has every word.")
@click.option("--all", "every_copy", is_flag=True,
              help="Show every copy of a story as its own hit (by default near-duplicate articles are one "
                   "hit that names the others: 'also in').")
@json_option
@index_dir_option
@server_option
def query(words, source, category, author, since, until, sort, limit, page, color, explain, no_pinyin, no_suggest,
          every_copy, as_json, index_dir, server):
    """Search the index for WORDS; prints ranked articles with highlighted snippets. With no
    words but a filter, lists the articles it allows, newest first.

    \b
    Syntax:
      阿里云 美国          articles with both words rank first
      华为 OR 小米         either word
      -特朗普, NOT 特朗普   exclude a word
      "国家安全"           exact phrase
      title:芯片           in one field: title, author, source, category
      deep*               words starting with deep
    Any run of Chinese characters also finds articles where it sits inside a longer word.
    Near-duplicate articles (one story from several feeds) are one hit: --all shows each.

    \b
    Example:
      search query '"国家安全" -特朗普' --source 虎嗅 --since 2022-01 --sort date --json
      search query 美国 -特朗普
      search query --source 虎嗅 --sort date
    """
    from .formatting import format_explanation, format_footer, format_hit, to_json, totals_json
    from .query import Filters
    from .index import Index

    filters = Filters(source=source, category=category, author=author,
                      since=_period(since, "--since"), until=_period(until, "--until", end=True))
    if not words and not filters:
        raise click.UsageError("give words to search for, or a filter (--source, --category, --author, "
                               "--since, --until) to list articles")
    with Index(server or index_dir) as idx:
        results = idx.search(" ".join(words), limit=limit, page=page, filters=filters, sort=sort,
                             suggest=not no_suggest, pinyin=not no_pinyin, explain=explain,
                             group_copies=not every_copy)
    use_color = _use_color(color)
    if results.searched_as_pinyin:
        click.echo("searched as pinyin: " + " ".join(chinese for _, chinese in results.searched_as_pinyin), err=True)
    if results.suggestion:
        click.echo(f"did you mean: {results.suggestion}", err=True)
    if as_json:
        for hit in results:
            click.echo(to_json(hit))
        click.echo(totals_json(results))
    else:
        for hit in results:
            click.echo(format_hit(hit, use_color) + "\n", color=use_color)
        click.echo(format_footer(results), err=not results.hits)
        if results.explanation is not None:
            click.echo(format_explanation(results.explanation))
    sys.exit(0 if results.hits else 1)


@cli.command()
@click.argument("doc_id")
@json_option
@index_dir_option
@server_option
def show(doc_id, as_json, index_dir, server):
    """Print one stored article by its id (for files, the path)."""
    from .formatting import format_document, to_json
    from .index import Index

    with Index(server or index_dir) as idx:
        doc = idx.get(doc_id)
    click.echo(to_json(doc) if as_json else format_document(doc))


@cli.command()
@json_option
@index_dir_option
@server_option
def stats(as_json, index_dir, server):
    """Show what is indexed: documents, dates, sources, size."""
    from .formatting import format_stats, to_json
    from .index import Index

    with Index(server or index_dir) as idx:
        info = idx.stats()
    click.echo(to_json(info) if as_json else format_stats(info))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every network, with no login).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--cors", multiple=True, metavar="ORIGIN",
              help="Let pages of ORIGIN (e.g. https://blog.example.com) call the API; repeatable.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Server processes, each reading the index on its own.")
@index_dir_option
def serve(host, port, cors, workers, index_dir):
    """Serve a search page and a JSON API over the index (/api/search, /api/article, /api/stats).

    A `search index` run while serving shows on the next request.

    \b
    Example:
      search serve --port 8000 --cors https://blog.example.com
    """
    from ipaddress import ip_address

    from .web.server import serve as run_server

    try:
        if not ip_address(host).is_loopback:
            click.echo(f"Warning: listening on {host}: anyone who can reach this machine can search "
                       "and read every indexed article", err=True)
    except ValueError:  # a host name
        if host != "localhost":
            click.echo(f"Warning: listening on {host}: anyone who can reach it can read every indexed article",
                       err=True)
    try:
        run_server(index_dir, host, port, cors, workers)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
        sys.exit(130)


def _period(value, option, end=False):
    if value is None:
        return None
    from .query import parse_period

    try:
        return parse_period(value, end=end)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


class _Progress:
    """A progress bar on stderr while files are analysed, only when stderr is a terminal."""

    def __enter__(self):
        self.bar = None
        return self

    def __call__(self, done, total):
        if not sys.stderr.isatty() or total < 2:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="indexing", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _as_background_job() -> None:
    """Lower this process's CPU priority to its indexing workers' (``WORKER_NICENESS``): indexing
    is batch work, so a server or a shell on the same machine keeps its speed (a re-index beside a
    busy ``search serve``: benchmarks/README.md), and an idle machine still gives it every core."""
    from .engine.writer import WORKER_NICENESS

    os.nice(max(0, WORKER_NICENESS - os.nice(0)))


def main():
    """The ``search`` command as a process of its own (tests invoke ``cli`` inside theirs, whose
    priority a command must not change)."""
    cli(prog_name="search", obj={"own_process": True})
