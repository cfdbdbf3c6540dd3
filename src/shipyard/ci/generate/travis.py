"""Travis CI: the tests on every Python of the matrix, then a release stage that runs once.

Travis's own `deploy:` ignores some failures (the reason users add a validation script after it);
here the release is a stage of one job whose script fails the build on any failure, and
`shipyard verify` reads each index again after the release.
"""

from __future__ import annotations

from shipyard.ci.generate.context import Context
from shipyard.ci.generate.render import render as render_template

PATH = ".travis.yml"


def release_if(ctx: Context) -> str:
    if ctx.trigger.branch_based:
        return f"branch = {ctx.trigger.branch} AND type = push"
    return f"tag =~ /{ctx.tag_regex}/"


def render(ctx: Context) -> str:
    return render_template(
        "travis.yml.j2", ctx=ctx, condition=release_if(ctx), release=ctx.release_step("$TRAVIS_TAG")
    )
