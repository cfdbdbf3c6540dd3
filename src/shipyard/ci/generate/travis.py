"""Travis CI: the tests on every Python of the matrix, then a build stage and a release stage of
one job each.

The build job, without credentials, builds, checks and test-installs the release and hands the
files (and shipyard as wheels) to the release job through a workspace; the release job publishes
those very files with `--dists`. Travis gives repository-settings variables to every job of a build:
the credentials belong, encrypted, in the release job's `env:`, and the jobs that run the project's
code stop when one reaches them. Travis's own `deploy:` ignores some failures (the reason users add
a validation script after it); here the release job's script fails the build on any failure, and
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
        "travis.yml.j2",
        ctx=ctx,
        condition=release_if(ctx),
        build=ctx.build_step("$TRAVIS_TAG"),
        release=ctx.publish_step("$TRAVIS_TAG", "dist"),
        guard=ctx.guard_step("put it, encrypted, in the release job's env (travis encrypt)"),
    )
