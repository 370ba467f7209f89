"""The README tells the truth about the code: its "How it works" tree lists every module and
subpackage under ``search/`` (read from the file system, so a new one must be added to it) and
nothing else, and every option of every ``search`` command is mentioned."""

import re
from pathlib import Path

import click
import pytest

from search.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_tree() -> list[str]:
    """The paths under ``search/`` in the "How it works" tree, as ``analysis/`` or ``analysis/terms.py``."""
    section = README.split("\n## How it works\n", 1)[1]
    block = section.split("```\n", 2)[1]
    lines = block.splitlines()
    assert lines[0] == "search/", lines[0]
    paths, parents = [], []
    for line in lines[1:]:
        if not line.startswith("  "):
            break  # the next top-level folder
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        parents[depth - 1:] = [name]
        paths.append("".join(parents))
        assert len(line.split(None, 1)) == 2, f"{line!r}: say in a few words what it does"
    return paths


def modules_on_disk() -> set[str]:
    package = REPO / "search"
    found = set()
    for path in package.rglob("*.py"):
        if "__pycache__" in path.parts or path.name == "__init__.py":
            continue
        found.add(path.relative_to(package).as_posix())
    for init in package.rglob("__init__.py"):
        if init.parent != package:
            found.add(init.parent.relative_to(package).as_posix() + "/")
    return found


def test_the_readme_tree_lists_every_module_under_search_once():
    listed = readme_tree()
    assert len(listed) == len(set(listed)), sorted(p for p in listed if listed.count(p) > 1)
    assert set(listed) == modules_on_disk()


def test_the_readme_tree_is_read_as_intended():
    listed = readme_tree()
    assert {"documents/", "documents/articles.py", "engine/scoring.py", "index.py", "cli.py"} <= set(listed)
    assert listed.index("documents/") < listed.index("documents/articles.py")


def options():
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option):
                for option in param.opts + param.secondary_opts:
                    yield pytest.param(name, option, id=f"{name} {option}")


def test_every_command_is_in_the_readme():
    assert sorted(cli.commands) == ["index", "query", "serve", "show", "stats"]
    for name in cli.commands:
        assert re.search(rf"^search {name}\b", README, re.MULTILINE), name


@pytest.mark.parametrize("command, option", list(options()))
def test_every_command_option_is_in_the_readme(command, option):
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", README), f"`search {command} {option}`"


def test_the_default_index_directory_is_build_output_that_indexing_accepts():
    """The README's first command indexes into ./index_data of a fresh clone: git holds nothing
    there (it is created by indexing), and what a checkout has there the engine wrote."""
    import subprocess

    from search.engine.files import foreign_files

    tracked = subprocess.run(["git", "ls-files", "index_data"], cwd=REPO, capture_output=True, text=True)
    assert tracked.returncode != 0 or tracked.stdout == ""
    if (REPO / "index_data").is_dir():
        assert foreign_files(REPO / "index_data") == []
