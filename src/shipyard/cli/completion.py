"""`shipyard completion SHELL`: the completion script for bash, zsh or fish, made from the parsers.

The script holds, for each command (and `ci`'s sub-commands), its sub-commands, its options with
their help, and what each option's value is: one of its choices, a file, a folder, a repository
name (or a comma-separated list of them), or free text. Repository names are the one thing read
when TAB is pressed: the script runs `shipyard completion --repositories -C PROJECT`, which prints
the names the project's config knows (built in, [tool.shipyard.repositories], .pypirc).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shipyard.cli.common import Command
from shipyard.cli.render import Renderer

SHELLS = ("bash", "zsh", "fish")
LOADING = """\
loading it: bash: eval "$(shipyard completion bash)" in ~/.bashrc
            zsh:  eval "$(shipyard completion zsh)" after compinit in ~/.zshrc
            fish: shipyard completion fish > ~/.config/fish/completions/shipyard.fish
"""


def repository_names(root: Path) -> list[str]:
    """The repositories the project at `root` may name: built in, declared, in .pypirc; the built-in
    ones alone where its config cannot be read (completion says nothing of errors)."""
    from shipyard import config
    from shipyard.errors import ShipyardError
    from shipyard.tools import pypirc

    try:
        cfg = config.load(root, environ=os.environ)
        return sorted({*cfg.repositories, *pypirc.servers(cfg.pypirc)})
    except (ShipyardError, OSError):
        return sorted(config.builtin_repositories(root / ".shipyard" / "index"))


def cmd_completion(args: argparse.Namespace, out: Renderer) -> int:
    from shipyard.cli import shells
    from shipyard.errors import UsageError

    if args.repositories:
        print("\n".join(repository_names(Path(args.project))))
        return 0
    if not args.shell:
        raise UsageError("name the shell: shipyard completion bash, zsh or fish")
    sys.stdout.write(shells.SCRIPTS[args.shell](shells.nodes(args.top_parser)))
    return 0


def register(command: Command) -> None:
    p = command(
        "completion",
        cmd_completion,
        "print the shell completion script for bash, zsh or fish",
    )
    p.epilog = f"{LOADING}\n{p.epilog or ''}"
    p.add_argument("shell", nargs="?", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.add_argument(
        "--repositories",
        action="store_true",
        help="print the repository names the project's config knows, one a line (the scripts ask)",
    )
