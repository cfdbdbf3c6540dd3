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


PYPIRC = """\
[distutils]
index-servers =
    corp
    pypi
    bare
    team

[corp]
repository = http://127.0.0.1:8080/
username = me
password = not-read-here

[pypi]
repository = https://elsewhere.example/legacy/

[bare]
username = me

[team]
repository = https://pkgs.example/team/uploads
simple_url = https://pkgs.example/team/pages/
ca_cert = ~/certs/ca.pem

[unlisted]
repository = https://unlisted.example/legacy/
"""


def test_pypirc_declares_repositories_by_name_as_twine_reads_them(tmp_path: Path) -> None:
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(PYPIRC)
    c = load(tmp_path, pyproject=BASE, environ={"SHIPYARD_PYPIRC": str(pypirc), "HOME": str(tmp_path)})
    corp = c.repository("corp")  # pypiserver's layout: uploads at its root, pages at /simple/
    assert (corp.upload_url, corp.simple_url, corp.needs_auth) == (
        "http://127.0.0.1:8080/",
        "http://127.0.0.1:8080/simple/",
        True,
    )
    team = c.repository("team")  # no known layout: shipyard's own simple_url key; twine's ca_cert
    assert team.simple_url == "https://pkgs.example/team/pages/"
    assert team.cert == Path.home() / "certs" / "ca.pem"  # ~ expanded, as twine does
    # the built-ins stay what they are: a .pypirc [pypi] elsewhere does not move `--to pypi`
    assert c.repository("pypi").upload_url == "https://upload.pypi.org/legacy/"
    with pytest.raises(ConfigError, match=r"pypirc \[bare\] has no repository: add repository = URL"):
        c.repository("bare")
    # twine's rule: a section index-servers does not list is no repository
    with pytest.raises(
        ConfigError, match=r"unknown repository 'unlisted' \(known: bare, corp, local, pypi, team"
    ):
        c.repository("unlisted")


def test_the_projects_table_wins_over_pypirc_and_a_config_alone_reads_none(tmp_path: Path) -> None:
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(PYPIRC)
    table: dict[str, object] = {"repositories": {"corp": {"upload-url": "https://devpi.example/me/prod/"}}}
    env = {"SHIPYARD_PYPIRC": str(pypirc)}
    declared = cfg(table, environ=env).repository("corp")  # type: ignore[attr-defined]
    assert declared.simple_url == "https://devpi.example/me/prod/+simple/"  # devpi's layout
    with pytest.raises(ConfigError, match=r"or in \.pypirc"):
        cfg({}).repository("corp")  # type: ignore[attr-defined]  # no environ: the file's config alone


def test_azure_pypirc_path_is_read_before_the_home_one(tmp_path: Path) -> None:
    azure, home = tmp_path / "azure.pypirc", tmp_path / "home"
    home.mkdir()
    azure.write_text(
        "[distutils]\nindex-servers = feed\n[feed]\nrepository = https://az.example/o/_packaging/f/pypi/upload/\n"
    )
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers = feed\n[feed]\nrepository = https://home.example/legacy/\n"
    )
    env = {"PYPIRC_PATH": str(azure), "HOME": str(home)}
    with pytest.raises(ConfigError, match=r"azure.pypirc \[feed\] needs simple_url: the simple index URL of"):
        load(tmp_path, pyproject=BASE, environ=env).repository("feed")
    azure.write_text(azure.read_text() + "simple_url = https://az.example/o/_packaging/f/pypi/simple/\n")
    feed = load(tmp_path, pyproject=BASE, environ=env).repository("feed")
    assert feed.upload_url.startswith("https://az.example/")
    del env["PYPIRC_PATH"]
    assert (
        load(tmp_path, pyproject=BASE, environ=env).repository("feed").simple_url
        == "https://home.example/simple/"
    )
