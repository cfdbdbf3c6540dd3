"""The system keyring, asked for the credential of an upload URL.

Through the keyring library when it is installed (`pip install 'shipyard-release[keyring]'`),
else through a `keyring` command on PATH (`keyring get --mode creds`, as uv asks it), else not at
all: the "no credential" error then says how to make it available. The library costs 50-100 ms to
import and ~20 MB to install (cryptography, SecretStorage, jeepney): it is loaded only when asked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess

from shipyard.tools.procenv import child_env

# what the keyring command's backends need beyond a child's allowed environment (D-Bus, macOS, Windows)
_KEYRING_ENV = ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "KEYRING_PROPERTY_", "APPDATA")
TIMEOUT = 60.0  # seconds: a backend may wait for the user to unlock the keyring
MISSING = (
    "not installed: pip install 'shipyard-release[keyring]', or put the keyring command on PATH "
    "(pipx install keyring)"
)


def how() -> str | None:
    """'library', 'command' (the `keyring` program on PATH) or None: neither is there."""
    if importlib.util.find_spec("keyring") is not None:
        return "library"
    return "command" if shutil.which("keyring") else None


def get(url: str) -> tuple[str | None, str] | None:
    """(username or None, password) the keyring holds for `url`, None if it holds none or fails."""
    found = how()
    if found == "library":
        return _from_library(url)
    if found == "command":
        return _from_command(url)
    return None


def _from_library(url: str) -> tuple[str | None, str] | None:
    try:
        import keyring

        found = keyring.get_credential(url, None)
    except Exception:  # a backend that cannot load (no D-Bus, a locked keychain) holds nothing for us
        return None
    if found is None or not found.password:
        return None
    return found.username or None, found.password


def _from_command(url: str) -> tuple[str | None, str] | None:
    program = shutil.which("keyring")
    if program is None:
        return None
    extra = {k: v for k, v in os.environ.items() if k.startswith(_KEYRING_ENV)}
    try:
        proc = subprocess.run(
            [program, "--mode", "creds", "--output", "json", "get", url],
            env=child_env(extra),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode:  # 1: none held; 2: a keyring older than --mode creds (25.2)
        return None
    try:
        found = json.loads(proc.stdout)
    except ValueError:
        return None
    if not isinstance(found, dict) or not isinstance(password := found.get("password"), str) or not password:
        return None
    username = found.get("username")
    return (username if isinstance(username, str) and username else None), password
