"""Fixtures of the index tests: a throwaway PKI and a TLS endpoint in front of a real pypiserver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.indexes import TestIndex
from tests.helpers.netproxies import Pki, TlsFront, make_pki, tls_front


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def front(fresh_pypiserver: TestIndex, pki: Pki) -> Iterator[TlsFront]:
    with tls_front(fresh_pypiserver.upload_url, pki) as endpoint:
        yield endpoint
