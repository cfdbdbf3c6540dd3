"""The test requirements as test-install installs and names them: pytest once (issue 23, point 9)."""

from __future__ import annotations

from pathlib import Path

from shipyard.check import testreqs


def test_pytest_is_added_once_and_a_project_s_own_pytest_bound_is_kept() -> None:
    own = testreqs.TestRequirements("[dependency-groups] test", ("PyTest>=8,<9", "hypothesis"))
    assert own.with_pytest == ("PyTest>=8,<9", "hypothesis")
    assert own.install_args(Path("w.whl"), Path("/p")) == ["w.whl", "PyTest>=8,<9", "hypothesis"]
    bare = testreqs.TestRequirements(
        "[dependency-groups] test", ("hypothesis",), extras=("test",), files=("r.txt",)
    )
    assert bare.with_pytest == ("pytest", "hypothesis")
    assert bare.install_args(Path("w.whl"), Path("/p")) == [
        "w.whl[test]",
        "pytest",
        "hypothesis",
        "-r",
        "/p/r.txt",
    ]
