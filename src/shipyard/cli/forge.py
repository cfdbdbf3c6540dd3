"""`shipyard forge-release`: the GitHub or GitLab release of a tag whose release every stage has
verified, on its own. The generated single-project GitHub workflow runs it in a job of its own
after the last stage's: that job holds `contents: write` and no upload credential or id-token."""

from __future__ import annotations

import argparse
import os

from shipyard.cli.common import Command, load_config, option_flags
from shipyard.cli.render import Renderer


def cmd_forge_release(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.errors import UsageError
    from shipyard.index.base import release_page
    from shipyard.plan.target import Trigger, resolve
    from shipyard.record import forge

    cfg = load_config(args)
    target = resolve(cfg, Trigger(tag=args.tag), os.environ)
    if target.tag is None or target.name is None or target.version is None:
        raise UsageError(
            f"forge-release: the project's name and version at tag {args.tag!r} are unknown here: "
            "declare [project] name (and the version, or tags that carry it)"
        )
    made: list[forge.ForgeRelease] = []
    if cfg.forge_release:
        notes = target.plan.notes() if target.plan is not None else {}
        seen = release_page(cfg.repository(cfg.stages[-1]), target.name, target.version)
        tagged = forge.Tagged(target.tag, target.name, target.version, forge.body(notes, seen))
        budget = cfg.network.retry_timeout  # CI runs on the tag: it is on the forge
        made = forge.make_releases([tagged], os.environ, out, on_remote=True, budget=budget)
    said = {f.action for f in made}
    summary = (
        f"no forge release of {target.tag}: "
        + ("forge-release is off" if not cfg.forge_release else "not in GitHub Actions or GitLab CI")
        if not made
        else f"{made[0].forge} release of {target.tag}: {', '.join(sorted(said))}"
    )
    out.result("forge-release", {"tag": target.tag, "forge_releases": [f.as_json() for f in made]}, summary)
    return 0


def register(command: Command) -> None:
    p = command(
        "forge-release",
        cmd_forge_release,
        "make the GitHub or GitLab release of a tag every stage verified (the release notes, and "
        "where it can be seen); in GitHub Actions or GitLab CI only",
    )
    p.add_argument(
        "--tag",
        metavar="TAG",
        default=os.environ.get("SHIPYARD_TAG", ""),
        help="the release's tag (default: the declared version's tag) [env: SHIPYARD_TAG]",
    )
    option_flags(p, "forge-release", "retry-timeout")
