from __future__ import annotations

import shutil

import pytest

from tests.signing.helpers import KEYS


@pytest.fixture(scope="session", autouse=True)
def _dev_credentials_present() -> None:
    if not (KEYS / "root-ca.pem").exists():
        pytest.fail("keys-dev/ has no development credentials: run `python -m signing.devpki keys-dev`")


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("openssl is required for the interoperability tests (scripts/ensure-system-packages.sh)")
    return path
