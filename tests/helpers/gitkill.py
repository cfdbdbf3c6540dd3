"""A real kill of a shipyard run at a named ref update: git's reference-transaction hook (which
--no-verify does not skip) SIGKILLs the shipyard process that runs git, as a crash or a cancelled
CI job would; KILL_AT reaches the hook because the tests name it in pass-env. The ref is named by KILL_AT: `prepared refs/heads/main` (before the ref moves),
`committed refs/tags/v1.3.0` (after)."""

from __future__ import annotations

import sys
from pathlib import Path

HOOK = f"""#!{sys.executable}
import os, signal, sys
state, want = sys.argv[1], os.environ.get("KILL_AT", "")
for line in sys.stdin:
    ref = line.split()[-1]
    if f"{{state}} {{ref}}" == want:
        # this hook's parent is git, git's parent the shipyard release
        with open(f"/proc/{{os.getppid()}}/stat") as f:
            shipyard = int(f.read().rsplit(")", 1)[1].split()[1])
        with open(f"/proc/{{shipyard}}/cmdline", "rb") as f:
            assert b"shipyard" in f.read()
        os.kill(shipyard, signal.SIGKILL)
        sys.exit(1 if state == "prepared" else 0)  # prepared: git does not update the ref
"""


def install_kill_hook(root: Path) -> None:
    hook = root / ".git" / "hooks" / "reference-transaction"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(HOOK)
    hook.chmod(0o755)
