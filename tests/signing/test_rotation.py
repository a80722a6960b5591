"""Key rotation and root rollover (signing/ROTATION.md), with the development credentials."""

from __future__ import annotations

import pytest

from signing.cms import sign_data, verify_signed_data
from signing.errors import TrustConfigurationError, UntrustedSignerError
from signing.profile import DEV_POLICY_CPL_EXTRACT_SIGNING
from signing.trust import TrustStore, load_trust
from tests.signing.helpers import KEYS, ROOT_CA, ROOT_CA_2, dev_signer, now

CONTENT = b'{"format":"cpl-extract","sequence":1}'


def signed_by(name: str, issuer: str = "issuing-ca") -> bytes:
    return sign_data(CONTENT, dev_signer(name, issuer))


def accepts(trust: TrustStore, signed: bytes) -> bool:
    verified = verify_signed_data(signed, trust, required_policy=DEV_POLICY_CPL_EXTRACT_SIGNING, now=now())
    return verified.content == CONTENT


def test_rotated_signers_under_one_root_both_verify() -> None:
    trust = load_trust([ROOT_CA])
    assert accepts(trust, signed_by("secas-signer-1"))
    assert accepts(trust, signed_by("secas-signer-2"))


def test_during_rollover_both_roots_are_trusted_and_both_generations_verify() -> None:
    both = load_trust([ROOT_CA, ROOT_CA_2])
    assert accepts(both, signed_by("secas-signer-1"))
    assert accepts(both, signed_by("secas-signer-2"))
    assert accepts(both, signed_by("secas-signer-3-newroot", "issuing-ca-2"))


def test_new_root_signer_is_refused_before_its_root_is_distributed() -> None:
    with pytest.raises(UntrustedSignerError):
        accepts(load_trust([ROOT_CA]), signed_by("secas-signer-3-newroot", "issuing-ca-2"))


def test_after_the_old_root_is_retired_only_the_new_generation_verifies() -> None:
    retired = load_trust([ROOT_CA_2])
    assert accepts(retired, signed_by("secas-signer-3-newroot", "issuing-ca-2"))
    with pytest.raises(UntrustedSignerError):
        accepts(retired, signed_by("secas-signer-1"))
    with pytest.raises(UntrustedSignerError):
        accepts(retired, signed_by("secas-signer-2"))


def test_a_signer_sending_the_wrong_generation_chain_is_refused() -> None:
    with pytest.raises(UntrustedSignerError):
        accepts(load_trust([ROOT_CA, ROOT_CA_2]), signed_by("secas-signer-3-newroot", "issuing-ca"))


def test_trust_store_is_immutable_and_deduplicates_anchors() -> None:
    trust = load_trust([ROOT_CA, ROOT_CA, ROOT_CA_2])
    assert len(trust.anchors) == 2
    with pytest.raises(AttributeError):
        trust.anchors = ()  # type: ignore[misc]


def test_trust_store_refuses_no_anchor_a_missing_file_and_a_non_ca() -> None:
    with pytest.raises(TrustConfigurationError, match="at least one"):
        load_trust([])
    with pytest.raises(TrustConfigurationError, match="cannot read"):
        load_trust([KEYS / "no-such-root.pem"])
    with pytest.raises(TrustConfigurationError, match="not a CA"):
        load_trust([KEYS / "secas-signer-1.pem"])
