from __future__ import annotations

import shutil

import pytest

from tests.signing.bouncycastle import BouncyCastle, BouncyCastleUnavailable
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


@pytest.fixture(scope="session")
def bouncycastle(tmp_path_factory: pytest.TempPathFactory) -> BouncyCastle:
    """CmsTool compiled against the BouncyCastle jars: a test that needs it fails (never skips) without them."""
    try:
        return BouncyCastle.compile(tmp_path_factory.mktemp("bouncycastle"))
    except BouncyCastleUnavailable as error:
        pytest.fail(str(error))
