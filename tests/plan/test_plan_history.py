"""One log for every new package (issue 25, point 3): the commits a plan counts come from one walk of
HEAD's history, and must be exactly those of the per-package `git log HEAD -- PATHS` it replaces:
folders, renames (as git log reports them without --follow), merges (git's default simplification).
Real git repositories throughout; the git calls of a whole `plan` are counted through a PATH wrapper.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

from shipyard.plan.history import History
from tests.helpers.projects import GIT, ShipyardCLI

SHALLOW = (
    "error: this is a shallow clone without the release tags: fetch the full history "
    "(git fetch --unshallow --tags; actions/checkout: fetch-depth: 0; GitLab: GIT_DEPTH: 0)"
)


class Repo:
    """A real repository whose commits are one second apart (git orders its log by commit date)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 1_700_000_000
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "--initial-branch=main")

    def git(self, *args: str) -> str:
        self.clock += 1
        date = f"@{self.clock} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        done = subprocess.run(
            [*GIT, *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout

    def merge(self, *args: str) -> None:
        """Merge; a conflict git cannot settle is committed as it stands (markers and all)."""
        try:
            self.git("merge", "-q", "--no-ff", *args)
        except subprocess.CalledProcessError:
            self.git("add", "-A")
            self.git("commit", "-q", "--no-edit")

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(text)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)

    def logged(self, *paths: str) -> list[str]:
        return self.git("log", "--format=%H", "HEAD", "--", *paths).split()


def _merge_or_rename(
    repo: Repo, rng: random.Random, names: list[str], branches: list[str], step: int
) -> None:
    roll = rng.random()
    if roll < 0.5 and len(branches) > 1:
        here = repo.git("branch", "--show-current").strip()
        other = rng.choice([b for b in branches if b != here])
        strategy = ["-s", "ours"] if rng.random() < 0.25 else ["-X", "theirs"]
        repo.merge(*strategy, "-m", f"merge {other}", other)
        if rng.random() < 0.3:  # an evil merge: a change only the merge commit makes
            repo.write(rng.choice(names), f"evil {step}\n")
            repo.git("add", "-A")
            repo.git("commit", "-q", "--amend", "--no-edit")
        return
    old = rng.choice([n for n in names if (repo.root / n).exists()])
    if roll < 0.8:
        new = f"moved{step}/{Path(old).name}"
        (repo.root / new).parent.mkdir(parents=True, exist_ok=True)
        repo.git("mv", old, new)
        names.append(new)
        repo.commit(f"rename {old} to {new}")
    else:
        repo.git("rm", "-q", old)
        repo.commit(f"delete {step}")


def _random_history(repo: Repo, rng: random.Random) -> set[str]:
    """Branches, merges (clean, TREESAME to one side, evil), renames, deletions, nested folders;
    every path and folder that ever existed."""
    names = ["a.py", "pkg/x.py", "pkg/sub/y.py", "pkg/sub/z.py", "docs/a/i.md", "b.py", "pkg2/w.py"]
    for name in names:
        repo.write(name, "start\n")
    repo.commit("root")
    branches = ["main"]
    for step in range(36):
        roll = rng.random()
        if roll < 0.15:
            branches.append(f"b{step}")
            repo.git("checkout", "-q", "-b", branches[-1], rng.choice(branches[:-1]))
        elif roll < 0.42:
            _merge_or_rename(repo, rng, names, branches, step)
        else:
            for name in rng.sample(names, rng.randint(1, 2)):
                repo.write(name, f"change {step}\n")
            repo.commit(f"change {step}")
        if rng.random() < 0.2:
            repo.git("checkout", "-q", rng.choice(branches))
    repo.git("checkout", "-q", "main")
    for other in branches[1:]:
        repo.merge("-X", "theirs", "-m", f"merge {other}", other)
    everything = {
        f for f in repo.git("log", "--format=", "--name-only", "--no-renames", "--all").split() if f
    }
    return everything | {str(p) for f in everything for p in Path(f).parents if str(p) != "."}


def test_one_walk_gives_each_paths_git_log(tmp_path: Path) -> None:
    for seed in range(3):
        repo = Repo(tmp_path / f"r{seed}")
        paths = sorted(_random_history(repo, random.Random(seed)))  # noqa: S311 (a seeded history)
        assert int(repo.git("rev-list", "--merges", "--count", "HEAD")) >= 3
        history = History.read(repo.root).batched(repo.root)
        rng = random.Random(seed)  # noqa: S311
        asked = [[p] for p in paths] + [rng.sample(paths, 2) for _ in range(20)] + [["."], ["nowhere"]]
        for spec in asked:
            got = [e.sha for e in history.log(None, spec)]
            assert got == repo.logged(*spec), spec


def test_a_packaging_repository_in_a_subfolder(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "mono")
    repo.write("README", "top\n")
    repo.write("ppr/modules/one.py", "x = 1\n")
    repo.commit("first")
    repo.write("ppr/modules/one.py", "x = 2\n")
    repo.write("ppr/modules/two.py", "y = 2\n")
    repo.commit("second")
    history = History.read(repo.root / "ppr").batched(repo.root)
    for spec in (["modules/one.py"], ["modules"], ["."], ["modules/two.py", "modules/one.py"]):
        with_git = subprocess.run(
            [*GIT, "log", "--format=%H", "HEAD", "--", *spec],
            cwd=repo.root / "ppr",
            capture_output=True,
            text=True,
        ).stdout.split()
        assert [e.sha for e in history.log(None, spec)] == with_git


# ---------------------------------------------------------------- through the CLI


def _packaging_repo(root: Path) -> Repo:
    """A module folder, a component two packages import, a commit touching two packages, renames,
    and merges of side branches."""
    repo = Repo(root)
    repo.write("shipyard.toml", 'stages = ["local"]\n')
    repo.write("modules/components/shared.py", "def shared() -> int:\n    return 1\n")
    repo.write("modules/alpha.py", '"""Alpha."""\n\nfrom components.shared import shared\n\n\nA = shared()\n')
    repo.write("modules/beta.py", '"""Beta."""\n\nfrom components.shared import shared\n\n\nB = shared()\n')
    repo.write("modules/geo/__init__.py", '"""Geo, a module folder."""\n\nfrom geo.area import area\n')
    repo.write("modules/geo/area.py", "def area(w: int, h: int) -> int:\n    return w * h\n")
    repo.write("modules/gamma_old.py", '"""Gamma."""\n\nG = 1\n')
    repo.commit("feat: first packages")
    repo.write("modules/alpha.py", "A2 = 2\n")
    repo.write("modules/beta.py", "B2 = 2\n")
    repo.commit("fix: alpha and beta together")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("modules/geo/area.py", "\n\ndef square(s: int) -> int:\n    return s * s\n")
    repo.write("modules/components/shared.py", "\n\ndef more() -> int:\n    return 2\n")
    repo.commit("feat: square areas")
    repo.git("checkout", "-q", "main")
    repo.write("modules/alpha.py", "A3 = 3\n")
    repo.commit("fix: alpha on main")
    repo.git("merge", "-q", "--no-ff", "-m", "fix: merge side", "side")
    repo.git("mv", "modules/gamma_old.py", "modules/gamma.py")
    repo.commit("refactor: rename gamma")
    repo.git("checkout", "-q", "-b", "side2")
    repo.write("tests/beta/test_beta.py", "def test_b() -> None:\n    assert True\n")
    repo.commit("test: beta")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "chore: merge side2", "side2")
    for n in range(40):  # many new packages, for the count of git calls
        repo.write(f"modules/many_{n:02d}.py", f'"""Many {n}."""\n\nN = {n}\n')
    repo.commit("feat: many packages")
    return repo


def _plans(shipyard: ShipyardCLI, root: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    run = shipyard("plan", "--json", "-C", str(root), env=env)
    assert run.code == 0, run.text
    return {p["name"]: p["plan"] for p in json.loads(run.out)["packages"]}


def test_plan_counts_the_commits_git_log_gives_each_package(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    repo = _packaging_repo(tmp_path / "ppr")
    plans = _plans(shipyard, repo.root)
    assert len(plans) == 44
    own = {
        "alpha": ["modules/alpha.py"],
        "beta": ["modules/beta.py", "tests/beta"],
        "geo": ["modules/geo"],
        "gamma": ["modules/gamma.py"],
        "many-07": ["modules/many_07.py"],
    }
    for name, paths in own.items():
        expected = repo.logged(*paths)
        plan = plans[name]
        assert plan["commits_since"] == len(expected), name
        found = [c["commit"] for c in plan["changes"]]
        assert found[-1] == expected[-1]  # "(files changed)": the oldest commit
        assert found[:-1] == expected, name  # every message is a conventional one: each is a change
    assert plans["alpha"]["commits_since"] == 3  # first, alpha and beta together, alpha on main
    assert plans["geo"]["commits_since"] == 2  # the side branch's commit, through the merge
    assert plans["gamma"]["commits_since"] == 1  # no --follow: the rename adds modules/gamma.py


def _counting_git(folder: Path, log: Path) -> dict[str, str]:
    """A `git` first on PATH that logs each call's arguments, then runs the real git."""
    real = shutil.which("git")
    assert real is not None
    folder.mkdir()
    script = folder / "git"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}


def test_plan_asks_git_a_bounded_number_of_times(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    repo = _packaging_repo(tmp_path / "ppr")
    log = tmp_path / "git-calls.log"
    plans = _plans(shipyard, repo.root, env=_counting_git(tmp_path / "bin", log))
    calls = log.read_text().splitlines()
    assert len(plans) == 44
    assert sum("--is-shallow-repository" in c for c in calls) == 1
    assert sum(c.startswith("log ") for c in calls) == 1, calls
    assert len(calls) <= 12, calls  # the same bound with 44 packages as with one


def test_shallow_clone_refused_once(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    repo = _packaging_repo(tmp_path / "ppr")
    clone = tmp_path / "shallow"
    subprocess.run(
        [*GIT, "clone", "-q", "--depth", "1", repo.root.as_uri(), str(clone)], check=True, capture_output=True
    )
    log = tmp_path / "git-calls.log"
    run = shipyard("plan", "-C", str(clone), env=_counting_git(tmp_path / "bin", log))
    assert run.code == 2
    assert run.err.strip().splitlines() == [SHALLOW]
    assert sum("--is-shallow-repository" in c for c in log.read_text().splitlines()) == 1
