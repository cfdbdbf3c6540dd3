"""What a generated pipeline needs to know about the project: read once, from its own config.

A single package: `[tool.shipyard]` and `[project]` of pyproject.toml. A packaging repository:
shipyard.toml (or a package-auto-assembler .paa.config) and its modules. The trigger patterns are
derived from the tag pattern, so the CI fires on exactly the tags shipyard would make.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from shipyard import config
from shipyard.assemble import layout, settings
from shipyard.assemble.metadata import Meta
from shipyard.ci.generate.compiled import is_compiled
from shipyard.ci.generate.install import Install, choose, lint_command, writer_version
from shipyard.config import Config
from shipyard.errors import ConfigError, UsageError
from shipyard.plan.workspace import is_workspace
from shipyard.plan.workspace import load_config as workspace_config

# CPython minors by first release and end of life (python/devguide include/release-cycle.json), the
# one table to keep current: each October a minor comes out and the oldest one reaches its end
RELEASE_CYCLE: dict[str, tuple[str, str]] = {
    "3.9": ("2020-10-05", "2025-10-31"),
    "3.10": ("2021-10-04", "2026-10-31"),
    "3.11": ("2022-10-24", "2027-10-31"),
    "3.12": ("2023-10-02", "2028-10-31"),
    "3.13": ("2024-10-07", "2029-10-31"),
    "3.14": ("2025-10-07", "2030-10-31"),
    "3.15": ("2026-10-01", "2031-10-31"),
}
AS_OF = "2026-12-01"  # the day the table was last read: what was released and supported then
# the minors a generated matrix may hold, oldest first: released and not at their end on AS_OF
CPYTHON = tuple(m for m, (first, end) in RELEASE_CYCLE.items() if first <= AS_OF < end)
TRIGGERS = ("tag", "branch", "main")
# one PEP 440 public version, as a regex every CI's engine reads alike (RE2, Ruby, Python, JS)
VERSION_RE = r"[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?"
PACKAGE_RE = r"[A-Za-z0-9][A-Za-z0-9._-]*"
AZURE_HOSTS = ("pkgs.dev.azure.com", "pkgs.visualstudio.com")
# the OIDC audience of PyPI's hosts, for GitLab's id_tokens (another index names its own at run time)
AUDIENCES = {"upload.pypi.org": "pypi", "test.pypi.org": "testpypi"}
# names users already have set for these hosts (seen in the wild), by shipyard's suffix: the
# generated file maps them to SHIPYARD_<STAGE>_*; shipyard's own name wins when both are set
SEED_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "upload.pypi.org": {
        "TOKEN": ("PROD_PYPI_TOKEN",),
        "USERNAME": ("PYPI_USERNAME", "PYPI_USER"),
        "PASSWORD": ("PYPI_PASSWORD",),
    },
    "test.pypi.org": {"TOKEN": ("TEST_PYPI_TOKEN",)},
}


@dataclass(frozen=True)
class Trigger:
    """When the release job runs: on a tag push, on pushes to one branch, or on merges to main."""

    kind: str
    branch: str = ""

    @classmethod
    def parse(cls, words: list[str] | None, packaging_repo: bool) -> Trigger:
        if not words:
            return cls("main", "main") if packaging_repo else cls("tag")
        kind, rest = words[0], words[1:]
        if kind not in TRIGGERS:
            raise UsageError(f"--trigger {kind}: use tag, branch NAME or main")
        if kind == "branch":
            if len(rest) != 1 or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", rest[0]):
                raise UsageError(
                    "--trigger branch needs one branch name, such as --trigger branch pypi-release"
                )
            return cls("branch", rest[0])
        if rest:
            raise UsageError(f"--trigger {kind} takes no name (only --trigger branch NAME does)")
        if kind == "tag" and packaging_repo:
            raise UsageError(
                "a packaging repository releases what changed on a merge: "
                "use --trigger main or --trigger branch NAME"
            )
        if kind == "main" and not packaging_repo:
            raise UsageError(
                "a single package releases on a tag or a branch: use --trigger tag or branch NAME"
            )
        return cls(kind, "main" if kind == "main" else "")

    @property
    def branch_based(self) -> bool:
        return self.kind in ("branch", "main")


@dataclass(frozen=True)
class Context:
    name: str  # the distribution (a single package) or the repository folder (a packaging repository)
    packaging_repo: bool
    tag_pattern: str
    stages: tuple[str, ...]
    pythons: tuple[str, ...]
    ruff: bool
    trigger: Trigger
    install: Install  # what the pipeline installs as shipyard
    feeds: tuple[str, ...] = ()  # stages that are Azure Artifacts feeds (TwineAuthenticate@1 signs in)
    hosts: tuple[str, ...] = ()  # each stage's upload host, in stage order
    compiled: bool = False  # extension modules: wheels from a cibuildwheel matrix (GitHub)
    lint: str = ""  # the lint job's command ([tool.shipyard.ci] lint); "": ruff check, if ruff is set up
    workspace: bool = False  # a workspace's members, released as a packaging repository's packages

    feed_ids: tuple[str, ...] = ()  # each feed's TwineAuthenticate@1 artifactFeed (PROJECT/FEED or FEED)

    def feed_id(self, stage: str) -> str:
        return dict(zip(self.feeds, self.feed_ids, strict=True))[stage]

    @property
    def lint_job(self) -> bool:
        """Whether the pipeline has a lint job: a lint command is given, or ruff is configured."""
        return self.ruff or bool(self.lint)

    @property
    def other_stages(self) -> tuple[str, ...]:
        """The stages that are no Azure Artifacts feed."""
        return tuple(s for s in self.stages if s not in self.feeds)

    @property
    def aliases_note(self) -> str:
        """Which names users may already have set are read too, for the file's header."""
        return ", ".join(f"{' or '.join(n[1:])} (as {t})" for t, n in self.aliased)

    def host(self, stage: str) -> str:
        return dict(zip(self.stages, self.hosts, strict=True)).get(stage, "")

    def credential_env(self, stage: str) -> list[tuple[str, tuple[str, ...]]]:
        """The variables shipyard reads for `stage` -> the names they are taken from, first set
        first: its own name, then the seeds' names for the stage's host."""
        prefix = token_variable(stage).removesuffix("TOKEN")
        seeds = SEED_NAMES.get(self.host(stage), {})
        found = [(prefix + "TOKEN", (prefix + "TOKEN", *seeds.get("TOKEN", ())))]
        found += [(prefix + k, (prefix + k, *v)) for k, v in seeds.items() if k != "TOKEN"]
        return found

    @property
    def aliased(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every stage's variables that other names map to (a script copies the first set one)."""
        return [(t, names) for s in self.stages for t, names in self.credential_env(s) if len(names) > 1]

    @property
    def id_tokens(self) -> dict[str, str]:
        """GitLab id_tokens: variable -> audience, one per PyPI audience the stages need, and
        Sigstore's, with which shipyard signs the PEP 740 attestations it uploads there."""
        auds = [AUDIENCES[h] for h in self.hosts if h in AUDIENCES]
        return {f"{a.upper()}_ID_TOKEN": a for a in [*dict.fromkeys(auds), *(["sigstore"] if auds else [])]}

    @property
    def python(self) -> str:
        """The interpreter of the release jobs: the newest the project supports."""
        return self.pythons[-1]

    @property
    def tag_glob(self) -> str:
        """The tag pattern as a glob for push filters (GitHub, Azure): v{version} -> v[0-9]*."""
        head = self.tag_pattern.split("{version}")[0].replace("{package}", "*")
        return f"{head}[0-9]*"

    @property
    def tag_prefix_glob(self) -> str:
        """The same, with `*` as its only wildcard (Azure's trigger filters know no brackets)."""
        return self.tag_pattern.split("{version}")[0].replace("{package}", "*") + "*"

    @property
    def tag_regex(self) -> str:
        """The tag pattern as an anchored regex with `/` escaped, for GitLab's and Travis's `=~ /.../`."""
        parts = re.split(r"(\{version\}|\{package\})", self.tag_pattern)
        pieces = {"{version}": VERSION_RE, "{package}": PACKAGE_RE}
        body = "".join(pieces.get(p, re.escape(p)) for p in parts)
        return "^" + body.replace("/", r"\/") + "$"

    def release_command(self, tag: str) -> str:
        """The one shell line that releases on this trigger; `tag` is how the CI spells the pushed tag."""
        if self.packaging_repo:
            branch = f" --if-branch {self.trigger.branch}" if self.trigger.branch != "main" else ""
            return f"shipyard release --changed{branch} --push"
        if self.trigger.kind == "branch":
            return f"shipyard release --if-branch {self.trigger.branch}"
        return f'shipyard release --tag "{tag}"'

    def release_step(self, tag: str) -> str:
        """`release_command` as a CI step that fails on any failure: in a packaging repository exit 3
        (nothing changed, as right after the release commit this job pushed) is success."""
        line = self.release_command(tag)
        return f'{line} || [ "$?" -eq 3 ]' if self.packaging_repo else line

    def build_step(self, tag: str) -> str:
        """The release built, checked and test-installed into the runner's own folder index (nothing
        leaves it): what the job without credentials runs, before a job publishes those very files."""
        line = self.release_command(tag).removesuffix(" --push") + " --stages local --dry-run"
        return f'{line} || [ "$?" -eq 3 ]' if self.packaging_repo else line

    def publish_step(self, tag: str, dists: str) -> str:
        """The release of the files the build step made: `--dists` builds nothing and, with
        --no-test-install, runs none of the project's code where the credentials are."""
        line = f"{self.release_command(tag)} --dists {dists} --no-test-install"
        return f'{line} || [ "$?" -eq 3 ]' if self.packaging_repo else line

    @property
    def credential_names(self) -> list[str]:
        """Every variable the file tells users to set that holds a credential (the push token too)."""
        names = [n for s in self.stages for _, found in self.credential_env(s) for n in found]
        return [*dict.fromkeys(names), *(["SHIPYARD_PUSH_TOKEN"] if self.packaging_repo else [])]

    def guard_step(self, fix: str) -> str:
        """A shell line that fails the job before any project code runs when one of the credentials
        reaches it (a CI that gives a variable to every job: scope it, or `fix` says where it goes)."""
        names = " ".join(self.credential_names)
        return (
            f'for v in {names}; do if [ -n "$(printenv "$v")" ]; then '
            f'echo "error: $v reaches a job that runs the project\'s code: {fix}" >&2; exit 1; fi; done'
        )

    @property
    def test_commands(self) -> list[str]:
        """Every push and pull request: build, check and test-install (a packaging repository: each
        changed package, into the runner's own folder index; exit 3 means none changed)."""
        if self.packaging_repo:
            return ['shipyard release --changed --stages local --dry-run || [ "$?" -eq 3 ]']
        return ["shipyard build", "shipyard check", "shipyard test-install"]

    @property
    def token_variables(self) -> dict[str, str]:
        """Stage -> the variable shipyard reads its token from (on Azure, feeds sign in otherwise)."""
        return {s: token_variable(s) for s in self.stages}

    @property
    def stage_prefixes(self) -> list[str]:
        """What a manual run may release to: the stages up to each one, comma-separated."""
        return [",".join(self.stages[: i + 1]) for i in range(len(self.stages))]


def token_variable(stage: str) -> str:
    return f"SHIPYARD_{stage.upper().replace('-', '_')}_TOKEN"


def feed_id(stage: str, upload_url: str) -> str:
    """TwineAuthenticate@1's `artifactFeed` for an Azure Artifacts upload URL: PROJECT/FEED for a
    project-scoped feed (https://pkgs.dev.azure.com/ORG/PROJECT/_packaging/FEED/pypi/upload/),
    FEED for an organization-scoped one (ORG.pkgs.visualstudio.com has no ORG in the path)."""
    parts = urlsplit(upload_url)
    path = [p for p in parts.path.split("/") if p]
    if "_packaging" not in path or path.index("_packaging") + 1 >= len(path):
        raise ConfigError(
            f"the upload-url of '{stage}' is on Azure Artifacts but names no feed: "
            "use https://pkgs.dev.azure.com/ORG/PROJECT/_packaging/FEED/pypi/upload/"
        )
    at = path.index("_packaging")
    scope = path[:at][1:] if (parts.hostname or "") == "pkgs.dev.azure.com" else path[:at]
    return "/".join([*scope, path[at + 1]])


def _ci_stages(cfg: Config, for_ci: bool) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The stages a CI releases to (the runner's own `local` folder is none of them), the Azure
    Artifacts feeds among them, and each stage's upload host. A task runner on a laptop keeps `local`."""
    stages = tuple(s for s in cfg.stages if s != "local" or not for_ci)
    if not stages:
        raise UsageError(
            "the release stages are only 'local' (a folder on the CI runner): set stages = "
            '["testpypi", "pypi"] (or your repositories) in the configuration first'
        )
    hosts = tuple(urlsplit(cfg.repository(s).upload_url).hostname or "" for s in stages)
    feeds = tuple(s for s, h in zip(stages, hosts, strict=True) if h.endswith(AZURE_HOSTS))
    return stages, feeds, hosts


def pythons_for(requires: str | None) -> tuple[str, ...]:
    """The supported CPython minors that `requires-python` admits (all of them when unset)."""
    if not requires:
        return CPYTHON
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        raise ConfigError(f"requires-python {requires!r} is not a valid specifier") from None
    found = tuple(m for m in CPYTHON if any(spec.contains(Version(f"{m}.{p}")) for p in (0, 99)))
    if not found:
        raise ConfigError(
            f"requires-python {requires!r} admits none of CPython {CPYTHON[0]}-{CPYTHON[-1]}: "
            "no test matrix to write"
        )
    return found


def _has_ruff(root: Path, pyproject: dict[str, object]) -> bool:
    tool = pyproject.get("tool")
    return (
        (root / "ruff.toml").is_file()
        or (root / ".ruff.toml").is_file()
        or (isinstance(tool, dict) and "ruff" in tool)
    )


def read(root: Path, trigger: list[str] | None, *, for_ci: bool = True) -> Context:
    """The context of the project at `root` (a packaging repository when shipyard.toml or
    .paa.config is there and no pyproject.toml)."""
    root = root.resolve()
    if layout.is_packaging_repo(root) and not (root / "pyproject.toml").is_file():
        repo = layout.load(root)
        cfg = settings.load(repo, os.environ)
        requires = Meta.requires_python  # assembled packages declare this unless [packages.NAME] says more
        stages, feeds, hosts = _ci_stages(cfg, for_ci)
        return Context(
            hosts=hosts,
            feed_ids=tuple(feed_id(f, cfg.repository(f).upload_url) for f in feeds),
            name=root.name,
            packaging_repo=True,
            tag_pattern=cfg.tag,
            stages=stages,
            feeds=feeds,
            pythons=pythons_for(requires),
            ruff=_has_ruff(root, {}),
            trigger=Trigger.parse(trigger, packaging_repo=True),
            install=choose(repo.table.get("ci"), "[ci] of shipyard.toml", writer_version()),
            lint=lint_command(repo.table.get("ci"), "[ci] of shipyard.toml"),
        )
    pyproject = config.read_pyproject(root)
    if is_workspace(root):  # the packaging repository's pipeline: plan -> matrix per member -> record
        return _workspace(root, pyproject, trigger, for_ci=for_ci)
    cfg = config.load(root, environ=os.environ, pyproject=pyproject)
    project = pyproject.get("project", {})
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{root / 'pyproject.toml'} has no [project] name: the pipeline needs one")
    declared = project.get("requires-python") if isinstance(project, dict) else None
    stages, feeds, hosts = _ci_stages(cfg, for_ci)
    return Context(
        hosts=hosts,
        feed_ids=tuple(feed_id(f, cfg.repository(f).upload_url) for f in feeds),
        name=name,
        packaging_repo=False,
        tag_pattern=cfg.tag,
        stages=stages,
        feeds=feeds,
        pythons=pythons_for(declared if isinstance(declared, str) else None),
        ruff=_has_ruff(root, pyproject),
        trigger=Trigger.parse(trigger, packaging_repo=False),
        install=choose(_ci_table(pyproject), "[tool.shipyard.ci]", writer_version()),
        lint=lint_command(_ci_table(pyproject), "[tool.shipyard.ci]"),
        compiled=is_compiled(root, pyproject),
    )


def _ci_table(pyproject: dict[str, object]) -> object:
    tool = pyproject.get("tool")
    shipyard = tool.get("shipyard") if isinstance(tool, dict) else None
    return shipyard.get("ci") if isinstance(shipyard, dict) else None


def _workspace(
    root: Path, pyproject: dict[str, object], trigger: list[str] | None, *, for_ci: bool
) -> Context:
    """A workspace's context: its members are released as a packaging repository's packages."""
    cfg = workspace_config(root, os.environ)
    stages, feeds, hosts = _ci_stages(cfg, for_ci)
    declared = config.table_at(pyproject, "project").get("requires-python")
    return Context(
        hosts=hosts,
        feed_ids=tuple(feed_id(f, cfg.repository(f).upload_url) for f in feeds),
        name=root.name,
        packaging_repo=True,
        workspace=True,
        tag_pattern=cfg.tag,
        stages=stages,
        feeds=feeds,
        pythons=pythons_for(declared if isinstance(declared, str) else None),
        ruff=_has_ruff(root, pyproject),
        trigger=Trigger.parse(trigger, packaging_repo=True),
        install=choose(_ci_table(pyproject), "[tool.shipyard.ci]", writer_version()),
        lint=lint_command(_ci_table(pyproject), "[tool.shipyard.ci]"),
    )
