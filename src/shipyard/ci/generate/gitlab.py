"""GitLab CI: test, release and cleanup stages; the release job's rules match the tag pattern. The
release job, which holds the id tokens and credentials, installs shipyard from the files a `tools`
job without credentials fetched: it reads no index for tools."""

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
        release=ctx.release_step("$CI_COMMIT_TAG"),
        release_when=when,
        needs=["lint", "test", "tools"] if ctx.ruff else ["test", "tools"],
    )
