"""Every sample post reads as the corpus's ``expected.jsonl`` says its front matter does: title
(with its fallback when blank), date, categories, source and author."""

import json
from pathlib import Path

import pytest

from search.documents.articles import read_article

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def expected_samples():
    expected = CORPUS / "expected.jsonl"
    if not expected.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{expected} not found"))]
    records = [json.loads(line) for line in expected.read_text(encoding="utf-8").splitlines()]
    return [pytest.param(record, id=record["file"]) for record in records]


@pytest.mark.parametrize("record", expected_samples())
def test_every_sample_matches_expected_jsonl(record):
    article = read_article(CORPUS / "sample" / record["file"])
    assert article.title == record["title"].strip() or (not record["title"].strip() and article.title)
    assert (article.date.strftime("%Y-%m-%dT%H:%M:%SZ") if article.date else None) == record["date"]
    assert list(article.categories) == record["categories"]
    assert article.source == record["source"]
    assert article.author == record["author"]
