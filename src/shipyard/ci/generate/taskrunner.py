"""run.sh (and a thin Makefile): the tasks users keep by hand, each a shipyard call.

`.env` is loaded for a run on a laptop only: in CI (`$CI` set) credentials come from the CI's
secrets, and a `.env` that git tracks is refused, as shipyard itself refuses it.
"""

from __future__ import annotations

from shipyard.ci.generate.context import Context
from shipyard.ci.generate.render import render

RUN_SH = "run.sh"
MAKEFILE = "Makefile"
TASKS = (
    "install",
    "lint",
    "test",
    "build",
    "clean",
    "publish:test",
    "publish:prod",
    "release:test",
    "release:prod",
    "help",
)


def run_sh(ctx: Context) -> str:
    return render("run.sh.j2", ctx=ctx, test_stage=ctx.stages[0], prod_stage=ctx.stages[-1])


def makefile() -> str:
    return render("Makefile.j2", tasks=TASKS)
