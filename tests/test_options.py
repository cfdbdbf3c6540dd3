"""Each option is declared once (shipyard.options); these walk the declarations to prove that the
file, the environment, the flags, Config and --help all follow from them."""

from __future__ import annotations

import argparse
import re
from dataclasses import fields
from pathlib import Path

import pytest

from shipyard import config
from shipyard.cli import parser
from shipyard.cli.common import option_values
from shipyard.config import Config, load
from shipyard.errors import ConfigError
from shipyard.options import OPTIONS, Kind, Option
from shipyard.tools.network import Network

ROOT = Path("/tmp/p")
BASE = {"project": {"name": "x"}}
# the hand-written page that says more about each option than the generated reference
CONFIGURATION = Path(__file__).resolve().parent.parent / "docs" / "guides" / "configuration.md"

# per kind: a value for the file, the environment and the flag, each unlike the one before
SAMPLES: dict[Kind, tuple[object, str, str]] = {
    Kind.SECONDS: (5, "7", "9"),
    Kind.POSITIVE_SECONDS: (5.5, "7", "9"),
    Kind.COUNT: (5, "7", "9"),
    Kind.TEXT: ("a", "b", "c"),
    Kind.OPTIONAL_TEXT: ("a", "b", "c"),
    Kind.STAGES: (["a", "b"], "b", "c,a"),
    Kind.TAG: ("r{version}", "s/{version}", "{package}-t{version}"),
    Kind.PATH: ("a", "b", "c"),
    Kind.OPTIONAL_PATH: ("a.md", "b.md", "c.md"),
    Kind.PROJECT_FILE: ("a.md", "b.md", "c.md"),
    Kind.PATTERNS: (["a.pem", "tests/*.key"], "b", "c,a"),
    Kind.ASSIGNMENTS: (["docs/conf.py:release", "m.py:VERSION"], "a.py:V", "b.py:X,c/d.py:Y"),
    Kind.NAMES: (["A_B", "C"], "D", "E,F_1"),
    Kind.PUBLISHER: ("github:o/r@release.yml", "gitlab:g/sub/p@.gitlab-ci.yml", "github:a/b@c.yml"),
}


def samples(option: Option) -> tuple[object, str, str]:
    if option.kind is Kind.SWITCH:  # two values only: off, on, off again (or the other way round)
        flipped = not option.default
        return flipped, str(option.default).lower(), str(flipped).lower()
    if option.kind is Kind.CHOICE:
        first, second = option.choices[1], option.choices[0]
        return first, second, first
    return SAMPLES[option.kind]


def expected(option: Option, raw: object) -> object:
    """What the Config field holds for `raw`, written out by kind (not by config's parsers)."""
    if option.kind is Kind.SWITCH:
        return raw in (True, "true")
    if option.kind in (Kind.SECONDS, Kind.POSITIVE_SECONDS):
        return float(str(raw))
    if option.kind is Kind.COUNT:
        return int(str(raw))
    if option.kind in (Kind.STAGES, Kind.PATTERNS, Kind.NAMES):
        return tuple(raw) if isinstance(raw, list | tuple) else tuple(str(raw).split(","))
    if option.kind is Kind.ASSIGNMENTS:
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(tuple(str(i).split(":")) for i in items)
    if option.kind in (Kind.OPTIONAL_PATH, Kind.PROJECT_FILE) and raw == "":
        return None
    if option.kind in (Kind.PATH, Kind.OPTIONAL_PATH, Kind.PROJECT_FILE):
        return (ROOT / str(raw)).resolve()
    return raw


def value(cfg: Config, option: Option) -> object:
    return getattr(cfg.network if option.network else cfg, option.field)


def flags_from_cli(option: Option, raw: str) -> dict[str, object] | None:
    """The flags config.load gets when `raw` is given on the command line of the first command
    that has the option's flag; None when no command has it."""
    argv = [option.flag] if option.kind is Kind.SWITCH else [option.flag, raw]
    for command in ("release", "publish"):
        args, unknown = parser().parse_known_args([command, *argv])
        if not unknown:
            return option_values(args)
    return None


def release_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        parser().parse_args(["release", "--help"])
    return capsys.readouterr().out


def test_config_has_one_field_per_option_and_network_the_rest() -> None:
    own = [f.name for f in fields(Config) if f.name not in ("root", "repositories", "network", "pypirc")]
    assert own == [o.field for o in OPTIONS.values() if not o.network]
    assert [f.name for f in fields(Network)] == [o.field for o in OPTIONS.values() if o.network]
    assert load(ROOT, pyproject=BASE).network == Network()  # the declared defaults are Network's


@pytest.mark.parametrize("option", OPTIONS.values(), ids=list(OPTIONS))
def test_option_round_trips_with_flag_over_env_over_file(option: Option) -> None:
    in_file, in_env, on_cli = samples(option)
    pyproject = {**BASE, "tool": {"shipyard": {option.key: in_file}}}
    environ = {option.env: in_env}
    flags = flags_from_cli(option, on_cli)
    if flags is None:  # an option without a flag: config.load's flags by key, as the CLI passes them
        flags = {option.key: on_cli}
    assert list(flags) == [option.key]

    assert value(load(ROOT, pyproject=BASE), option) == expected(option, option.default)
    assert value(load(ROOT, pyproject=pyproject), option) == expected(option, in_file)
    assert value(load(ROOT, pyproject=pyproject, environ=environ), option) == expected(option, in_env)
    cfg = load(ROOT, pyproject=pyproject, environ=environ, flags=flags)
    assert value(cfg, option) == expected(option, on_cli)


def test_release_help_names_every_option_and_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    text = release_help(capsys)
    for option in OPTIONS.values():
        assert f"[env: {option.env}" in " ".join(text.split()), option.key
        has_flag = flags_from_cli(option, samples(option)[2]) is not None
        assert has_flag or re.search(rf"^  {option.key} \(default: ", text, re.MULTILINE), option.key


def test_flags_are_absent_from_the_namespace_unless_given() -> None:
    args = parser().parse_args(["release", "--timeout", "3", "--no-test-install"])
    assert option_values(args) == {"verify-timeout": 3.0, "test-install": False}
    assert option_values(parser().parse_args(["release"])) == {}
    assert isinstance(args, argparse.Namespace)


def test_a_bad_flag_value_is_named_by_its_flag() -> None:
    flags = option_values(parser().parse_args(["plan", "--tag-pattern", "release"]))
    with pytest.raises(ConfigError, match=r"option '--tag-pattern' must be a pattern containing \{version\}"):
        load(ROOT, pyproject=BASE, flags=flags)


def test_unknown_key_lists_the_declared_ones() -> None:
    with pytest.raises(ConfigError) as err:
        load(ROOT, pyproject={**BASE, "tool": {"shipyard": {"stagess": []}}})
    assert f"(known: {', '.join([*sorted(OPTIONS), 'repositories', 'ci', 'workspace'])})" in str(err.value)
    assert "unknown key 'stagess' in [tool.shipyard], did you mean stages? (known" in str(err.value)
    with pytest.raises(
        ConfigError,
        match=r"unknown key 'stagez' in shipyard\.toml, did you mean stages\? \(known: .*, layout, packages\)",
    ):
        config.from_table(ROOT, {"stagez": 1}, where="shipyard.toml", also_known=("layout", "packages"))


def test_configuration_page_lists_every_option_with_its_default() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") : text.index("Repositories: ")]
    rows = re.findall(r"^\| `([a-z-]+)` \| `([^`]*)` \|", section, re.MULTILINE)
    assert sorted(key for key, _ in rows) == sorted(OPTIONS)
    for key, default in rows:
        option = OPTIONS[key]
        shown = f'["{option.shown()}"]' if option.kind is Kind.STAGES else option.shown()
        assert default.strip('"') == shown, key
