"""Tests at corpus scale, on the real articles of ``../shared`` (the corpus beside the checkout):
the jieba/rjieba and compact-dictionary equalities on the sample and 1,000 news articles, the
engine against Whoosh's own writer, phrase query and collector on hundreds of articles, crashes
and concurrency on a thousand news files, rankings that need the 44 sample posts, and the
benchmark harnesses.

Without ``../shared/corpus`` the whole folder is one skip; under CI (``$CI`` set) it is an error
instead, so CI never passes without running them."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared"  # beside the checkout

if not (SHARED / "corpus").is_dir():
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI runs the corpus tests: put the corpus at {SHARED}")
    pytest.skip(f"corpus tests: no corpus at {SHARED / 'corpus'}", allow_module_level=True)
