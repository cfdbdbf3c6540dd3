"""`shipyard ci check` precision and recall at error level on the corpus of real pipeline files
(tests/ci/corpus/MANIFEST.toml: expectations decided by reading each file), for each set of it (the
developers' own, and the fresh one picked by someone else) and for all.

Run: .venv/bin/python benchmarks/ci_check_corpus.py  (PYTHONPATH=OTHER/src to score another tree)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))

from tests.helpers.corpus import entries, score  # noqa: E402


def main() -> None:
    all_entries = entries()
    for entry in all_entries:
        found = entry.found()
        wrong, lost = sorted(found - entry.expected), sorted(entry.expected - found)
        if wrong or lost:
            print(f"{entry.origin}: false {wrong} missed {lost}")
    for name in [*sorted({e.batch for e in all_entries}), "all"]:
        chosen = [e for e in all_entries if name in ("all", e.batch)]
        result = score(chosen)
        print(
            f"{name}: {len(chosen)} files: {result.true} true, {result.false} false, {result.missed} missed "
            f"error findings; precision {result.precision:.2f}, recall {result.recall:.2f}"
        )


if __name__ == "__main__":
    main()
