"""Versions, tag patterns and commit-message parsers: pure functions, checked rule by rule."""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from shipyard.errors import ConfigError, UsageError
from shipyard.plan.commits import Commit, changes, conventional, paa
from shipyard.plan.versions import Bump, TagPattern, bumped, parse_version, pre_release, released


def c(subject: str, body: str = "") -> Commit:
    return Commit("0123456789abcdef", subject, body)


@pytest.mark.parametrize(
    ("base", "bump", "expected"),
    [
        ("1.2.3", Bump.PATCH, "1.2.4"),
        ("1.2.3", Bump.MINOR, "1.3.0"),
        ("1.2.3", Bump.MAJOR, "2.0.0"),
        ("1.2", Bump.PATCH, "1.2.1"),
        ("1.2.3rc1", Bump.PATCH, "1.2.4"),
        ("0.4.2", Bump.MAJOR, "0.5.0"),  # 0.x: a breaking change bumps the minor
        ("0.4.2", Bump.MINOR, "0.5.0"),
        ("0.4.2", Bump.PATCH, "0.4.3"),
        ("1!2.0.0", Bump.MINOR, "1!2.1.0"),
        ("1.2.3", Bump.NONE, "1.2.3"),
    ],
)
def test_bump_rules(base: str, bump: Bump, expected: str) -> None:
    assert bumped(Version(base), bump) == Version(expected)


def test_major_on_zero_moves_to_one() -> None:
    assert bumped(Version("0.4.2"), Bump.MAJOR, major_on_zero=True) == Version("1.0.0")


def test_pre_releases_count_up_per_kind_and_target() -> None:
    tagged = [Version(v) for v in ("1.3.0rc1", "1.3.0rc2", "1.3.0b1", "1.2.0rc7", "1.3.0.dev1")]
    assert pre_release(Version("1.3.0"), "rc", tagged) == Version("1.3.0rc3")
    assert pre_release(Version("1.3.0"), "beta", tagged) == Version("1.3.0b2")
    assert pre_release(Version("1.3.0"), "a", tagged) == Version("1.3.0a1")
    assert pre_release(Version("1.3.0"), "dev", tagged) == Version("1.3.0.dev2")
    assert pre_release(Version("2.0.0"), "rc", tagged) == Version("2.0.0rc1")
    with pytest.raises(UsageError, match="use one of a, b, rc or dev"):
        pre_release(Version("1.3.0"), "gamma", tagged)


@pytest.mark.parametrize("text", ["foo", "1.2.3-beta.1+x y", "v", "1..2", ""])
def test_invalid_pep440_is_refused_with_its_origin(text: str) -> None:
    with pytest.raises(UsageError, match=r"tag v-something: .* is not a valid PEP 440 version"):
        parse_version(text, "tag v-something:")


@pytest.mark.parametrize(
    ("pattern", "tag", "package", "version"),
    [
        ("v{version}", "v1.2.3", "pkg", "1.2.3"),
        ("v{version}", "1.2.3", "pkg", None),
        ("v{version}", "v1.2.3rc1", "pkg", "1.2.3rc1"),
        ("release/{version}", "release/1.2.0", "pkg", "1.2.0"),
        ("release/{version}", "v1.2.0", "pkg", None),
        ("{package}-v{version}", "my-pkg-v2.0.1", "my-pkg", "2.0.1"),
        ("{package}-v{version}", "my-pkg-v2.0.1", "my_pkg", "2.0.1"),  # names compare normalized
        ("{package}-v{version}", "other-v2.0.1", "my-pkg", None),
        ("{package}-v{version}", "my-pkg-extra-v2.0.1", "my-pkg", None),
        ("{version}", "1.0", "pkg", "1.0"),
    ],
)
def test_tag_patterns(pattern: str, tag: str, package: str, version: str | None) -> None:
    assert TagPattern(pattern).match(tag, package) == version


def test_tag_pattern_formats_and_is_validated() -> None:
    assert TagPattern("{package}-v{version}").format("1.0.0", "pkg") == "pkg-v1.0.0"
    for bad in (
        "release",
        "v{version}{version}",
        "{name}-{version}",
        "v {version}",
        "rel..{version}",
        "-{version}",
    ):
        with pytest.raises(ConfigError):
            TagPattern(bad)


def test_released_skips_non_versions_and_other_packages() -> None:
    tags = [("v1.0.0", "a"), ("v-next", "b"), ("v1.10.0", "c"), ("v1.9.0", "d"), ("w1.0", "e")]
    found = released(tags, TagPattern("v{version}"), "pkg")
    assert [t.tag for t in found] == ["v1.0.0", "v1.9.0", "v1.10.0"]  # PEP 440 order, not text order


@pytest.mark.parametrize(
    ("subject", "body", "bump", "kind"),
    [
        ("fix: crash on empty input", "", Bump.PATCH, "fix"),
        ("feat: add --loud", "", Bump.MINOR, "feat"),
        ("feat(cli): add --loud", "", Bump.MINOR, "feat"),
        ("perf: faster parse", "", Bump.PATCH, "perf"),
        ("feat!: drop Python 3.8", "", Bump.MAJOR, "breaking"),
        ("refactor(core)!: new API", "", Bump.MAJOR, "breaking"),
        ("fix: rename option", "Longer text.\n\nBREAKING CHANGE: --old is gone", Bump.MAJOR, "breaking"),
        ("fix: rename option", "BREAKING-CHANGE: --old is gone", Bump.MAJOR, "breaking"),
        ("docs: typo", "", Bump.NONE, "docs"),
        ("chore(release): pkg 1.2.0", "", Bump.NONE, "chore"),
    ],
)
def test_conventional_commits(subject: str, body: str, bump: Bump, kind: str) -> None:
    change = conventional(c(subject, body))
    assert change is not None
    assert (change.bump, change.kind) == (bump, kind)


def test_conventional_notes_carry_scope_and_breaking_text() -> None:
    change = conventional(c("fix(io): rename option", "BREAKING CHANGE: --old is gone"))
    assert change is not None and change.notes == ("io: rename option", "--old is gone")


@pytest.mark.parametrize("subject", ["Update README", "fix typo", "feat:no space", "WIP", "Merge branch 'x'"])
def test_not_conventional(subject: str) -> None:
    assert conventional(c(subject)) is None


@pytest.mark.parametrize(
    ("message", "bump", "exact", "notes"),
    [
        ("[pkg] fix a; fix b", Bump.PATCH, None, ("fix a", "fix b")),
        ("[pkg][..+] fix a", Bump.PATCH, None, ("fix a",)),
        ("[pkg][.+.] new thing", Bump.MINOR, None, ("new thing",)),
        ("[pkg][+..] breaking thing", Bump.MAJOR, None, ("breaking thing",)),
        ("[pkg][1.2.3] pin it", Bump.NONE, "1.2.3", ("pin it",)),
        ("[pkg][v2.0.0rc1] pin it", Bump.NONE, "2.0.0rc1", ("pin it",)),
        ("[other] x; [pkg][.+.] y; z", Bump.MINOR, None, ("y", "z")),  # two packages in one message
        ("[PKG] case and separators normalize", Bump.PATCH, None, ("case and separators normalize",)),
    ],
)
def test_paa_syntax(message: str, bump: Bump, exact: str | None, notes: tuple[str, ...]) -> None:
    change = paa(c(message), "pkg")
    assert change is not None
    assert (change.bump, str(change.exact) if change.exact else None, change.notes) == (bump, exact, notes)


def test_paa_ignores_other_packages_and_brackets_inside_text() -> None:
    assert paa(c("[other] note"), "pkg") is None
    assert paa(c("fix: accept list[int] in pkg"), "pkg") is None


@pytest.mark.parametrize("spec", ["++", "..", "minor", "+.+"])
def test_paa_bad_bracket_is_an_error_not_a_silent_patch(spec: str) -> None:
    with pytest.raises(UsageError, match=rf"commit 0123456: '\[pkg\]\[{re.escape(spec)}\]' is not a bump"):
        paa(c(f"[pkg][{spec}] note"), "pkg")
    relaxed = paa(c(f"[pkg][{spec}] note"), "pkg", strict=False)  # with --bump RULE the user decides
    assert relaxed is not None and relaxed.bump is Bump.PATCH


def test_paa_bad_exact_version_is_refused() -> None:
    with pytest.raises(UsageError, match="not a valid PEP 440 version"):
        paa(c("[pkg][1.2.x] note"), "pkg")


def test_parser_choice() -> None:
    commits = [c("[pkg][+..] big"), c("feat: small")]
    assert [ch.bump for ch in changes(commits, "pkg", "both")] == [Bump.MAJOR, Bump.MINOR]
    assert [ch.bump for ch in changes(commits, "pkg", "conventional")] == [Bump.MINOR]
    assert [ch.bump for ch in changes(commits, "pkg", "paa")] == [Bump.MAJOR]
    with pytest.raises(UsageError, match="commit-parser must be one of"):
        changes(commits, "pkg", "angular")
