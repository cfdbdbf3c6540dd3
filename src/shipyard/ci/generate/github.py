"""GitHub Actions: lint and tests on every push and pull request; the release in jobs of its own.

A single package: a build job makes, checks and test-installs the release once (to the runner's
own folder index, nothing leaves it), then one job per stage publishes those very files and
verifies them, each in an environment of the stage's name (so production can wait for approval)
and each the only place with `id-token: write` (trusted publishing).

A packaging repository: a plan job lists the changed packages (or the one a manual run names);
per stage, a matrix releases each package in a job of its own, in parallel (`release --changed
--no-record` with SHIPYARD_PACKAGE=NAME: the package and the changed ones it imports; a dependency
published by two jobs at once is safe, publishing being idempotent); past MAX_JOBS changed packages
(GitHub runs no matrix of more than 256 jobs, and then nothing at all), a job releases a batch of
them, SHIPYARD_PACKAGE=A,B,..., the packages of a dependency level at once on its cores; then
one record job finds every file published and identical, verifies, and records once: changelogs,
README table, commit and tags, pushed together (one job, so that no two pushes race on main). A
docs job builds every package's MkDocs site under /<package>/ and a pages job deploys it.
"""

from __future__ import annotations

from shipyard.ci.generate.context import Context
from shipyard.ci.generate.pins import uses
from shipyard.ci.generate.render import render as render_template

PATH = ".github/workflows/release.yml"
# a packaging repository's stage jobs at most (GitHub's matrix stops at 256): more changed packages
# go in batches, each job releasing its share in parallel on its runner's cores
MAX_JOBS = 64


def release_if(ctx: Context) -> str:
    """The jobs of a release run on the trigger's push, or when run by hand."""
    if ctx.trigger.branch_based:
        push = f"github.event_name == 'push' && github.ref == 'refs/heads/{ctx.trigger.branch}'"
    else:
        push = "github.event_name == 'push' && github.ref_type == 'tag'"
    return f"({push}) || github.event_name == 'workflow_dispatch'"


def stage_if(ctx: Context, stage: str) -> str:
    """A stage job runs on the trigger, or by hand when the chosen stages hold it."""
    base = release_if(ctx).rsplit(" || ", 1)[0]
    chosen = f"contains(format(',{{0}},', inputs.stages), ',{stage},')"
    return f"{base} || (github.event_name == 'workflow_dispatch' && {chosen})"


def render(ctx: Context) -> str:
    return render_template(
        "github.yml.j2",
        ctx=ctx,
        uses=uses,
        release_if=release_if(ctx),
        stage_if=lambda s: stage_if(ctx, s),
        needs=["lint", "test"] if ctx.lint_job else ["test"],
        # a packaging repository's matrix job: its packages (SHIPYARD_PACKAGE, and the changed ones
        # they import), unrecorded
        matrix_command=ctx.release_command("").removesuffix(" --push") + " --no-record",
        max_jobs=MAX_JOBS,
    )
