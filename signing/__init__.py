"""Signing: the signed CPL extract and signed submissions (CMS on the GBCS algorithm profile).

It signs and verifies bytes and knows neither side: what the bytes say (the extract, the receipt)
is `formats/`'s, what they mean is `cpl/`'s and `smi/`'s.

- `signing.cms`: `sign_data` and `verify_signed_data` (CMS SignedData, strict).
- `signing.signers`: the `Signer` interface, PEM and PKCS#11 signers, `load_signer(spec)`.
- `signing.trust`: `TrustStore`, `load_trust(paths, crl_paths)` and `load_crls(paths)`: the
  configured trust anchors and CRLs.
- `signing.revocation`: the CRL rules (what may be configured, how a chain is checked).
- `signing.profile`: the certificate profile, policy OIDs and key identifiers.
- `signing.errors`: every refusal, named for the rule that failed.
- `signing.development`: DEVELOPMENT ONLY defaults (policy OIDs, signer, trust anchor) as plain values.
- `signing.devpki`: DEVELOPMENT ONLY credentials (`python -m signing.devpki keys-dev`).
"""
