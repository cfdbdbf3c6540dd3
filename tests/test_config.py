from __future__ import annotations

import re
from pathlib import Path

import pytest

from shipyard.config import load
from shipyard.errors import ConfigError

BASE = {"project": {"name": "x"}}


def cfg(table: dict[str, object], **kw: object) -> object:
    return load(Path("/tmp/p"), pyproject={**BASE, "tool": {"shipyard": table}}, **kw)  # type: ignore[arg-type]


def test_defaults_release_to_the_local_index() -> None:
    c = load(Path("/tmp/p"), pyproject=BASE)
    assert c.stages == ("local",)
    assert c.tag == "v{version}"
    local = c.repository("local")
    assert local.is_local and not local.needs_auth
    assert local.simple_url == "file:///tmp/p/.shipyard/index/simple/"
    assert c.repository("pypi").public and c.repository("testpypi").public


def test_declared_repository_and_precedence_flag_over_env_over_file() -> None:
    table = {
        "stages": ["staging", "pypi"],
        "verify-timeout": 5,
        "repositories": {
            "staging": {"upload-url": "http://127.0.0.1:8080/", "simple-url": "http://127.0.0.1:8080/simple"}
        },
    }
    c = cfg(
        table,
        environ={"SHIPYARD_VERIFY_TIMEOUT": "7", "SHIPYARD_STAGES": "local"},
        flags={"stages": "staging"},
    )
    assert c.stages == ("staging",)  # type: ignore[attr-defined]
    assert c.verify_timeout == 7.0  # type: ignore[attr-defined]
    staging = c.repository("staging")  # type: ignore[attr-defined]
    assert staging.simple_url == "http://127.0.0.1:8080/simple/" and not staging.public


def test_legacy_upload_url_gives_the_simple_url() -> None:
    c = cfg({"repositories": {"corp": {"upload-url": "https://pypi.corp.example/legacy/"}}})
    assert c.repository("corp").simple_url == "https://pypi.corp.example/simple/"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"stagess": ["pypi"]}, "unknown key 'stagess' in [tool.shipyard]"),
        ({"stages": []}, "option 'stages' names no repository"),
        ({"stages": "pypi,,"}, None),
        ({"tag": "release"}, "option 'tag' must be a pattern containing {version}"),
        ({"verify-timeout": "soon"}, "option 'verify-timeout' must be a number of seconds"),
        ({"test-install": "maybe"}, "option 'test-install' must be true or false"),
        ({"repositories": {"x": {"upload-url": "ftp://h/"}}}, "upload-url 'ftp://h/' is not an http(s) URL"),
        ({"repositories": {"x": {"upload-url": "https://h/up"}}}, "needs simple-url"),
        ({"repositories": {"x": {"upload-url": "https://u:pw@h/legacy/"}}}, "must not carry a password"),
        ({"repositories": {"x": {"upload": "https://h/legacy/"}}}, "unknown key 'upload'"),
        ({"repositories": {"x": {"upload-url": "https://h/legacy/", "auth": "maybe"}}}, "auth must be"),
    ],
)
def test_bad_configuration_is_one_clear_error(table: dict[str, object], message: str | None) -> None:
    if message is None:
        assert cfg(table).stages == ("pypi",)  # type: ignore[attr-defined]
        return
    with pytest.raises(ConfigError) as err:
        cfg(table)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_unknown_repository_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown repository 'prod' \(known: local, pypi, testpypi\)"):
        cfg({}).repository("prod")  # type: ignore[attr-defined]


def test_malformed_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.shipyard\n")
    with pytest.raises(ConfigError, match=r"is not valid TOML"):
        load(tmp_path)
    with pytest.raises(ConfigError, match=r"no pyproject\.toml"):
        load(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"tag": "release"}, "must be a pattern containing {version}"),
        ({"tag": "{name}-{version}"}, "must hold {version} once, and may hold {package}"),
        ({"tag": "v {version}"}, "would not make a valid git tag name"),
        ({"version-source": "pyproject"}, "'version-source' must be one of tag, project"),
        ({"commit-parser": "angular"}, "'commit-parser' must be one of both, conventional, paa"),
        ({"major-on-zero": "maybe"}, "'major-on-zero' must be true or false"),
        ({"remote": ""}, "'remote' must be a non-empty string"),
    ],
)
def test_versioning_options_are_validated(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        cfg(table)


def test_versioning_defaults_and_changelog_switch() -> None:
    c = load(Path("/tmp/p"), pyproject=BASE)
    assert (c.version_source, c.commit_parser, c.major_on_zero, c.remote) == ("tag", "both", False, "origin")
    assert c.changelog == Path("/tmp/p/CHANGELOG.md")
    assert cfg({"changelog": ""}).changelog is None  # type: ignore[attr-defined]
    assert cfg({"changelog": "docs/CHANGES.md"}).changelog == Path("/tmp/p/docs/CHANGES.md")  # type: ignore[attr-defined]
