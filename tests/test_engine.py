"""The local engine's boundary: indexes written before a format change, and the private Whoosh
names the engine relies on."""

import shutil
from pathlib import Path

import pytest

from search import Index, IndexMismatchError

FIXTURES = Path(__file__).parent / "fixtures"


def test_an_index_written_before_the_subpackages_asks_for_a_rebuild(tmp_path):
    """Its schema names ``search.schema`` and ``search.analysis`` classes, which moved."""
    old = shutil.copytree(FIXTURES / "index-before-subpackages", tmp_path / "old")
    with Index(old) as idx, pytest.raises(IndexMismatchError) as error:
        idx.search("江湖")
    assert "written by another version of this program" in str(error.value)
    assert "search index --rebuild" in str(error.value)
