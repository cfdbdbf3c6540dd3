"""What a release has already achieved, so that a re-run resumes instead of redoing.

`.shipyard/state/<name>-<version>.json` records, per repository, the files (with sha256) that were
published there and verified. A record only counts while the files of the new build are the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shipyard.tools import atomic, workdirs


@dataclass
class ReleaseState:
    path: Path
    stages: dict[str, object]  # repository -> its record, as read back from JSON

    @classmethod
    def load(cls, root: Path, name: str, version: str) -> ReleaseState:
        path = root / ".shipyard" / "state" / f"{name}-{version}.json"
        try:
            stages = json.loads(path.read_text()).get("stages", {})
        except (OSError, ValueError, AttributeError):
            stages = {}
        return cls(path, stages if isinstance(stages, dict) else {})

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
        self.stages[repository] = {
            "files": dict(files),
            "installed": installed,
            "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        workdirs.ensure(self.path.parent.parent)
        self.path.parent.mkdir(exist_ok=True)
        atomic.write_text(self.path, json.dumps({"stages": self.stages}, indent=2, sort_keys=True) + "\n")
