"""The project's code never meets a credential (issue 21, point 1): every kind of child process a
release starts (the build backend and its hook, the package imported by test-install and verify, the
project's tests, git's hooks, uv building a dependency during test-install and verify) writes its
environment to a folder outside the project; no value of a credential is in any of them, whatever
the variable holding it is called. `pass-env` lets a named, harmless variable through, never a
credential's value."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.helpers.indexes import start_pypiserver
from tests.helpers.packrepo import example_repo
from tests.helpers.projects import Run, ShipyardCLI, commit, git, make_project, repositories_toml, tag

pytestmark = pytest.mark.integration

PASSWORD = "Xq81-upload-7c2e9d40b5a3"  # the stage's login, read by shipyard
OTHER = "Vn42-unread-0d8f3a7e61c9"  # UV_PUBLISH_TOKEN's: not this stage's, a credential by its name
GITLAB = "k3L9mQ2pR7sT1vW8xY4z"  # GitLab's token without its glpat- prefix
SECRETS = {
    "SHIPYARD_STAGING_USERNAME": "uploader",
    "SHIPYARD_STAGING_PASSWORD": PASSWORD,
    "MY_RANDOM_NAME": PASSWORD,  # a name no list knows, holding the value shipyard uses
    "PIP_SNEAKY": PASSWORD,  # a name in an allowed family (pip's settings)
    "PYTHON_DEPLOY_LOGIN": PASSWORD,
    "UV_PUBLISH_TOKEN": OTHER,
    "ALIAS_OF_UV": OTHER,
    "PROD_PYPI_TOKEN": "Lm5-prod-2b7d9e1f4a6c8e0a",
    "TEST_PYPI_TOKEN": "pypi-AgEIcHlwaS5vcmcCJGRlYWRiZWVmLXRlc3Q",
    "GITHUB_TOKEN": "ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH3jK5",
    "GITLAB_TOKEN": GITLAB,
    "CI_VARIABLE_COPY": GITLAB,
    "SOME_OIDC": "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJweXBpIn0.c2lnbmF0dXJl",
    "UV_CONFIG_LOOKALIKE": "ghs_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp",
}
VALUES = {v for k, v in SECRETS.items() if k != "SHIPYARD_STAGING_USERNAME"}

# each probe writes {"env", "cwd", "parent"} to DUMPS/<kind>-<random>.json
DUMP = """\
import json as _j, os as _o, uuid as _u
def _dump(kind):
    try:
        parent = open(f"/proc/{_o.getppid()}/cmdline", "rb").read().replace(b"\\0", b" ").decode()
    except OSError:
        parent = ""
    doc = {"env": dict(_o.environ), "cwd": _o.getcwd(), "parent": parent}
    with open(_o.path.join(%r, f"{kind}-{_u.uuid4().hex}.json"), "w") as f:
        f.write(_j.dumps(doc))
"""

HOOK = """\
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

class DumpHook(BuildHookInterface):
    def initialize(self, version, build_data):
        _dump("build-hook")
"""

BACKEND = """\
import base64, hashlib, os, zipfile

def _record(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _dump("uv-build")
    name = "probe_dep-1.0-py3-none-any.whl"
    files = {
        "probe_dep/__init__.py": b"",
        "probe_dep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: probe-dep\\nVersion: 1.0\\n",
        "probe_dep-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: probe\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    lines = [f"{p},{_record(d)}" for p, d in files.items()] + ["probe_dep-1.0.dist-info/RECORD,,"]
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for p, d in files.items():
            z.writestr(p, d)
        z.writestr("probe_dep-1.0.dist-info/RECORD", "\\n".join(lines) + "\\n")
    return name
"""

GIT_HOOKS = ("pre-push", "reference-transaction", "post-checkout", "pre-commit", "post-commit", "post-merge")


def _probe_dep(folder: Path, dumps: Path) -> Path:
    """An sdist only uv can build (an in-tree backend, no requirements): uv runs it, as it would run
    a dependency's setup.py, with the environment shipyard gave uv."""
    path = folder / "probe_dep-1.0.tar.gz"
    members = {
        "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        '[project]\nname = "probe-dep"\nversion = "1.0"\n',
        "PKG-INFO": "Metadata-Version: 2.1\nName: probe-dep\nVersion: 1.0\n",
        "backend.py": DUMP % str(dumps) + BACKEND,
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(f"probe_dep-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _probing_project(tmp_path: Path, server_toml: str, dumps: Path, extra_tool: str = "") -> Path:
    """tiny-pkg whose build hook, package import and tests dump their environment, with git hooks
    doing the same and a remote to push to; it depends on probe-dep (built by uv)."""
    dep = _probe_dep(tmp_path, dumps)
    tool = f'[tool.shipyard]\nstages = ["staging"]\n{extra_tool}\n' + server_toml
    tool += "\n[tool.hatch.build.hooks.custom]\n\n[tool.hatch.metadata]\nallow-direct-references = true\n"
    root = make_project(tmp_path / "proj", tool=tool)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'requires-python = ">=3.9"',
            f'requires-python = ">=3.9"\ndependencies = ["probe-dep @ {dep.as_uri()}"]',
        )
    )
    probe = DUMP % str(dumps)
    (root / "hatch_build.py").write_text(probe + HOOK)
    init = root / "src" / "tiny_pkg" / "__init__.py"
    init.write_text(probe + '_dump("import")\n' + init.read_text())
    test = root / "tests" / "test_tiny_pkg.py"
    test.write_text(probe + test.read_text() + '\n\ndef test_environment():\n    _dump("tests")\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "chore: probes")
    tag(root, "v1.0.0")
    commit(root, "feat: more", path="src/tiny_pkg/__init__.py")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    for name in GIT_HOOKS:
        hook = root / ".git" / "hooks" / name
        hook.write_text(f'#!/bin/sh\ncat > /dev/null\nenv > "{dumps}/git-{name}-$$.env"\nexit 0\n')
        hook.chmod(0o755)
    return root


def _dumps(folder: Path) -> dict[str, list[str]]:
    """Each dump's text, by kind (verify's import and uv builds told apart by the process above)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.iterdir()):
        text = path.read_text()
        kind = path.name.rsplit("-", 1)[0]
        if path.suffix == ".json":
            doc = json.loads(text)
            where = f"{doc['cwd']} {doc['parent']}"
            if kind in ("import", "uv-build") and "shipyard-verify-" in where:
                kind += " (verify)"
        found.setdefault(kind, []).append(text)
    return found


def _release(
    shipyard: ShipyardCLI,
    tmp_path: Path,
    extra_tool: str = "",
    env: dict[str, str] | None = None,
    secrets: dict[str, str] = SECRETS,
) -> tuple[Run, dict[str, list[str]]]:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (tmp_path / "server").mkdir()
    with start_pypiserver(tmp_path / "server", users={"uploader": PASSWORD}) as server:
        root = _probing_project(tmp_path, repositories_toml(staging=server), dumps, extra_tool)
        run = shipyard(
            "release", "--bump", "--push", "-C", str(root), env={**secrets, "UV_NO_CACHE": "1", **(env or {})}
        )
    assert run.code == 0, run.text
    assert git(tmp_path / "remote.git", "tag", "--list") == "v1.1.0\n"  # pushed
    return run, _dumps(dumps)


@pytest.mark.parametrize("push_token", [False, True], ids=["no-push-token", "GITHUB_TOKEN"])
def test_no_child_process_of_a_release_sees_a_credential_whatever_its_name(
    shipyard: ShipyardCLI, tmp_path: Path, push_token: bool
) -> None:
    secrets = {k: v for k, v in SECRETS.items() if push_token or k != "GITHUB_TOKEN"}
    run, dumps = _release(shipyard, tmp_path, secrets=secrets)

    expected = {
        "build-hook",
        "import",
        "tests",
        "uv-build",
        "import (verify)",
        "uv-build (verify)",
        "git-reference-transaction",
    }
    assert expected <= set(dumps), sorted(dumps)
    # a push that holds a CI's token (for the workflow's credential helper) runs no hook at all
    assert ("git-pre-push" in dumps) is not push_token, sorted(dumps)
    for kind, texts in dumps.items():
        for text in texts:
            leaked = sorted(v for v in VALUES if v in text)
            assert not leaked, f"{kind} saw {leaked}"
    # the children still get what they need to run: the release went through, with PATH and HOME
    tests_env = json.loads(dumps["tests"][0])["env"]
    assert "PATH" in tests_env and "HOME" in tests_env
    assert not any(v in run.text for v in VALUES)


def test_pass_env_lets_a_named_variable_through_but_never_a_credentials_value(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    named = '"HARMLESS_SETTING", "MY_RANDOM_NAME", "SOME_OIDC", "GITHUB_TOKEN"'
    _, dumps = _release(
        shipyard, tmp_path, extra_tool=f"pass-env = [{named}]", env={"HARMLESS_SETTING": "blue-42"}
    )

    for kind in ("build-hook", "tests", "import (verify)", "uv-build (verify)", "git-reference-transaction"):
        text = dumps[kind][0]
        assert "HARMLESS_SETTING" in text and "blue-42" in text, kind
        # named, but holding the upload password, a JWT, the forge's token: never passed
        assert "MY_RANDOM_NAME" not in text and PASSWORD not in text, kind
        assert "SOME_OIDC" not in text and SECRETS["SOME_OIDC"] not in text, kind
        assert SECRETS["GITHUB_TOKEN"] not in text, kind
    env = json.loads(dumps["tests"][0])["env"]
    assert env["HARMLESS_SETTING"] == "blue-42"


def test_pass_env_names_only_variable_names(shipyard: ShipyardCLI, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    run = shipyard("build", "--pass-env", "GOOD,not a name", "-C", str(root))
    assert run.code == 2, run.text
    said = "error: option '--pass-env': 'not a name' is not an environment variable name (letters, digits, _)"
    assert run.err.strip() == said


# every Python child (not shipyard itself) dumps its environment as it starts: PYTHONPATH passes
SITECUSTOMIZE = """\
import sys as _s
_cmd = open("/proc/self/cmdline", "rb").read().split(b"\\0")
if b"shipyard" not in _cmd and any(b"mkdocs" in part for part in _cmd):
    _dump("mkdocs")
"""


def test_mkdocs_building_a_packaging_repositorys_site_sees_no_credential(
    shipyard: ShipyardCLI, tmp_path: Path
) -> None:
    dumps, probe = tmp_path / "dumps", tmp_path / "probe"
    dumps.mkdir()
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(DUMP % str(dumps) + SITECUSTOMIZE)
    root = example_repo(tmp_path)

    run = shipyard(
        "assemble",
        "greetings",
        "--docs",
        "--build",
        "-C",
        str(root),
        env={**SECRETS, "PYTHONPATH": str(probe)},
    )

    assert run.code == 0, run.text
    found = _dumps(dumps)
    assert list(found) == ["mkdocs"], sorted(found)
    for text in found["mkdocs"]:
        assert not sorted(v for v in VALUES if v in text)
