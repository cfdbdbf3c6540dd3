"""`shipyard --help` and each command's: commands in groups, no empty defaults (issue 23, point 9)."""

from __future__ import annotations

import argparse

from shipyard.cli import COMMAND_GROUPS, parser


def _commands(top: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_help_lists_every_command_once_under_its_group() -> None:
    top = parser()
    text = top.format_help()
    titles = [f"{title}:" for title, _ in COMMAND_GROUPS]
    where = [text.index(t) for t in titles]
    assert where == sorted(where)
    packrepo = text[where[1] : where[2]]
    for name in _commands(top):
        assert sum(line.split()[:1] == [name] for line in text.splitlines()) == 1, name
    assert "\n  init " in packrepo and "\n  release " not in packrepo
    assert text.startswith("usage: shipyard [-h] [--version] COMMAND ...")


def test_no_option_says_an_empty_default() -> None:
    top = parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert "(default: )" not in command.format_help(), name
