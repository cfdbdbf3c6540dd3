"""After every stage verified: write the version into the tree, commit, tag, push.

Only here does a release touch the user's repository, so a failed release leaves no tag and no
changed file. A commit that fails puts the files back as they were (a re-run resumes the release).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shipyard import events
from shipyard.errors import GitError
from shipyard.plan.target import Target
from shipyard.tools import git


@dataclass
class Recorded:
    commit: str | None = None
    tag: str | None = None
    pushed: bool = False

    def as_json(self) -> dict[str, object]:
        return {"commit": self.commit, "tag": self.tag, "pushed": self.pushed}


def _notes_text(target: Target) -> str:
    if target.plan is None:
        return ""
    lines = []
    for heading, notes in target.plan.notes().items():
        lines += [f"{heading}:", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines).strip()


def write_files(root: Path, edits: dict[str, bytes]) -> dict[str, bytes | None]:
    """Write every edit (atomically per file); returns what was there before."""
    before: dict[str, bytes | None] = {}
    for rel, data in edits.items():
        path = root / rel
        before[rel] = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.shipyard-{os.getpid()}")
        tmp.write_bytes(data)
        if path.exists():
            tmp.chmod(path.stat().st_mode)
        os.replace(tmp, path)
    return before


def restore_files(root: Path, before: dict[str, bytes | None]) -> None:
    for rel, data in before.items():
        if data is None:
            (root / rel).unlink(missing_ok=True)
        else:
            (root / rel).write_bytes(data)


def record(root: Path, target: Target, *, push: bool, remote: str, emit: events.Emit) -> Recorded:
    done = Recorded()
    title = f"{target.name} {target.version}"
    notes = _notes_text(target)
    if target.commit:
        before = write_files(root, target.edits)
        try:
            done.commit = git.commit(
                root, sorted(target.edits), f"chore(release): {title}\n\n{notes}".strip(), epoch=target.epoch
            )
        except GitError:
            restore_files(root, before)
            raise
        events.info(emit, f"committed {', '.join(sorted(target.edits))} as {done.commit[:12]}")
    if target.create_tag and target.tag:
        git.create_tag(root, target.tag, f"{title}\n\n{notes}".strip())
        events.info(emit, f"tagged {target.tag}")
    done.tag = target.tag
    refs = [f"HEAD:refs/heads/{target.branch}"] if done.commit else []
    refs += [f"refs/tags/{target.tag}"] if target.create_tag else []
    if push and refs:
        git.push(root, remote, refs)
        done.pushed = True
        events.info(emit, f"pushed {' and '.join(r.rsplit('/', 1)[-1] for r in refs)} to {remote}")
    return done
