"""The formats both sides of the CPL read: the words they share, the extract and the receipt.

- `formats.vocabulary`: Physical Device Types, CPL entry statuses, assurance schemes, which types
  the CPL controls. The authority's core and the DCC simulator both use these; nothing else is shared.
- `formats.extract`: the CPL extract's content (CONTRACT.md section 2), built and parsed, with the
  canonical JSON (RFC 8785 for this format's values), SHA-256 and timestamps both formats use.
- `formats.receipt`: the DCC's receipt for an applied extract, built and parsed.

Pure: no I/O, no clock, no rules of either side (what a removal needs, what a Device does).
"""
