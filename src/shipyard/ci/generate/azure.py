"""Azure Pipelines: a Build stage on every commit and pull request, a Release stage on the trigger.

A Dist job of the Build stage, without credentials, builds, checks and test-installs the release
and publishes the files as a pipeline artifact; the Release stage downloads them and publishes
those very files (`--dists`), running none of the project's code where the credentials are. A
packaging repository's push gets System.AccessToken in git's environment for that one command.

Azure Artifacts has no trusted publishing: TwineAuthenticate@1 signs in to each feed and writes a
.pypirc whose path shipyard reads from SHIPYARD_PYPIRC. A pipeline run by hand picks the
repositories (and, in a packaging repository, the package) from runtime parameters.
"""

from __future__ import annotations

from shipyard.ci.generate.context import Context
from shipyard.ci.generate.render import render as render_template

PATH = "azure-pipelines.yml"


def release_condition(ctx: Context) -> str:
    if ctx.trigger.branch_based:
        pushed = f"eq(variables['Build.SourceBranch'], 'refs/heads/{ctx.trigger.branch}')"
    else:
        pushed = f"startsWith(variables['Build.SourceBranch'], 'refs/tags/{ctx.tag_prefix_glob[:-1]}')"
    return f"and(succeeded(), or({pushed}, eq(variables['Build.Reason'], 'Manual')))"


def render(ctx: Context) -> str:
    # a packaging repository with feeds runs by hand only, the feed picked on its own (several
    # feeds, one release each: a merge cannot say which)
    manual = ctx.packaging_repo and bool(ctx.feeds)
    others = ctx.other_stages
    return render_template(
        "azure.yml.j2",
        ctx=ctx,
        condition=release_condition(ctx),
        manual=manual,
        other_prefixes=[",".join(others[: i + 1]) for i in range(len(others))],
        # the feeds sign in through TwineAuthenticate@1; every other stage from secret variables
        azure_env=[e for s in others for e in ctx.credential_env(s)],
        # a single package's release command without its tag (the steps take it from the branch)
        base=ctx.release_command("").removesuffix(' --tag ""'),
        build=ctx.build_step(""),
        build_needs=["Lint", "Test"] if ctx.lint_job else ["Test"],
    )
