"""The token scan of check/contents.py (issue 25, point 1): each pattern starts with a literal, which
the regex engine searches for instead of trying every byte, and finds exactly what the old AWS
pattern (a leading lookbehind) found, at buffer and word boundaries; a credential's value is found
across the chunks a member larger than one scan is read in."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from shipyard import secrets
from shipyard.check import contents
from shipyard.check.check import check
from shipyard.dists import identify
from shipyard.errors import CheckError

OLD_AWS = re.compile(rb"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
KEY = b"AKIA" + b"Q3EXAMPLE7K2ZT4W"  # shipyard: fake-token
TEMP = b"ASIA" + b"Q3EXAMPLE7K2ZT4W"  # shipyard: fake-token


def test_every_pattern_starts_with_a_literal() -> None:
    for pattern, what in contents._TOKENS:
        assert re.fullmatch(rb"[A-Za-z0-9_-]", pattern.pattern[:1]), (what, pattern.pattern)


@pytest.mark.parametrize(
    "data",
    [
        KEY,  # the whole buffer
        KEY + b"\n",
        b"x" + KEY,  # lowercase before: a key
        b"A" + KEY,  # a capital before: none
        b"9" + KEY,
        b"AA" + KEY,
        KEY + b"X",  # a capital after: none
        KEY + b"x",
        b"key=" + KEY + b" " + TEMP,
        KEY + TEMP,  # no boundary between them: none
        b"AKIA" + b"AKIA" + KEY[4:] + b"AKIA",
        b"AKIAQ3EXAMPLE7K2ZT4",  # one short
        b"-ASIA" + b"Q3EXAMPLE7K2ZT4W-AKIA" + b"Q3EXAMPLE7K2ZT4W",
        b"\x00\xffASIA" + b"0000000000000000\x00",
    ],
)
def test_the_aws_pattern_finds_what_the_old_one_found(data: bytes) -> None:
    new = next(p for p, what in contents._TOKENS if what == "an AWS access key id")
    assert [m.span() for m in new.finditer(data)] == [m.span() for m in OLD_AWS.finditer(data)]


def test_a_credential_value_past_the_first_scan_is_found_across_a_chunk_boundary() -> None:
    value = "chunk-boundary-credential-value"
    secrets.register(value)
    cut = contents.MAX_SCAN - 10  # the value straddles the first chunk's end
    data = b"\0" * cut + value.encode() + b"\0" * contents.MAX_SCAN
    member = io.BytesIO(data)
    assert contents._holds_credential(member.read(contents.MAX_SCAN), member)
    clean = io.BytesIO(b"\0" * (2 * contents.MAX_SCAN))
    assert not contents._holds_credential(clean.read(contents.MAX_SCAN), clean)


def test_a_member_that_cannot_be_read_whole_is_a_problem_not_a_pass(tmp_path: Path) -> None:
    wheel = tmp_path / "tiny_pkg-1.0.0-py3-none-any.whl"
    info = "tiny_pkg-1.0.0.dist-info"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("tiny_pkg/__init__.py", "")
        zf.writestr("tiny_pkg/settings.txt", "token = " + "x" * 64 + "\n")
        zf.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: tiny-pkg\nVersion: 1.0.0\n")
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    data = wheel.read_bytes()
    wheel.write_bytes(data.replace(b"x" * 64, b"y" * 64))  # the stored CRC no longer matches
    with pytest.raises(CheckError) as caught:
        check([identify(wheel)], public=False, whole=False)
    assert "tiny_pkg-1.0.0-py3-none-any.whl cannot be read whole (Bad CRC-32" in str(caught.value)
