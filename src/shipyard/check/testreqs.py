"""What the project's tests need installed, read from where its developers declared it.

One order, the first source that exists wins (README "Test-install"):
  1. the `test-group` option: that group of [dependency-groups], Poetry's groups or PDM's
     dev-dependencies (an error when none declares it)
  2. [dependency-groups] test, tests, testing (PEP 735, includes resolved by `packaging`)
  3. the wheel's extras test, tests, testing (every one it declares)
  4. Poetry [tool.poetry.group.test.dependencies] (or .tests)
  5. PDM [tool.pdm.dev-dependencies] test (or tests, testing)
  6. requirements-test*.txt at the root, or requirements/test*.txt
  7. the dev groups: [dependency-groups] dev, Poetry's group.dev (or the old dev-dependencies),
     PDM's dev-dependencies dev
  8. requirements-dev*.txt at the root, or requirements/dev*.txt
The `test-requirements-file` option names a requirements file installed besides them (alone, when no
`test-group` is set). pytest itself is always installed with them; where the project has a lock file
(check/testlocks.py), the packages they name are pinned to its versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from packaging.dependency_groups import DependencyGroupResolver
from packaging.errors import ExceptionGroup
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from shipyard.check import poetry
from shipyard.errors import ConfigError

TEST_NAMES = ("test", "tests", "testing")
_POETRY_TEST = ("test", "tests")


@dataclass(frozen=True)
class TestRequirements:
    source: str  # where they were found, as the user would look for it
    requirements: tuple[str, ...] = ()  # PEP 508 strings
    extras: tuple[str, ...] = ()  # of the wheel itself
    files: tuple[str, ...] = ()  # requirements files, relative to the project
    lock: str = ""  # the lock file that pins some of them ("" for none)
    pins: tuple[str, ...] = ()  # name==version, from that lock

    @property
    def names_pytest(self) -> bool:
        """Whether the project names pytest itself (with its own bounds, kept)."""
        return any(_named(r) == "pytest" for r in self.requirements)

    @property
    def with_pytest(self) -> tuple[str, ...]:
        """The requirements, with pytest first unless the project names it."""
        return self.requirements if self.names_pytest else ("pytest", *self.requirements)

    def install_args(self, wheel: Path, root: Path, constraints: Path | None = None) -> list[str]:
        """`uv pip install` arguments: the wheel (with its test extras), pytest and the rest, with
        `constraints` (the lock's pins)."""
        target = f"{wheel}[{','.join(self.extras)}]" if self.extras else str(wheel)
        files = [a for f in self.files for a in ("-r", str(root / f))]
        pinned = ["-c", str(constraints)] if constraints else []
        return [target, *self.with_pytest, *files, *pinned]

    def named(self, root: Path, requires_dist: Sequence[Requirement]) -> tuple[str, ...]:
        """The names of the packages these requirements name themselves (pytest, the test extras'
        requirements of the wheel `requires_dist`, the requirements files' lines): what a lock pins."""
        names = [_named(r) for r in self.with_pytest]
        for requirement in requires_dist:
            marker = requirement.marker
            if marker is not None and any(marker.evaluate({"extra": e}) for e in self.extras):
                names.append(canonicalize_name(requirement.name))
        seen: set[Path] = set()
        for rel in self.files:
            names.extend(_file_names(root / rel, seen))
        return tuple(dict.fromkeys(n for n in names if n))

    def as_json(self) -> dict[str, object]:
        return {
            "from": self.source,
            "requirements": list(self.requirements),
            "extras": list(self.extras),
            "files": list(self.files),
            "lock": self.lock or None,
            "pins": list(self.pins),
        }


def find(
    pyproject: Mapping[str, object],
    root: Path,
    wheel_extras: Sequence[str],
    group: str = "",
    file: Path | None = None,
) -> TestRequirements:
    """The project's test requirements, by the order above (`group`: the test-group option, `file`:
    the test-requirements-file option), each requirement once."""
    found = _declared(pyproject, root, wheel_extras, group)
    if file is not None:
        if not file.is_file():
            raise ConfigError(
                f"test-requirements-file {file} is no file: name the project's test requirements file"
            )
        rel = file.relative_to(root).as_posix() if file.is_relative_to(root) else str(file)
        if found is None:
            found = TestRequirements(rel, files=(rel,))
        else:
            found = TestRequirements(
                f"{found.source} and {rel}", found.requirements, found.extras, (*found.files, rel)
            )
    found = found or _default(pyproject, root, wheel_extras)
    unique = tuple(dict.fromkeys(found.requirements))
    return TestRequirements(found.source, unique, found.extras, tuple(dict.fromkeys(found.files)))


def _declared(
    pyproject: Mapping[str, object], root: Path, wheel_extras: Sequence[str], group: str
) -> TestRequirements | None:
    if not group:
        return None
    groups = _table(pyproject.get("dependency-groups"), "[dependency-groups]")
    tool = _table(pyproject.get("tool"), "[tool]")
    poetry = _table(tool.get("poetry"), "[tool.poetry]")
    pdm = _table(_table(tool.get("pdm"), "[tool.pdm]").get("dev-dependencies"), "[tool.pdm.dev-dependencies]")
    found = _group(groups, group) or _poetry_group(poetry, (group,), root) or _pdm_group(pdm, (group,))
    if found is None:
        raise ConfigError(
            f"test-group {group!r} is declared nowhere: add it to [dependency-groups] of pyproject.toml, "
            "or set test-group to a group the project has"
        )
    return found


def _default(pyproject: Mapping[str, object], root: Path, wheel_extras: Sequence[str]) -> TestRequirements:
    groups = _table(pyproject.get("dependency-groups"), "[dependency-groups]")
    tool = _table(pyproject.get("tool"), "[tool]")
    poetry = _table(tool.get("poetry"), "[tool.poetry]")
    pdm = _table(_table(tool.get("pdm"), "[tool.pdm]").get("dev-dependencies"), "[tool.pdm.dev-dependencies]")
    extras = tuple(e for e in wheel_extras if canonicalize_name(e) in TEST_NAMES)
    return (
        next(filter(None, (_group(groups, n) for n in TEST_NAMES)), None)
        or (TestRequirements(f"the wheel's extras {', '.join(extras)}", extras=extras) if extras else None)
        or _poetry_group(poetry, _POETRY_TEST, root)
        or _pdm_group(pdm, TEST_NAMES)
        or _requirement_files(root, "test")
        or _group(groups, "dev")
        or _poetry_group(poetry, ("dev",), root)
        or _pdm_group(pdm, ("dev",))
        or _requirement_files(root, "dev")
        or TestRequirements("nowhere (pytest alone)")
    )


def _table(value: object, where: str) -> Mapping[str, object]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} in pyproject.toml must be a table")
    return value


def _group(groups: Mapping[str, object], name: str) -> TestRequirements | None:
    """A PEP 735 group with its includes resolved, or None when the project has no such group."""
    if canonicalize_name(name) not in {canonicalize_name(g) for g in groups}:
        return None
    try:
        # the resolver checks the groups' shape itself (TypeError, ValueError below)
        resolved = DependencyGroupResolver(cast("Mapping[str, Sequence[str]]", groups)).resolve(name)
    except (ValueError, TypeError, LookupError, ExceptionGroup) as exc:
        problems = exc.exceptions if isinstance(exc, ExceptionGroup) else [exc]
        reason = "; ".join(_one_line(str(e)) for e in problems)
        raise ConfigError(f"pyproject.toml [dependency-groups] {name}: {reason}: fix it there") from None
    return TestRequirements(f"[dependency-groups] {name}", tuple(str(r) for r in resolved))


def _one_line(message: str) -> str:
    """packaging's parse errors show the requirement and a caret on the lines below the reason."""
    reason, *rest = message.rstrip(".").splitlines() or [""]
    return f"{reason} in {rest[0].strip()!r}" if rest else reason


def _poetry_group(poetry: Mapping[str, object], names: Sequence[str], root: Path) -> TestRequirements | None:
    groups = _table(poetry.get("group"), "[tool.poetry.group]")
    for name in names:
        if name in groups:
            where = f"[tool.poetry.group.{name}.dependencies]"
            deps = _table(_table(groups[name], f"[tool.poetry.group.{name}]").get("dependencies"), where)
            return TestRequirements(where, _poetry_requirements(deps, root, where))
    if "dev" in names and "dev-dependencies" in poetry:
        where = "[tool.poetry.dev-dependencies]"
        return TestRequirements(
            where, _poetry_requirements(_table(poetry["dev-dependencies"], where), root, where)
        )
    return None


def _poetry_requirements(deps: Mapping[str, object], root: Path, where: str) -> tuple[str, ...]:
    """Poetry's constraints (^1.2, ~1.2, tables with extras and markers) as PEP 508 (check.poetry)."""
    out = []
    for name, constraint in deps.items():
        if name == "python":
            continue
        try:
            out += poetry.requirements(name, constraint, root)
        except poetry.PoetryError as exc:
            raise ConfigError(f"pyproject.toml {where} {name}: {exc}: fix it there") from None
    return tuple(out)


def _pdm_group(pdm: Mapping[str, object], names: Sequence[str]) -> TestRequirements | None:
    for name in names:
        if name in pdm:
            where = f"[tool.pdm.dev-dependencies] {name}"
            entries = pdm[name]
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise ConfigError(f"pyproject.toml {where} must be a list of requirements")
            # "-e ..." entries are editable local paths (the project itself, a sibling): not from an index
            return TestRequirements(
                where, tuple(_pep508(e, where) for e in entries if not e.startswith("-e"))
            )
    return None


def _pep508(text: str, where: str) -> str:
    try:
        return str(Requirement(text))
    except InvalidRequirement as exc:
        raise ConfigError(f"pyproject.toml {where}: {_one_line(str(exc))}: fix it there") from None


def _requirement_files(root: Path, kind: str) -> TestRequirements | None:
    files = sorted(root.glob(f"requirements-{kind}*.txt")) or sorted(root.glob(f"requirements/{kind}*.txt"))
    files = [f for f in files if f.is_file()]
    if not files:
        return None
    names = tuple(f.relative_to(root).as_posix() for f in files)
    return TestRequirements(", ".join(names), files=names)


def _parsed(requirement: str) -> Requirement | None:
    try:
        return Requirement(requirement)
    except InvalidRequirement:
        return None


def _named(requirement: str) -> str:
    parsed = _parsed(requirement)
    return canonicalize_name(parsed.name) if parsed else ""


def _file_names(path: Path, seen: set[Path]) -> list[str]:
    """The names a requirements file (and the files its -r lines name) requires; options, URLs and
    lines that are no requirement left out (pip reads those)."""
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    names: list[str] = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #")[0].split(" --")[0].strip()
        if line.startswith(("-r ", "--requirement ", "--requirement=")):
            nested = line.split("=", 1)[1] if line.startswith("--requirement=") else line.split(None, 1)[1]
            names.extend(_file_names(path.parent / nested.strip(), seen))
        elif line and not line.startswith(("#", "-")):
            names.append(_named(line))
    return names
