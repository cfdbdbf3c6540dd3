"""A keyring backend that keeps its credentials in a JSON file, named by KEYRING_PROPERTY_FILE
(keyring's own way to set a backend's properties from the environment). Loaded by the real keyring
library and the real `keyring` command through PYTHON_KEYRING_BACKEND (this machine has no Secret
Service or keychain), so a test proves both ways shipyard asks a keyring."""

from __future__ import annotations

import json
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential


class FileKeyring(KeyringBackend):
    priority = 1
    file = ""  # set from KEYRING_PROPERTY_FILE

    def _store(self) -> dict[str, dict[str, str]]:
        path = Path(self.file)
        loaded = json.loads(path.read_text()) if self.file and path.is_file() else {}
        return loaded if isinstance(loaded, dict) else {}

    def get_password(self, service: str, username: str) -> str | None:
        found = self._store().get(service)
        return found["password"] if found and found.get("username") == username else None

    def get_credential(self, service: str, username: str | None) -> SimpleCredential | None:
        found = self._store().get(service)
        if not found or (username is not None and found.get("username") != username):
            return None
        return SimpleCredential(found.get("username", ""), found["password"])

    def set_password(self, service: str, username: str, password: str) -> None:
        store = {**self._store(), service: {"username": username, "password": password}}
        Path(self.file).write_text(json.dumps(store))

    def delete_password(self, service: str, username: str) -> None:
        store = self._store()
        store.pop(service, None)
        Path(self.file).write_text(json.dumps(store))
