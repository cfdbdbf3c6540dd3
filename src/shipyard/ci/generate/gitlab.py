"""GitLab CI: test, build, release and cleanup stages; the build and release jobs' rules match the
tag pattern. The build job, without credentials, builds, checks and test-installs the release and
fetches shipyard as wheels; the release job, which holds the id tokens and credentials, installs
those wheels (it reads no index for tools) and publishes the build job's files with `--dists`, so
that none of the project's code runs where the credentials are. CI/CD variables reach every job
unless scoped to an environment: the jobs that run the project's code stop when one reaches them."""

from __future__ import annotations

from shipyard.ci.generate.context import Context
from shipyard.ci.generate.render import render as render_template

PATH = ".gitlab-ci.yml"


def release_rule(ctx: Context) -> str:
    """The `rules: if:` of the release job (the tag regex also fits Python's `re`, for the tests)."""
    if ctx.trigger.branch_based:
        return f'$CI_COMMIT_BRANCH == "{ctx.trigger.branch}"'
    return f"$CI_COMMIT_TAG =~ /{ctx.tag_regex}/"


def render(ctx: Context) -> str:
    when = (
        f"pushes to {ctx.trigger.branch}"
        if ctx.trigger.branch_based
        else f"tags like {ctx.tag_pattern.replace('{version}', '1.2.3')}"
    )
    return render_template(
        "gitlab.yml.j2",
        ctx=ctx,
        rule=release_rule(ctx),
        build=ctx.build_step("$CI_COMMIT_TAG"),
        release=ctx.publish_step("$CI_COMMIT_TAG", "dist"),
        release_when=when,
        needs=["lint", "test"] if ctx.lint_job else ["test"],
        guard=ctx.guard_step(f"give it the environment scope {ctx.stages[-1]}"),
    )
