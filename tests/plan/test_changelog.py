"""shipyard.plan.changelog: exact text in, exact text out."""

from __future__ import annotations

import pytest

from shipyard.plan.changelog import SECTION_ORDER, section, update

INTRO = (
    "# Changelog\n\n"
    "All notable changes to this project will be documented in this file.\n\n"
    "The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),\n"
    "and this project's version numbers follow [PEP 440](https://peps.python.org/pep-0440/).\n\n"
)

OLD_RELEASE = "## [1.2.0] - 2026-01-10\n\n### Fixed\n\n- Old fix.\n"


def test_section_order_is_keep_a_changelog() -> None:
    assert SECTION_ORDER == ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")


def test_section_heading_order_known_first_then_unknown_as_given() -> None:
    entries = {
        "Performance": ["Faster builds."],
        "Security": ["Pin hashes."],
        "Docs": ["New tutorial."],
        "Added": ["A flag."],
        "Removed": [],
        "fixed": ["A crash."],
    }
    assert section("1.3.0", "2026-11-21", entries) == (
        "## [1.3.0] - 2026-11-21\n\n"
        "### Added\n\n- A flag.\n\n"
        "### Fixed\n\n- A crash.\n\n"
        "### Security\n\n- Pin hashes.\n\n"
        "### Performance\n\n- Faster builds.\n\n"
        "### Docs\n\n- New tutorial.\n\n"
    )


def test_section_multi_line_entry_stays_inside_the_bullet() -> None:
    entries = {"Changed": ["Config moved.\nSee the docs.\n\n- old key: gone\n", "  Second.  "]}
    assert section("1.3.0", "2026-11-21", entries) == (
        "## [1.3.0] - 2026-11-21\n\n"
        "### Changed\n\n"
        "- Config moved.\n  See the docs.\n\n  - old key: gone\n"
        "- Second.\n\n"
    )


def test_section_empty_entries_is_just_the_heading() -> None:
    assert section("1.3.0", "2026-11-21", {}) == "## [1.3.0] - 2026-11-21\n\n"
    assert section("1.3.0", "2026-11-21", {"Added": [], "Fixed": ["", " "]}) == "## [1.3.0] - 2026-11-21\n\n"


def test_new_file() -> None:
    expected = INTRO + "## [Unreleased]\n\n## [1.3.0] - 2026-11-21\n\n### Added\n\n- A flag.\n"
    assert update(None, "1.3.0", "2026-11-21", {"Added": ["A flag."]}) == expected
    assert update(" \n\n", "1.3.0", "2026-11-21", {"Added": ["A flag."]}) == expected


def test_new_file_empty_entries() -> None:
    assert update(None, "0.1.0", "2026-11-21", {}) == INTRO + "## [Unreleased]\n\n## [0.1.0] - 2026-11-21\n"


def test_empty_unreleased() -> None:
    text = INTRO + "## [Unreleased]\n\n" + OLD_RELEASE
    assert update(text, "1.3.0", "2026-11-21", {"Added": ["A flag."]}) == (
        INTRO + "## [Unreleased]\n\n## [1.3.0] - 2026-11-21\n\n### Added\n\n- A flag.\n\n" + OLD_RELEASE
    )


def test_empty_entries_still_writes_the_release_heading() -> None:
    text = INTRO + "## [Unreleased]\n\n" + OLD_RELEASE
    assert update(text, "1.3.0", "2026-11-21", {"Added": []}) == (
        INTRO + "## [Unreleased]\n\n## [1.3.0] - 2026-11-21\n\n" + OLD_RELEASE
    )


def test_unreleased_bullets_move_and_merge_with_generated() -> None:
    text = (
        "# Changelog\n\n"
        "## Unreleased\n\n"
        "### Fixed\n\n"
        "- Hand-written fix.\n"
        "- Crash on empty\n  config.\n\n"
        "### Removed\n\n"
        "* The old command.\n\n" + OLD_RELEASE
    )
    entries = {"Fixed": ["Crash on empty config.", "Generated fix."], "Added": ["A flag."]}
    assert update(text, "1.3.0", "2026-11-21", entries) == (
        "# Changelog\n\n"
        "## Unreleased\n\n"
        "## [1.3.0] - 2026-11-21\n\n"
        "### Added\n\n"
        "- A flag.\n\n"
        "### Removed\n\n"
        "* The old command.\n\n"
        "### Fixed\n\n"
        "- Hand-written fix.\n"
        "- Crash on empty\n  config.\n"
        "- Generated fix.\n\n" + OLD_RELEASE
    )


def test_unreleased_free_text_goes_first_and_empty_headings_drop() -> None:
    text = (
        "# Changelog\n\n"
        "## [unreleased]\n"
        "This release needs Python 3.10.\n\n"
        "Read the **upgrade notes**.\n"
        "### Added\n\n"
        "### Security\n"
        "- Verify signatures.\n\n\n" + OLD_RELEASE
    )
    assert update(text, "2.0.0", "2026-11-21", {"Changed": ["New default."]}) == (
        "# Changelog\n\n"
        "## [unreleased]\n\n"
        "## [2.0.0] - 2026-11-21\n\n"
        "This release needs Python 3.10.\n\n"
        "Read the **upgrade notes**.\n\n"
        "### Changed\n\n- New default.\n\n"
        "### Security\n\n- Verify signatures.\n\n" + OLD_RELEASE
    )


def test_no_unreleased_heading_inserts_before_first_release() -> None:
    text = "# Changelog\n\nAll changes.\n\n" + OLD_RELEASE + "\n## [1.1.0] - 2025-12-01\n\n- Older.\n"
    assert update(text, "1.3.0", "2026-11-21", {"Fixed": ["A crash."]}) == (
        "# Changelog\n\nAll changes.\n\n"
        "## [1.3.0] - 2026-11-21\n\n### Fixed\n\n- A crash.\n\n"
        + OLD_RELEASE
        + "\n## [1.1.0] - 2025-12-01\n\n- Older.\n"
    )


def test_no_release_heading_at_all_appends() -> None:
    assert update("# Changelog\nNotes.", "0.1.0", "2026-11-21", {"Added": ["Everything."]}) == (
        "# Changelog\nNotes.\n\n## [0.1.0] - 2026-11-21\n\n### Added\n\n- Everything.\n"
    )


def test_link_references_at_the_bottom_are_kept() -> None:
    links = (
        "[unreleased]: https://example.org/compare/v1.2.0...HEAD\n"
        "[1.2.0]: https://example.org/compare/v1.1.0...v1.2.0\n"
    )
    text = "# Changelog\n\n## [Unreleased]\n\n- Loose note.\n\n" + links + "\n\n"
    assert update(text, "1.3.0", "2026-11-21", {"Fixed": ["A crash."]}) == (
        "# Changelog\n\n## [Unreleased]\n\n"
        "## [1.3.0] - 2026-11-21\n\n- Loose note.\n\n### Fixed\n\n- A crash.\n\n" + links
    )
    no_releases = "# Changelog\n\nIntro.\n\n" + links
    assert update(no_releases, "1.3.0", "2026-11-21", {}) == (
        "# Changelog\n\nIntro.\n\n## [1.3.0] - 2026-11-21\n\n" + links
    )


def test_with_releases_and_links_only_the_new_section_changes() -> None:
    tail = OLD_RELEASE + "\n[1.2.0]: https://example.org/v1.2.0\n  trailing   text\n"
    text = INTRO + "## [Unreleased]\n\n" + tail
    assert update(text, "1.3.0", "2026-11-21", {}) == (
        INTRO + "## [Unreleased]\n\n## [1.3.0] - 2026-11-21\n\n" + tail
    )


def test_crlf_in_crlf_out() -> None:
    text = "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n### Fixed\r\n\r\n- Mine.\r\n\r\n" + OLD_RELEASE.replace(
        "\n", "\r\n"
    )
    entries = {"Fixed": ["Two\nlines."]}
    assert update(text, "1.3.0", "2026-11-21", entries) == (
        "# Changelog\r\n\r\n## [Unreleased]\r\n\r\n"
        "## [1.3.0] - 2026-11-21\r\n\r\n### Fixed\r\n\r\n- Mine.\r\n- Two\r\n  lines.\r\n\r\n"
        + OLD_RELEASE.replace("\n", "\r\n")
    )


@pytest.mark.parametrize(
    "heading", ["## [1.3.0] - 2026-01-01", "## 1.3.0", "## [1.3.0]", "## v1.3.0 (2026-01-01)"]
)
def test_duplicate_version_is_an_error(heading: str) -> None:
    text = f"# Changelog\n\n## [Unreleased]\n\n{heading}\n\n- Done.\n"
    with pytest.raises(ValueError, match=r"^CHANGELOG already has a section for 1\.3\.0$"):
        update(text, "1.3.0", "2026-11-21", {"Added": ["A flag."]})


def test_similar_versions_are_not_duplicates() -> None:
    text = "## [1.3.0rc1] - 2026-01-01\n\n## 1.3.0.post1\n\n## [11.3.0]\n"
    assert update(text, "1.3.0", "2026-11-21", {}) == "## [1.3.0] - 2026-11-21\n\n" + text


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "# Changelog\n\n```sh\n## [Unreleased]\n## 1.3.0\n```\n"
    assert update(text, "1.3.0", "2026-11-21", {}) == text + "\n## [1.3.0] - 2026-11-21\n"
