"""`shipyard ci check` on real public pipeline files (tests/ci/corpus/MANIFEST.toml): on each file it
makes exactly the error-level findings a reader expects, less the ones the manifest records as not
made yet. A new false alarm, or a finding lost, fails here; benchmarks/ci_check_corpus.py reports
precision and recall."""

from __future__ import annotations

import pytest

from tests.helpers.corpus import Entry, entries, score

ENTRIES = entries()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.origin.split("@")[0] + ":" + e.shown for e in ENTRIES])
def test_each_real_file_gets_the_findings_a_reader_expects(entry: Entry) -> None:
    assert entry.path.is_file(), entry.path
    assert entry.missed <= entry.expected
    assert entry.found() == entry.expected - entry.missed


def test_the_corpus_is_real_and_scored() -> None:
    origins = {e.origin.split("@")[0] for e in ENTRIES if "@" in e.origin}
    assert len(origins) >= 9 and len(ENTRIES) >= 20
    result = score(ENTRIES)
    assert result.false == 0 and result.true >= 20, result


def test_a_fresh_set_nobody_here_wrote_keeps_precision() -> None:
    """Issue 22 point 10: 25+ files from projects not in the developers' own set (bots and previews
    given write scopes, `services:` with throwaway passwords, Windows runners), precision >= 0.95."""
    fresh = [e for e in ENTRIES if e.batch == "fresh"]
    own = {e.origin.split("@")[0] for e in ENTRIES if e.batch != "fresh"}
    projects = {e.origin.split("@")[0] for e in fresh}
    assert len(fresh) >= 25 and len(projects) >= 10 and not projects & own
    result = score(fresh)
    assert result.precision >= 0.95 and result.true >= 10, result
