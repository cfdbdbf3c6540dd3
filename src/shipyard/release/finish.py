"""Finishing a record that a run of `release --changed` (a packaging repository's packages, a
workspace's members) journaled and did not complete: shared by both, as their journals are one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from shipyard import events
from shipyard.config import Config
from shipyard.record import journal, writer
from shipyard.release.ship import StageResult


def finish(
    root: Path, pending: journal.Journal, config: Config, asked: str, push: bool, emit: events.Emit
) -> tuple[writer.Recorded, list[dict[str, object]]]:
    """Finish the record an earlier run journaled (its packages are published and verified): the
    commit, the tags and the push, each unless done; what it recorded, and its packages as this run
    reports them. Nothing is built or published; packages a failure stopped that run before are
    released by the next one."""
    released = pending.releases
    names = [f"{r.name} {r.version}" for r in released] or ["a release the journal does not name"]
    what, many = (", ".join(names[:-1]) + " and " if len(names) > 1 else "") + names[-1], len(names) > 1
    journal.check_command(root, what, pending.command or "shipyard release", asked, many=many)
    journal.validate(root, pending, remote=config.remote, stages=config.stages)
    events.info(
        emit,
        f"{what} {'were' if many else 'was'} published and verified by a run that stopped: finishing "
        f"{'their' if many else 'its'} record",
    )
    steps = replace(pending.steps, push=pending.steps.push or push)
    journal.check_head(root, what, steps, many=many)
    recorded = journal.carry_out(root, steps, emit)
    packages = [finished(r) for r in released] if "packages" in pending.release else []
    return recorded, packages


def finished(said: journal.Journaled) -> dict[str, object]:
    """A package whose record a run that stopped journaled, as this run reports it."""
    stages = [StageResult(s, [], verified=True, resumed=True).as_json() for s in said.stages]
    return {**said.as_json(), "stages": stages, "test_install": None, "verified": True}
