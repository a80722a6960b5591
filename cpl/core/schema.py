"""The submission workbook's sheets and columns (CONTRACT.md section 1), once, as data.

The template writer, the reader's header matching and the row parser all read these tables, so a
new optional column is one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import Enum

from cpl.core.domain import SubmissionType
from formats.vocabulary import PHYSICAL_DEVICE_TYPE_SPELLINGS, AssuranceScheme, PhysicalDeviceType

ENTRY_SHEET = "CPL New Entry"
CERTIFICATE_SHEET = "Assurance Certificates"
GUIDANCE_SHEET = "Guidance"


class Kind(Enum):
    TEXT = "text"
    HEX = "hex"
    HEX_LIST = "hex list"
    DATE = "date"
    ENUM = "enumeration"
    CPA_CERTIFICATE = "CPA certificate number"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: Kind
    required: bool
    guidance: str
    min_length: int = 1
    max_length: int = 200
    choices: tuple[str, ...] = ()
    #: Other spellings of a choice that read as it (an enumeration's aliases, as data).
    spellings: Mapping[str, str] = dataclass_field(default_factory=dict)
    #: Spellings that mean "none", read as an empty cell (the SEC's 'GBCS Version 0.0' for SMETS1).
    none_spellings: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The header as matched: case and surrounding spaces ignored."""
        return normalise_header(self.header)


def normalise_header(text: str) -> str:
    return " ".join(text.split()).casefold()


def _hex(header: str, field: str, low: int, high: int, guidance: str, required: bool = True) -> Column:
    return Column(header, field, Kind.HEX, required, guidance, min_length=low, max_length=high)


ENTRY_COLUMNS: tuple[Column, ...] = (
    Column(
        "Submission Type",
        "submission_type",
        Kind.ENUM,
        True,
        "New, Firmware Update (reusing certificates) or SMETS1 (DCC only).",
        choices=tuple(SubmissionType),
    ),
    Column(
        "Physical Device Type",
        "physical_device_type",
        Kind.ENUM,
        True,
        "One of the nine Physical Device Types, spelled exactly.",
        choices=tuple(PhysicalDeviceType),
        spellings=dict(PHYSICAL_DEVICE_TYPE_SPELLINGS),
    ),
    Column("Manufacturer", "manufacturer", Kind.TEXT, True, "Manufacturer name, 1-30 characters.", max_length=30),
    _hex("Manufacturer ID", "manufacturer_id", 4, 4, "4 hex digits, e.g. 106C."),
    Column("Model", "model", Kind.TEXT, True, "Model name, 1-30 characters.", max_length=30),
    _hex("Model ID", "model_id", 4, 4, "4 hex digits."),
    _hex("Hardware Version", "hardware_version", 4, 4, "4 hex digits."),
    _hex("Firmware Version", "firmware_version", 1, 8, "1-8 hex digits."),
    Column(
        "Release Notes",
        "release_notes",
        Kind.TEXT,
        True,
        "Reference to the manufacturer release notes (document name or URL).",
    ),
    Column(
        "Technical Specification",
        "technical_specification",
        Kind.TEXT,
        True,
        "SMETS / CHTS version, e.g. SMETS2 v4.2, CHTS v1.4, SMETS1 v1.2.",
    ),
    Column(
        "GBCS Version",
        "gbcs_version",
        Kind.TEXT,
        True,
        "GBCS version, e.g. v4.2. Leave empty for SMETS1 entries (the SEC writes GBCS Version 0.0).",
        max_length=20,
        none_spellings=("GBCS Version 0.0",),
    ),
    Column(
        "ZigBee Certificate",
        "zigbee_certificate",
        Kind.TEXT,
        False,
        "ZigBee certificate number, where the type needs one.",
    ),
    Column(
        "DLMS Certificate", "dlms_certificate", Kind.TEXT, False, "DLMS certificate number, for electricity meters."
    ),
    Column(
        "CPA Certificate",
        "cpa_certificate",
        Kind.CPA_CERTIFICATE,
        False,
        "CPA certificate number, where the type needs one (not SMETS1). The SEC's prefixes are read: "
        "[E] a standard certificate, [R] a lifetime one.",
    ),
    Column(
        "CPA Expiry Date",
        "cpa_expiry",
        Kind.DATE,
        False,
        "Expiry date on the CPA certificate; for a lifetime [R] certificate, its renewal date.",
    ),
    Column(
        "CPA Conditional Date",
        "cpa_conditional_date",
        Kind.DATE,
        False,
        "For a conditional CPA certificate: the date its conditions must be met by.",
    ),
    _hex(
        "Manufacturer Image Hash",
        "manufacturer_image_hash",
        64,
        64,
        "Optional SHA-256 of the Manufacturer Image, 64 hex digits. The workbook must then be signed.",
        required=False,
    ),
    Column(
        "Manufacturer Image Creator",
        "manufacturer_image_creator",
        Kind.TEXT,
        False,
        "Who created the Manufacturer Image; required with a hash.",
    ),
    Column(
        "Firmware Mapping Evidence",
        "firmware_mapping_evidence",
        Kind.TEXT,
        False,
        "Where a ZigBee/DLMS certificate names other firmware: evidence it still maps.",
    ),
    Column(
        "Confirming Supplier",
        "confirming_supplier",
        Kind.TEXT,
        False,
        "Firmware updates submitted by a manufacturer: the supplier party id that confirms it.",
        max_length=60,
    ),
    Column(
        "Compliance Statement",
        "compliance_statement",
        Kind.TEXT,
        False,
        "SMETS1 entries: reference to the compliance statement.",
    ),
    # The SEC list's own attributes (CONTRACT.md 4.1): optional, kept with the entry and published.
    Column(
        "CPA Security Characteristics Version",
        "cpa_security_characteristics",
        Kind.TEXT,
        False,
        "The CPA security characteristics version the certificate was issued against.",
        max_length=40,
    ),
    Column("DLMS Version", "dlms_version", Kind.TEXT, False, "The DLMS CTT version, e.g. CTT 3.1.", max_length=10),
    Column(
        "ZSE Version",
        "zse_version",
        Kind.TEXT,
        False,
        "The ZigBee Smart Energy version, e.g. ZigBee Smart Energy Standard 1.4.",
        max_length=40,
    ),
    Column(
        "Manufacturer Image Descriptor",
        "manufacturer_image_descriptor",
        Kind.TEXT,
        False,
        "Whether the image is whole or a fragment, and the ZigBee bands (optional, with a hash).",
        max_length=100,
    ),
)

CERTIFICATE_COLUMNS: tuple[Column, ...] = (
    Column("Scheme", "scheme", Kind.ENUM, True, "ZigBee, DLMS or CPA.", choices=tuple(AssuranceScheme)),
    Column("Certificate Number", "certificate_number", Kind.TEXT, True, "As printed on the certificate."),
    _hex("Manufacturer ID", "manufacturer_id", 4, 4, "4 hex digits."),
    _hex("Model ID", "model_id", 4, 4, "4 hex digits."),
    _hex("Hardware Version", "hardware_version", 4, 4, "4 hex digits."),
    Column(
        "Firmware Versions",
        "firmware_versions",
        Kind.HEX_LIST,
        True,
        "Firmware versions printed on the certificate, comma separated hex.",
    ),
    Column("Issued", "issued", Kind.DATE, True, "Issue date."),
    Column("Expiry", "expiry", Kind.DATE, False, "Expiry date (CPA certificates)."),
    Column(
        "Conditional Date",
        "conditional_date",
        Kind.DATE,
        False,
        "Conditional CPA certificates: when the conditions must be met by.",
    ),
)

#: Sheets a submission must have, with their columns.
SHEETS: dict[str, tuple[Column, ...]] = {
    ENTRY_SHEET: ENTRY_COLUMNS,
    CERTIFICATE_SHEET: CERTIFICATE_COLUMNS,
}

#: Certificate column of the entry sheet for each scheme.
CERTIFICATE_FIELD: dict[AssuranceScheme, str] = {
    AssuranceScheme.ZIGBEE: "zigbee_certificate",
    AssuranceScheme.DLMS: "dlms_certificate",
    AssuranceScheme.CPA: "cpa_certificate",
}


def column_for(sheet: str, field: str) -> Column:
    for column in SHEETS[sheet]:
        if column.field == field:
            return column
    raise KeyError(f"{sheet} has no column for {field}")
