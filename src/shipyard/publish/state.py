"""What a release has already achieved, so that a re-run resumes instead of redoing.

`.shipyard/state/<name>-<version>.json` records, per repository, the files (with sha256) that were
published there and verified, and the test-install those files passed (with which python and test
group). A record only counts while the files of the new build are the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.tools import atomic, workdirs


@dataclass
class ReleaseState:
    path: Path
    stages: dict[str, object]  # repository -> its record, as read back from JSON
    tested: dict[str, object] = field(default_factory=dict)  # the test-install these files passed

    @classmethod
    def load(cls, root: Path, name: str, version: str) -> ReleaseState:
        path = root / ".shipyard" / "state" / f"{name}-{version}.json"
        try:
            doc = json.loads(path.read_text())
            stages, tested = doc.get("stages", {}), doc.get("tested", {})
        except (OSError, ValueError, AttributeError):
            stages, tested = {}, {}
        return cls(path, _table(stages), _table(tested))

    def writable(self) -> None:
        """UsageError now, before any upload, if this record could not be written after it."""
        workdirs.writable(self.path.parent, "what each stage of a release achieved")

    def verified(self, repository: str, files: Mapping[str, str], *, installed: bool = True) -> bool:
        """Whether `repository` verified exactly `files`; with `installed`, by installing them too."""
        record = self.stages.get(repository)
        return (
            isinstance(record, dict)
            and record.get("files") == dict(files)
            and (bool(record.get("installed")) or not installed)
        )

    def record(self, repository: str, files: Mapping[str, str], installed: bool) -> None:
        self.stages[repository] = {"files": dict(files), "installed": installed, "verified_at": _now()}
        self._write()

    def passed_tests(self, files: Mapping[str, str], how: Mapping[str, str]) -> Mapping[str, object] | None:
        """What the test-install of exactly `files` reported when it passed, run `how` (python,
        test group); None when these files were not tested so."""
        said = self.tested.get("result")
        same = self.tested.get("files") == dict(files) and self.tested.get("how") == dict(how)
        return said if same and isinstance(said, dict) else None

    def record_tests(
        self, files: Mapping[str, str], how: Mapping[str, str], result: Mapping[str, object]
    ) -> None:
        self.tested = {"files": dict(files), "how": dict(how), "result": dict(result), "tested_at": _now()}
        self._write()

    def _write(self) -> None:
        workdirs.ensure(self.path.parent.parent)
        self.path.parent.mkdir(exist_ok=True)
        doc = {"stages": self.stages, "tested": self.tested}
        atomic.write_text(self.path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def _table(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
