"""The SEC's own Central Products List workbook (CONTRACT.md section 4): its list and history read into
plain values, and the cell values that write them back.

SECAS keeps the list today as a macro-enabled workbook (version 2.051). Reading it is how the project
takes over the SEC's entries, numbering and history (4.2); writing its layout is how a published
version reaches those who read the SEC's file (4.4). The layout's texts (header rows, titles,
guidance) are data here, copied once from version 2.051. Pure: the safe reader hands the cells over
and ``cpl.workbook.sec_layout`` writes them.

What version 2.051 showed, and this module therefore accepts: columns found by their group and
attribute text, white space around any value and case in any enumerated or hex value, hardware
octets stored as number cells (the number 12 for the octet ``12``), CPA dates as date cells or as
``dd/mm/yyyy`` and ``dd-mm-yyyy`` text, and DLMS versions no longer among the valid values
(``CTT 3.0``), kept as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cpl.core.domain import CPA_PREFIX_LETTERS, CpaKind
from cpl.core.findings import Code, Finding, finding, sort_findings
from cpl.core.schema import normalise_header
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.specs import SpecKind, SpecRegistry, UnknownVersion
from formats.vocabulary import CPL_CONTROLLED_TYPES, PHYSICAL_DEVICE_TYPE_SPELLINGS, PhysicalDeviceType

VERSION_SHEET = "Version Control"
LIST_SHEET = "Central Products List"
CSV_SHEET = "CPL - saveable in CSV"

# --- the values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecEntry:
    """One entry of the SEC list, its values in the project's stored form (CONTRACT.md 4.1)."""

    number: int
    #: ``Current``; ``Removed`` is False.
    current: bool
    physical_device_type: PhysicalDeviceType
    manufacturer_id: str
    model_id: str
    #: Version and revision octets joined: ``00`` and ``AC`` are ``00AC``.
    hardware_version: str
    firmware_version: str
    #: The registry's version string: ``CHTS v1.0``, ``SMETS2 v4.2``, ``SMETS1 v1.2``.
    technical_specification: str
    #: The registry's version string (``v3.2``); None for the SEC's ``GBCS Version 0.0`` (SMETS1).
    gbcs_version: str | None
    #: The number without its ``[E] `` / ``[R] `` prefix.
    cpa_certificate: str | None
    #: From the prefix; None when the number has none.
    cpa_kind: CpaKind | None
    cpa_security_characteristics: str | None
    #: The expiry date of a standard certificate, the renewal date of a lifetime one.
    cpa_date: dt.date | None
    dlms_certificate: str | None
    dlms_version: str | None
    zse_certificate: str | None
    zse_version: str | None
    manufacturer_image_creator: str | None
    #: 64 hex digits, upper case.
    manufacturer_image_hash: str | None
    manufacturer_image_descriptor: str | None
    #: The spreadsheet row it was read from (0 when it was not read from a sheet).
    row: int = 0


@dataclass(frozen=True)
class VersionRecord:
    """One row of the Version Control tab's history."""

    version: str
    issued: dt.date
    #: The ``Changes incorporated`` text, in the SEC's words.
    changes: str


@dataclass(frozen=True)
class SecList:
    """The SEC workbook as read: its version, every entry that read cleanly, its history.

    A row with a finding is not among ``entries``; its finding names it. The import is all or
    nothing (4.2), so a caller that finds ``findings`` non-empty imports nothing.
    """

    version: str | None
    issued: dt.date | None
    entries: tuple[SecEntry, ...]
    history: tuple[VersionRecord, ...]
    findings: tuple[Finding, ...]


# --- the layout ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ListColumn:
    """One attribute column of the ``Central Products List`` tab: its header rows' texts as the SEC
    wrote them (version 2.051), and the words a finding uses for it. Each column is one object, equal
    only to itself."""

    group: str
    attribute: str
    notes: str
    conditionality: str
    source: str
    format: str
    valid_values: str
    what: str
    #: Other attribute texts that name this column (the New Entry form writes ``Version_number``).
    attribute_aliases: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``Group.attribute``, as the CSV tab heads its columns and findings name them."""
        return f"{self.group}.{self.attribute}"

    @property
    def choices(self) -> tuple[str, ...]:
        """The values listed after the SEC's ``Must be one of :``; empty for free text."""
        _, intro, listed = self.valid_values.partition("Must be one of :")
        if not intro:
            return ()
        return tuple(line.strip()[2:].strip() for line in listed.splitlines() if line.strip().startswith("- "))


#: The first cell of each header row of the list tab, top to bottom; entries start below the last.
LIST_ROW_LABELS: tuple[str, ...] = (
    "Data Group",
    "Data Attribute",
    "Notes",
    "Conditionality rule",
    "Source of definition",
    "Format",
    "Valid values",
)

NUMBER = ListColumn(
    "Entry",
    "number",
    "This field is to identify uniquely each CPL entry. Entries will never be deleted once "
    "created. This field is to aid configuration management",
    "Must be specified",
    "Panel configuration management",
    "6 octet utf-8 string containing a unique number serially allocated from 000001 ",
    "000001 to 999999",
    what="entry number",
)
STATUS = ListColumn(
    "Entry",
    "status",
    "This field annotates whether the entry detailed in a row can be used at this version of the "
    "CPL. Only entries marked 'Current' shall be treated as being on the Central Products List, "
    "with the SEC meaning.",
    "Must be specified",
    "Panel configuration management",
    "7 octet utf-8 string",
    "Must be one of :\r\n - Current\r\n - Removed\r\n",
    what="entry status",
)
DEVICE_TYPE = ListColumn(
    "Device_Type",
    "name",
    "A SEC categorisation of devices, which derives from the SMETS /CHTS categories. Note that, "
    "as per clause 2.9 of the SEC Subsidiary Document, Inventory Enrolment and Withdrawal "
    "Procedures, 'a Type 2 Device shall not be identified in the Certified Products List'. Hence "
    "'Type 2 Device' is not included as a Physical Device Type in the CPL.\n"
    "The Physical Device Type 'Standalone Auxiliary Proportional Controller' must be submitted "
    "as Physical Device Type 'Single Element Electricity Meter'.",
    "Must be specified",
    "SEC Section A, Physical Device Type definition",
    "Up to 50 octet utf-8 string",
    "Must be one of :\r\n"
    " - Communications Hub\r\n"
    " - Gas Smart Meter\r\n"
    " - HAN Connected Auxiliary Load Control Switch\r\n"
    " - Polyphase Electricity Metering Equipment\r\n"
    " - Pre-Payment Interface Device\r\n"
    " - Single Element Electricity Metering Equipment\r\n"
    " - Twin Element Electricity Metering Equipment\r\n",
    what="Physical Device Type",
)
MANUFACTURER_ID = ListColumn(
    "Device_Model",
    "manufacturer_identifier",
    "A unique identifier for a Manufacturer, assigned by Zigbee. This string is a hexadecimal "
    "representation of  the 'Manufacturer Code' field, which is a mandatory element of an OTA "
    "Header. It is an unsigned 16 bit integer (so representable as 2 octets). In this CPL this "
    "shall be in big endian format. ",
    "Must be specified",
    "SEC Section A, Device Model definition for requirement. ZigBee OTA via GBCS  for format and valid values.",
    "5 octet utf-8 string whose value is a human readable form of the 'Manufacturer code' in the "
    "format XX:XX where each X is one of the characters 0 to 9 or A to F",
    "00:00 to FF:FE (as per the OTA specification FF:FF has a special meaning and so is not in the valid range)",
    what="manufacturer identifier",
)
MODEL_ID = ListColumn(
    "Device_Model",
    "model_identifier",
    "A manufacturer allocated identifier for a particular product. This string is a hexadecimal "
    "representation of the 'Image Type' field, which is a mandatory element of an OTA Header. It "
    "is an unsigned 16 bit integer (so representable as 2  octets).  In this CPL this shall be "
    "in big endian format.",
    "Must be specified",
    "SEC Section A, Device Model definition for requirement. ZigBee OTA via GBCS for format and valid values",
    "5 octet utf-8 string whose value is a human readable form of the 'Image Type' in the format "
    "XX:XX where each X is one of the characters 0 to 9 or A to F",
    "00:00 to FF:BF (as per the OTA specification other values have special meaning and so are not in the valid range)",
    what="model identifier",
)
HARDWARE_VERSION = ListColumn(
    "Device_Model",
    "hardware_version.version",
    "Part of the hardware version for this device. This string is a hexadecimal representation "
    "of the 'Version' part of 'Hardware Version' field, which is a mandatory element of an OTA "
    "Header. It is an unsigned 8 bit integer (so representable as an octet) .",
    "Must be specified",
    "SEC Section A, Device Model definition for requirement. ZigBee OTA via GBCS  for format and valid values",
    "2 octet utf-8 string whose value is a human readable form of the 'Version' part of "
    "'Hardware Version' in the format XX where each X is one of the characters 0 to 9 or A to F",
    "00 to FF",
    what="hardware version",
)
HARDWARE_REVISION = ListColumn(
    "Device_Model",
    "hardware_version.revision",
    "Part of the hardware version for this device. This string is a hexadecimal representation "
    "of the 'Revision' part of 'Hardware Version' field, which is a mandatory element of an OTA "
    "Header. It is  an unsigned 8 bit integer (so representable as an octet).",
    "Must be specified",
    "SEC Section A, Device Model definition for requirement. ZigBee OTA via GBCS  for format and valid values",
    "2 octet utf-8 string whose value is a human readable form of the 'Revision' part of "
    "'Hardware Version' in the format XX where each X is one of the characters 0 to 9 or A to F",
    "00 to FF",
    what="hardware revision",
)
FIRMWARE_VERSION = ListColumn(
    "Device_Model",
    "firmware_version",
    "Specifies the version of firmware covered by this entry. This string is a hexadecimal "
    "representation of the  'File Version' field, which is a mandatory element of an OTA Header. "
    "It is an unsigned 32 bit integer (so representable as 4 octets).  In this CPL this shall be "
    "in big endian format.",
    "Must be specified",
    "SEC Section A, Device Model definition for requirement. ZigBee OTA via GBCS  for format and valid values",
    "11 octet utf-8 string whose value is a human readable form of the File Version in the "
    "format XX:XX:XX:XX where each X is one of the characters 0 to 9 or A to F",
    "00:00:00:00 to FF:FF:FF:FF (note that the use of the octets as (octet 1) Application "
    "Release, (octet 2) Application Build, (octet 3) Stack Release and (octet 4) Stack Build is "
    "recommended in OTA but not mandated and so is not mandated in the CPL)",
    what="firmware version",
)
TECHNICAL_SPECIFICATION = ListColumn(
    "SMETS_CHTS Version",
    "Version_number_and_effective_date",
    "Identifies the version of SMETS or CHTS against which the assurance certificates were issued. ",
    "SMETS2+ Device Model:\n"
    "Must be specified. CHTS version must be specified where Device_Type is 'Communications "
    "Hub'. Otherwise SMETS version  must be specified.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must use 'SMETS V1.2'",
    "SEC CPL Requirements Document requirement",
    "Up to 14 octet utf-8 string ",
    "Must be one of :\r\n"
    " - CHTS V1.0\r\n"
    " - CHTS V1.1\r\n"
    " - CHTS V1.3\r\n"
    " - CHTS V1.4\r\n"
    " - CHTS V1.5\r\n"
    " - SMETS V1.2\r\n"
    " - SMETS V2.0\r\n"
    " - SMETS V3.1\r\n"
    " - SMETS V4.2\r\n"
    " - SMETS V4.3\r\n"
    " - SMETS V4.4\r\n"
    " - SMETS V5.0\r\n"
    " - SMETS V5.1\r\n",
    what="SMETS/CHTS version",
    attribute_aliases=("Version_number",),
)
GBCS_VERSION = ListColumn(
    "GBCS Version",
    "version_number",
    "Identifies the version of GBCS to which the specified SMETS / CHTS version relates.",
    "SMETS2+ Device Model:\nMust be specified.\n\nSMETS1 Device Model: \nMust use 'GBCS Version 0.0'",
    "SEC CPL Requirements Document requirement",
    "Up to 20 octet utf-8 string  ",
    "Must be one of :\r\n"
    " - GBCS Version 0.0\r\n"
    " - GBCS Version 1.1\r\n"
    " - GBCS Version 2.0\r\n"
    " - GBCS Version 2.1\r\n"
    " - GBCS Version 3.2\r\n"
    " - GBCS Version 4.0\r\n"
    " - GBCS Version 4.1\r\n",
    what="GBCS version",
)
CPA_CERTIFICATE = ListColumn(
    "CPA_Certificate",
    "identification_number",
    "Uniquely identifies a CPA certificate. The format is not specified in SEC. This field is "
    "not required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version.\n"
    "\n"
    "At current SMETS/CHTS, must be empty if SMETS2+ Device Type is:\n"
    "- 'Pre-Payment Interface Device'\n"
    "\n"
    "Must be populated and valid otherwise.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty\n"
    "\n",
    "SEC CPL Requirements Document defines CPA Certificate and requirements. ",
    "Up to 24 octet utf-8 string; permitted characters range from 'space' (DEC 32) to 'tilde' "
    "(DEC 126); leading or trailing 'space' (DEC 32) characters are not permitted.\n"
    'Prefix "[E] " for standard CPA certificates \n'
    'Prefix "[R] " for lifetime CPA certificates',
    "SMETS2+ Device Model:\n"
    "At current SMETS/CHTS, must be empty if SMETS2+ Device Type is:\n"
    "- 'Pre-Payment Interface Device';\n"
    "\n"
    "Must be populated and valid otherwise\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    what="CPA certificate",
)
CPA_SECURITY_CHARACTERISTICS = ListColumn(
    "CPA_Certificate",
    "security_characteristics_version",
    "Details the version of the security characteristics that this Certificate was issued "
    "against. The format is not specified in SEC. This field is not required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version.\n"
    "\n"
    "At current SMETS/CHTS, must be marked 'Not Relevant'  if SMETS2+ Device Type is:\n"
    "- 'Pre-Payment Interface Device'\n"
    "\n"
    "Must be populated and valid otherwise.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    "SEC CPL Requirements Document defines CPA Certificate and requirements. ",
    "Up to 40 octet utf-8 string",
    "SMETS1 Device Model must be empty;\n"
    "\n"
    "For SMETS2+ Device Model only:Must be one of :\r\n"
    " - Not Relevant\r\n"
    " - Security Characteristics version 1.2\r\n"
    " - Security Characteristics version 1.3\r\n",
    what="CPA security characteristics version",
)
CPA_DATE = ListColumn(
    "CPA_Certificate",
    "expiry_date",
    "The expiry date or renewal date of the certificate. The format is not specified in SEC in "
    "SEC but the field may be required for automated processing.",
    "SMETS2+ Device Model:\nAs for CPA_Certificate.issue_number\n\nSMETS1 Device Model:\nMust be empty",
    "SEC CPL Requirements Document defines CPA Certificate and requirements. ",
    "10 octet utf-8 string in dd/mm/yyyy format",
    "At current SMETS/CHTS, must be empty if Device Type is:\n"
    "- 'Pre-Payment Interface Device'; \n"
    "\n"
    "Must be populated and valid otherwise.\n"
    "\n"
    "If this entry's status is current: \n"
    '- Standard certificate "[E] ": Any valid date from the date of issue of this version of the '
    "CPL to a date 6 years hence.\n"
    '- Lifetime certificate "[R] ": Any valid date.\n'
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    what="CPA expiry or renewal date",
)
DLMS_CERTIFICATE = ListColumn(
    "DLMS_Certificate",
    "identification_number",
    "Uniquely identifies a DLMS certificate. The format is not specified in SEC and is not "
    "required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version.\n"
    "\n"
    "At current SMETS/CHTS, can be empty if SMETS2+ Device Type is not one of:\n"
    "- 'Single Element Electricity Metering Equipment'\n"
    "- 'Twin Element Electricity Metering Equipment'\n"
    "- 'Polyphase Electricity Metering Equipment'\n"
    "- 'Standalone Auxiliary Proportional Controller'\n"
    "\n"
    "Must be populated and valid otherwise.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    "SEC CPL Requirements Document defines DLMS Certificate and requirements. ",
    "Up to 10 octet utf-8 string",
    "SMETS2+ Device Model:\n"
    "At current SMETS/CHTS, must be populated and valid if Device Type is one of:\n"
    "- 'Single Element Electricity Metering Equipment'\n"
    "- 'Twin Element Electricity Metering Equipment'\n"
    "- 'Polyphase Electricity Metering Equipment'\n"
    "- 'Standalone Auxiliary Proportional Controller'\n"
    "\n"
    "Not required otherwise.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    what="DLMS certificate",
)
DLMS_VERSION = ListColumn(
    "DLMS_Certificate",
    "DLMS_version",
    "Details the version of DLMS COSEM that this Certificate was issued against. The format is "
    "not specified in SEC and is not required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version.\n"
    "\n"
    "At current SMETS/CHTS, can be empty if SMETS2+ Device Type is not one of:\n"
    "- 'Single Element Electricity Metering Equipment'\n"
    "- 'Twin Element Electricity Metering Equipment'\n"
    "- 'Polyphase Electricity Metering Equipment'\n"
    "- 'Standalone Auxiliary Proportional Controller'\n"
    "\n"
    "Must be populated and valid otherwise.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    "SEC CPL Requirements Document defines DLMS Certificate and requirements. ",
    "Up to 10 octet utf-8 string",
    "SMETS1 Device Model must be empty;\n"
    "\n"
    "For SMETS2+ Device Model only:Must be one of :\r\n"
    " - CTT 3.1\r\n"
    " - CTT 4.0\r\n"
    " - CTT 4.1\r\n"
    " - CTT 4.2\r\n",
    what="DLMS version",
)
ZSE_CERTIFICATE = ListColumn(
    "ZSE_Certificate",
    "identification_number",
    "Uniquely identifies a ZSE certificate. The format is not specified in SEC and is not "
    "required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be populated "
    "and valid for all SMETS2+ Device Types.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    "SEC CPL Requirements Document defines requirements. ",
    "Up to 40 octet utf-8 string",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be populated "
    "and valid for all SMETS2+ Device Types.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    what="ZSE certificate",
)
ZSE_VERSION = ListColumn(
    "ZSE_Certificate",
    "ZSE_version",
    "Details the version ZSE that this Certificate was issued against. The format is not "
    "specified in SEC and is not required for automated matching.",
    "SMETS2+ Device Model:\n"
    "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be populated "
    "and valid for all SMETS2+ Device Types.\n"
    "\n"
    "SMETS1 Device Model:\n"
    "Must be empty",
    "SEC CPL Requirements Document defines requirements. ",
    "Up to 40 octet utf-8 string",
    "SMETS1 Device Model must be empty;\n"
    "\n"
    "For SMETS2+ Device Model only:Must be one of :\r\n"
    " - ZigBee Smart Energy Standard 1.2a\r\n"
    " - ZigBee Smart Energy Standard 1.2b\r\n"
    " - ZigBee Smart Energy Standard 1.4\r\n",
    what="ZSE version",
)
IMAGE_CREATOR = ListColumn(
    "Manufacturer_Image",
    "creator",
    "To identifier the creator of the Manufacturer Image. The format is not specified in SEC but "
    "may be required for automated processing.",
    "SMETS1 Device Model and SMETS2+ Device Model:\n"
    "Fields in Manufacturer_Image must should all be empty or all validly populated. It is a "
    "decision for manufacturers as to whether providing a Manufacturer Image is required for a "
    "particular CPL entry.",
    "SEC CPL Requirements Document defines Manufacturer Image requirements. ",
    "Up to 100 octet utf-8 string",
    "Any utf-8 string of length up to 100 octets in length.",
    what="Manufacturer Image creator",
)
IMAGE_HASH = ListColumn(
    "Manufacturer_Image",
    "hash",
    "In line with SEC, a SHA256 hash calculated over the Manufacturer Image.",
    "SMETS1 Device Model and SMETS2+ Device Model:\nAs for Manufacturer_Image.creator",
    "SEC CPL Requirements Document defines Manufacturer Image requirements. ",
    "95 octet utf-8 string whose value is a human readable form of the hash in the format "
    "XX:XX:…:XX where each X is one of the characters 0 to 9 or A to F",
    "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00 to "
    "FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF",
    what="Manufacturer Image hash",
)
IMAGE_DESCRIPTOR = ListColumn(
    "Manufacturer_Image",
    "descriptor",
    "To describe \n"
    "(a) whether this is an image in its entirety or a fragment of a larger image \n"
    "(b) the ZigBee band(s) supported by the Device. \n"
    "The field is optional and for the manufacturer to chose how and whether they populate. \n"
    'For example "Fragment 1 of 2 of FW Version XX:XX:XX:XX; Dual Band"',
    "SMETS1 Device Model and SMETS2+ Device Model:\n"
    "Optional but should only be populated if Manufacturer_Image.hash is populated",
    "SEC CPL Requirements Document requirement",
    "Up to 45 octet utf-8 string",
    "Any utf-8 string of length up to 45 octets in length.",
    what="Manufacturer Image descriptor",
)

#: The list tab's attribute columns, left to right (columns B to U; column A holds the row labels).
LIST_COLUMNS: tuple[ListColumn, ...] = (
    NUMBER,
    STATUS,
    DEVICE_TYPE,
    MANUFACTURER_ID,
    MODEL_ID,
    HARDWARE_VERSION,
    HARDWARE_REVISION,
    FIRMWARE_VERSION,
    TECHNICAL_SPECIFICATION,
    GBCS_VERSION,
    CPA_CERTIFICATE,
    CPA_SECURITY_CHARACTERISTICS,
    CPA_DATE,
    DLMS_CERTIFICATE,
    DLMS_VERSION,
    ZSE_CERTIFICATE,
    ZSE_VERSION,
    IMAGE_CREATOR,
    IMAGE_HASH,
    IMAGE_DESCRIPTOR,
)

#: The list tab's seven header rows as written: each row's label, then its text for every column.
LIST_HEADER_ROWS: tuple[tuple[str, ...], ...] = tuple(
    (label, *(getattr(column, part) for column in LIST_COLUMNS))
    for label, part in zip(
        LIST_ROW_LABELS,
        ("group", "attribute", "notes", "conditionality", "source", "format", "valid_values"),
        strict=True,
    )
)

#: The CSV tab's single header row.
CSV_HEADER: tuple[str, ...] = (
    "Version",
    NUMBER.label,
    STATUS.label,
    DEVICE_TYPE.label,
    MANUFACTURER_ID.label,
    MODEL_ID.label,
    HARDWARE_VERSION.label,
    HARDWARE_REVISION.label,
    "Device_Model.model_identifier_concatenated_with_hardware_version",
    FIRMWARE_VERSION.label,
    TECHNICAL_SPECIFICATION.label,
    GBCS_VERSION.label,
    IMAGE_HASH.label,
)

#: The Version Control tab's texts, top to bottom (rows 1, 5 and 6, 8 and 10 of version 2.051).
VERSION_TITLE = "Central Products List (CPL)"
VERSION_GUIDANCE: tuple[str, ...] = (
    "Most fields in this file are locked against editing. SECAS personnel administering the CPL  should "
    "only modify the light yellow cells. Someone submitting a new CPL entry to SECAS should only modify "
    "the light green cells in the tab called 'CPL - New Entry'",
    "If a comma separated value (CSV) version of the CPL is required, the tab called 'CPL - saveable in "
    "CSV' can be saved in CSV format and includes all CPL details, save for informative parts. Note that "
    "the  'CPL - saveable in CSV' has a single header row containing field names for each column.",
)
VERSION_HISTORY_TITLE = "Version History"
VERSION_TABLE_HEADER: tuple[str, str, str] = (
    "Version Number (each issued version will increment this number by one)",
    "Date Of Issue",
    "Changes incorporated",
)

#: How the SEC spells the Physical Device Types whose names differ from the project's (4.1); the
#: others it spells as the project does. HCALCS is not yet in ``PHYSICAL_DEVICE_TYPE_SPELLINGS``.
SEC_DEVICE_TYPE_NAMES: Mapping[PhysicalDeviceType, str] = {
    PhysicalDeviceType.PPMID: "Pre-Payment Interface Device",
    PhysicalDeviceType.HCALCS: "HAN Connected Auxiliary Load Control Switch",
}

#: Device types a list entry may name but the CPL never lists (SEC Inventory Enrolment and Withdrawal
#: Procedures 2.9: Type 2 Devices, IHDs among them, are not identified in it).
_NOT_ON_THE_CPL_SPELLINGS: Mapping[str, PhysicalDeviceType] = {
    "Type 2 Device": PhysicalDeviceType.TYPE_2_DEVICE_OTHER,
    "In Home Display": PhysicalDeviceType.IHD,
    "In-Home Display": PhysicalDeviceType.IHD,
}
#: Submitted as Single Element Electricity Metering Equipment (the list tab's own note).
_SAPC = "Standalone Auxiliary Proportional Controller"

_DEVICE_TYPES: Mapping[str, PhysicalDeviceType] = {
    normalise_header(spelling): device_type
    for spelling, device_type in (
        *((t.value, t) for t in PhysicalDeviceType),
        *PHYSICAL_DEVICE_TYPE_SPELLINGS.items(),
        *((name, t) for t, name in SEC_DEVICE_TYPE_NAMES.items()),
        *_NOT_ON_THE_CPL_SPELLINGS.items(),
    )
}

_CURRENT, _REMOVED = "Current", "Removed"
_GBCS_NONE = "GBCS Version 0.0"
_HEX_OCTETS = re.compile(r"[0-9A-F]{2}(?::[0-9A-F]{2})*", re.ASCII)
_HEX_DIGITS = re.compile(r"(?:[0-9A-F]{2})+", re.ASCII)
_ENTRY_NUMBER = re.compile(r"[0-9]{6}", re.ASCII)
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})[/-]([0-9]{1,2})[/-]([0-9]{4})", re.ASCII)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_CPA_PREFIX = re.compile(r"\[\s*([^\]]*?)\s*\]\s*(.*)", re.DOTALL)
_VERSION_NUMBER = re.compile(r"([0-9]+)\.([0-9]+)", re.ASCII)
_VERSION_LABEL = re.compile(
    r"version\s+(\S+)\s+issued\s+on\s+([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})", re.IGNORECASE | re.ASCII
)
#: The SEC's version spellings taken apart, for versions the registry holds under no SEC alias.
_SEC_SPEC = re.compile(r"(smets|chts)\s*([0-9]?)\s+v\s*([0-9][0-9.]*)", re.IGNORECASE | re.ASCII)
_SEC_GBCS = re.compile(r"gbcs\s+(?:version\s+|v\s*)?([0-9][0-9.]*)", re.IGNORECASE | re.ASCII)
_REGISTRY_SPEC = re.compile(r"(SMETS|CHTS)[0-9]*\s+v(.+)", re.IGNORECASE)
#: The highest valid identifiers (the list tab's valid values: FF:FF and FF:C0 and above are special).
_HIGHEST_MANUFACTURER_ID = 0xFFFE
_HIGHEST_MODEL_ID = 0xFFBF
_HASH_OCTETS = 32
#: How the history table's first heading ('Version Number (each issued version …') begins, as ``_key`` spells it.
_HISTORY_HEADER_KEY = "version number"

_T = TypeVar("_T")

# --- reading the values ----------------------------------------------------------------------------


class _Invalid(Exception):
    """A cell that cannot be read: its finding's code and the sentence after the value's name."""

    def __init__(self, code: Code, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _text(value: CellValue) -> str:
    """A cell's text, surrounding white space dropped; a whole number cell reads as its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _whole_number(value: CellValue) -> int | None:
    """The value of a number cell holding a whole number; None for any other cell."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _required(value: CellValue) -> str:
    text = _text(value)
    if not text:
        raise _Invalid(Code.F001, "is required")
    return text


def _optional(value: CellValue) -> str | None:
    return _text(value) or None


def _key(text: str) -> str:
    """How enumerated values and headings match: case, white space and ``_``/``/`` separators aside."""
    return normalise_header(text.replace("_", " ").replace("/", " "))


def _entry_number(value: CellValue) -> int:
    number = _whole_number(value)
    if number is not None and 1 <= number <= 999_999:
        return number  # a number cell cannot keep leading zeros; its value is still the number
    text = _required(value)
    if not _ENTRY_NUMBER.fullmatch(text) or text == "000000":
        raise _Invalid(Code.F002, f"{text!r} is not six digits from 000001 to 999999")
    return int(text)


def _status(value: CellValue) -> bool:
    text = _required(value)
    key = normalise_header(text)
    if key == normalise_header(_CURRENT):
        return True
    if key == normalise_header(_REMOVED):
        return False
    raise _Invalid(Code.F002, f"{text!r} is not {_CURRENT} or {_REMOVED}")


def _device_type(value: CellValue) -> PhysicalDeviceType:
    text = _required(value)
    key = normalise_header(text)
    if key == normalise_header(_SAPC):
        raise _Invalid(
            Code.C006,
            f"{text!r} is not a type on the CPL: it is listed as {PhysicalDeviceType.SINGLE_ELEMENT_ELECTRICITY_METER}",
        )
    device_type = _DEVICE_TYPES.get(key)
    if device_type is None:
        raise _Invalid(Code.F002, f"{text!r} is not one of the seven types: {', '.join(DEVICE_TYPE.choices)}")
    if device_type not in CPL_CONTROLLED_TYPES:
        raise _Invalid(
            Code.C006,
            f"{text!r} is not a type on the CPL: Type 2 Devices, IHDs among them, are never listed",
        )
    return device_type


def _octets(value: CellValue, count: int, example: str) -> str:
    """Hex written as the SEC writes it (``10:6C``) or as plain digits, in any case; upper case out."""
    # a number cell holds hex that looked decimal (the real list has hardware octets like 12)
    number = _whole_number(value)
    text = str(number).zfill(2 * count) if number is not None and number >= 0 else _required(value)
    digits = text.upper()
    if ":" in digits:
        if not _HEX_OCTETS.fullmatch(digits):
            raise _Invalid(Code.F002, f"{text!r} is not hex octets written like {example}")
        digits = digits.replace(":", "")
    elif not _HEX_DIGITS.fullmatch(digits):
        raise _Invalid(Code.F002, f"{text!r} is not hex written like {example}")
    if len(digits) != 2 * count:
        written = "octet" if len(digits) == 2 else "octets"
        raise _Invalid(Code.F002, f"{text!r} has {len(digits) // 2} {written}; it takes {count}, like {example}")
    return digits


def _manufacturer_id(value: CellValue) -> str:
    digits = _octets(value, 2, "10:6C")
    if int(digits, 16) > _HIGHEST_MANUFACTURER_ID:
        raise _Invalid(Code.F002, f"{_colons(digits)} is outside 00:00 to FF:FE (FF:FF has a special meaning)")
    return digits


def _model_id(value: CellValue) -> str:
    digits = _octets(value, 2, "43:31")
    if int(digits, 16) > _HIGHEST_MODEL_ID:
        raise _Invalid(Code.F002, f"{_colons(digits)} is outside 00:00 to FF:BF (higher values have special meanings)")
    return digits


def _hardware_octet(value: CellValue) -> str:
    return _octets(value, 1, "AC")


def _firmware_version(value: CellValue) -> str:
    return _octets(value, 4, "12:40:74:DA")


def _image_hash(value: CellValue) -> str | None:
    if not _text(value):
        return None
    return _octets(value, _HASH_OCTETS, "13:7E:…:E9, 32 octets")


def _technical_specification(registry: SpecRegistry) -> Callable[[CellValue], str]:
    def convert(value: CellValue) -> str:
        text = _required(value)
        try:
            return registry.lookup(SpecKind.TECHNICAL_SPECIFICATION, text).version
        except UnknownVersion:
            pass
        match = _SEC_SPEC.fullmatch(text)
        if match is not None:
            family, generation, number = match.groups()
            # the SEC writes SMETS2 as plain 'SMETS V…'; SMETS1 only ever as 'SMETS V1.2', an alias
            # (the registry's lookup ignores case)
            name = family if family.upper() == "CHTS" else f"SMETS{generation or '2'}"
            try:
                return registry.lookup(SpecKind.TECHNICAL_SPECIFICATION, f"{name} v{number}").version
            except UnknownVersion:
                pass
        raise _Invalid(Code.V001, f"{text!r} is not a known SMETS or CHTS version")

    return convert


def _gbcs_version(registry: SpecRegistry) -> Callable[[CellValue], str | None]:
    def convert(value: CellValue) -> str | None:
        text = _required(value)
        if normalise_header(text) == normalise_header(_GBCS_NONE):
            return None
        try:
            return registry.lookup(SpecKind.GBCS, text).version
        except UnknownVersion:
            pass
        match = _SEC_GBCS.fullmatch(text)
        if match is not None:
            try:
                return registry.lookup(SpecKind.GBCS, match.group(1)).version
            except UnknownVersion:
                pass
        raise _Invalid(Code.V001, f"{text!r} is not a known GBCS version")

    return convert


def _cpa_certificate(value: CellValue) -> tuple[str, CpaKind | None] | None:
    text = _text(value)
    if not text:
        return None
    match = _CPA_PREFIX.fullmatch(text)
    if match is None:
        return text, None
    letter, number = match.group(1).upper(), match.group(2).strip()
    if letter not in CPA_PREFIX_LETTERS:
        raise _Invalid(
            Code.F002,
            f"{text!r} has the prefix [{match.group(1)}]: a CPA certificate is [E] (standard) or [R] (lifetime)",
        )
    if not number:
        raise _Invalid(Code.F002, f"{text!r} has a prefix but no certificate number")
    return number, CPA_PREFIX_LETTERS[letter]


def _date(value: CellValue) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    day_first = _DAY_MONTH_YEAR.fullmatch(text)
    iso = _ISO_DAY.fullmatch(text)
    try:
        if day_first is not None:
            day, month, year = (int(part) for part in day_first.groups())
            return dt.date(year, month, day)
        if iso is not None:
            return dt.date.fromisoformat(text)
    except ValueError:
        raise _Invalid(Code.F002, f"{text!r} is not a date") from None
    raise _Invalid(Code.F002, f"{text!r} is not a date written dd/mm/yyyy")


def _error_reason(error: str) -> str:
    """What follows a value's name for a cell holding a spreadsheet error value (``#N/A``, ``#REF!``)."""
    return f"holds the error value {error}, not a value: enter the value itself"


def _choice(column: ListColumn) -> Callable[[CellValue], str | None]:
    """An enumerated SEC-only value: the SEC's spelling when it matches one, else the text as given
    (2.051 still holds ``CTT 3.0``, taken off the valid values by version 2.009)."""
    spellings = {_key(choice): choice for choice in column.choices}

    def convert(value: CellValue) -> str | None:
        text = _text(value)
        return spellings.get(_key(text), text) if text else None

    return convert


# --- reading the list ------------------------------------------------------------------------------


class _Row:
    """One entry row's cells by column, and the findings met reading them."""

    def __init__(
        self, sheet: SheetData, row: int, cells: Sequence[CellValue], positions: Mapping[ListColumn, int]
    ) -> None:
        self.sheet = sheet
        self.row = row
        self.cells = cells
        self.positions = positions
        self.findings: list[Finding] = []

    def value(self, column: ListColumn) -> CellValue:
        index = self.positions[column]
        return self.cells[index] if index < len(self.cells) else None

    def read(self, column: ListColumn, convert: Callable[[CellValue], _T]) -> _T | None:
        if (self.row, self.positions[column]) in self.sheet.formula_cells:
            # a formula's cached value is never trusted
            self.fail(column, Code.F002, "holds a formula; enter the value itself")
            return None
        error = self.sheet.error_cells.get((self.row, self.positions[column]))
        if error is not None:
            # the reader hands an error value over as empty: never taken for a blank (F001) or a value
            self.fail(column, Code.F002, _error_reason(error))
            return None
        try:
            return convert(self.value(column))
        except _Invalid as invalid:
            self.fail(column, invalid.code, invalid.reason)
            return None

    def fail(self, column: ListColumn, code: Code, reason: str) -> None:
        message = f"The {column.what} {reason}."
        self.findings.append(finding(code, message, sheet=LIST_SHEET, row=self.row, column=column.label))


@dataclass(frozen=True)
class _Converters:
    """The readers that depend on the registry or on a column's valid values, made once per list."""

    technical_specification: Callable[[CellValue], str]
    gbcs_version: Callable[[CellValue], str | None]
    security_characteristics: Callable[[CellValue], str | None]
    dlms_version: Callable[[CellValue], str | None]
    zse_version: Callable[[CellValue], str | None]

    @classmethod
    def of(cls, registry: SpecRegistry) -> _Converters:
        return cls(
            _technical_specification(registry),
            _gbcs_version(registry),
            _choice(CPA_SECURITY_CHARACTERISTICS),
            _choice(DLMS_VERSION),
            _choice(ZSE_VERSION),
        )


def _entry(row: _Row, read_with: _Converters) -> SecEntry | None:
    number = row.read(NUMBER, _entry_number)
    current = row.read(STATUS, _status)
    device_type = row.read(DEVICE_TYPE, _device_type)
    manufacturer_id = row.read(MANUFACTURER_ID, _manufacturer_id)
    model_id = row.read(MODEL_ID, _model_id)
    hardware = row.read(HARDWARE_VERSION, _hardware_octet)
    revision = row.read(HARDWARE_REVISION, _hardware_octet)
    firmware = row.read(FIRMWARE_VERSION, _firmware_version)
    specification = row.read(TECHNICAL_SPECIFICATION, read_with.technical_specification)
    gbcs = row.read(GBCS_VERSION, read_with.gbcs_version)
    cpa = row.read(CPA_CERTIFICATE, _cpa_certificate)
    security = row.read(CPA_SECURITY_CHARACTERISTICS, read_with.security_characteristics)
    cpa_date = row.read(CPA_DATE, _date)
    dlms = row.read(DLMS_CERTIFICATE, _optional)
    dlms_version = row.read(DLMS_VERSION, read_with.dlms_version)
    zse = row.read(ZSE_CERTIFICATE, _optional)
    zse_version = row.read(ZSE_VERSION, read_with.zse_version)
    creator = row.read(IMAGE_CREATOR, _optional)
    image_hash = row.read(IMAGE_HASH, _image_hash)
    descriptor = row.read(IMAGE_DESCRIPTOR, _optional)
    if (
        row.findings
        or number is None
        or current is None
        or device_type is None
        or manufacturer_id is None
        or model_id is None
        or hardware is None
        or revision is None
        or firmware is None
        or specification is None
    ):
        return None
    return SecEntry(
        number=number,
        current=current,
        physical_device_type=device_type,
        manufacturer_id=manufacturer_id,
        model_id=model_id,
        hardware_version=hardware + revision,
        firmware_version=firmware,
        technical_specification=specification,
        gbcs_version=gbcs,
        cpa_certificate=None if cpa is None else cpa[0],
        cpa_kind=None if cpa is None else cpa[1],
        cpa_security_characteristics=security,
        cpa_date=cpa_date,
        dlms_certificate=dlms,
        dlms_version=dlms_version,
        zse_certificate=zse,
        zse_version=zse_version,
        manufacturer_image_creator=creator,
        manufacturer_image_hash=image_hash,
        manufacturer_image_descriptor=descriptor,
        row=row.row,
    )


def _all_rows(sheet: SheetData) -> tuple[tuple[int, tuple[CellValue, ...]], ...]:
    """Row 1 (the reader's header) with the rows below it: the SEC's tabs put their titles in row 1."""
    return ((1, tuple(sheet.header)), *sheet.rows)


def _first_cell(cells: Sequence[CellValue]) -> str:
    return _key(_text(cells[0])) if cells else ""


def _positions(group_cells: Sequence[CellValue], attribute_cells: Sequence[CellValue]) -> dict[tuple[str, str], int]:
    """Each (group, attribute) heading's column; a group written once over its columns (a merged
    cell) carries on to the right."""
    found: dict[tuple[str, str], int] = {}
    group = ""
    for index in range(1, max(len(group_cells), len(attribute_cells))):
        if index < len(group_cells) and _text(group_cells[index]):
            group = _key(_text(group_cells[index]))
        attribute = _key(_text(attribute_cells[index])) if index < len(attribute_cells) else ""
        if attribute:
            found.setdefault((group, attribute), index)
    return found


def _read_list(sheet: SheetData | None, registry: SpecRegistry) -> tuple[list[SecEntry], list[Finding]]:
    if sheet is None:
        return [], [finding(Code.WB002, f"The workbook has no '{LIST_SHEET}' tab.", sheet=LIST_SHEET)]
    rows = _all_rows(sheet)
    # the rows that matter are found by their label in column A: groups, attributes, and the valid
    # values, below which the entries start
    wanted_rows = (LIST_ROW_LABELS[0], LIST_ROW_LABELS[1], LIST_ROW_LABELS[-1])
    labelled: dict[str, tuple[int, tuple[CellValue, ...]]] = {}
    for number, cells in rows:
        labelled.setdefault(_first_cell(cells), (number, cells))
    missing = [label for label in wanted_rows if _key(label) not in labelled]
    if missing:
        return [], [
            finding(Code.WB002, f"The tab has no row headed '{label}' in column A.", sheet=LIST_SHEET)
            for label in missing
        ]
    (group_row, group_cells), (attribute_row, attribute_cells), (data_after, _) = (
        labelled[_key(label)] for label in wanted_rows
    )
    headings = _positions(group_cells, attribute_cells)
    positions: dict[ListColumn, int] = {}
    findings: list[Finding] = []
    for column in LIST_COLUMNS:
        for attribute in (column.attribute, *column.attribute_aliases):
            index = headings.get((_key(column.group), _key(attribute)))
            if index is not None:
                positions[column] = index
                break
        else:
            findings.append(
                finding(
                    Code.WB002,
                    f"The tab has no column headed '{column.group}' (row {group_row}) and "
                    f"'{column.attribute}' (row {attribute_row}).",
                    sheet=LIST_SHEET,
                    row=attribute_row,
                    column=column.label,
                )
            )
    if findings:
        return [], findings
    entries: list[SecEntry] = []
    first_row_of: dict[int, int] = {}
    wanted = sorted(positions.values())
    read_with = _Converters.of(registry)
    blank: set[int] = set()  # data rows with nothing in the list's columns (an error value reads as empty)
    for number, cells in rows:
        if number <= data_after or not any(_text(cells[i]) for i in wanted if i < len(cells)):
            blank.add(number)
            continue  # header rows, and rows with nothing in the list's columns
        row = _Row(sheet, number, cells, positions)
        entry = _entry(row, read_with)
        findings.extend(row.findings)
        if entry is None:
            continue
        if entry.number in first_row_of:
            findings.append(
                finding(
                    Code.D002,
                    f"Entry number {entry.number:06d} is also on row {first_row_of[entry.number]}; "
                    "an entry number is never used twice.",
                    sheet=LIST_SHEET,
                    row=number,
                    column=NUMBER.label,
                )
            )
            continue
        first_row_of[entry.number] = number
        entries.append(entry)
    read = {number for number, _ in rows} - blank
    findings.extend(_errors_in_blank_rows(sheet, data_after, read, positions))
    return entries, findings


def _errors_in_blank_rows(
    sheet: SheetData, data_after: int, read: set[int], positions: Mapping[ListColumn, int]
) -> list[Finding]:
    """F002 for the error values of entry rows that hold nothing else: like a blank row, such a row lists
    no entry, but its errors are never taken for blanks. (The reader leaves such rows out.)"""
    column_at = {index: column for column, index in positions.items()}
    return [
        finding(
            Code.F002,
            f"The {column_at[index].what} {_error_reason(error)}.",
            sheet=LIST_SHEET,
            row=number,
            column=column_at[index].label,
        )
        for (number, index), error in sorted(sheet.error_cells.items())
        if number > data_after and number not in read and index in column_at
    ]


# --- reading the history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _History:
    records: tuple[VersionRecord, ...]
    label: tuple[str, dt.date] | None
    findings: tuple[Finding, ...]


def _issue_date(value: CellValue) -> dt.date:
    if not _text(value):
        raise _Invalid(Code.F001, "is required")
    day = _date(value)
    assert day is not None  # not empty
    return day


def _version_number(value: CellValue) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # 2.050 typed into a number cell is 2.05, and 1.10 is 1.1: only text keeps a version
        raise _Invalid(Code.F002, f"{value!r} is a number cell; write the version as text, like 2.051")
    text = _required(value)
    if not _VERSION_NUMBER.fullmatch(text):
        raise _Invalid(Code.F002, f"{text!r} is not a version number like 2.051")
    return text


def _history_finding(code: Code, message: str, row: int | None = None, column: str | None = None) -> Finding:
    return finding(code, message, sheet=VERSION_SHEET, row=row, column=column)


def _label(rows: Sequence[tuple[int, tuple[CellValue, ...]]]) -> tuple[tuple[str, dt.date, int] | None, list[Finding]]:
    """The 'Version 2.051 Issued on 21-09-2022' line above the history table, with its row."""
    for number, cells in rows:
        text = _text(cells[0]) if cells else ""
        if not _key(text).startswith("version "):
            continue
        match = _VERSION_LABEL.fullmatch(text)
        if match is not None and _VERSION_NUMBER.fullmatch(match.group(1)):
            day, month, year = (int(part) for part in match.groups()[1:])
            try:
                return (match.group(1), dt.date(year, month, day), number), []
            except ValueError:
                pass
        message = f"The version label {text!r} is not written like 'Version 2.051 Issued on 21-09-2022'."
        return None, [_history_finding(Code.F002, message, number)]
    return None, []


#: What the history table's three columns hold, as a finding names them.
_HISTORY_WHAT = ("version number", "date of issue", "list of changes")


def _history_record(
    number: int, values: Sequence[CellValue], cell_errors: Sequence[str | None] = (None, None, None)
) -> tuple[VersionRecord | None, list[Finding]]:
    """One version's row; ``cell_errors`` the error value each of its three cells held, if any."""
    findings: list[Finding] = []

    def fail(index: int, invalid: _Invalid) -> None:
        message = f"The {_HISTORY_WHAT[index]} {invalid.reason}."
        findings.append(_history_finding(invalid.code, message, number, VERSION_TABLE_HEADER[index]))

    def read(index: int, convert: Callable[[CellValue], _T]) -> _T | None:
        if cell_errors[index] is not None:  # read as empty by the reader: never taken for a blank
            fail(index, _Invalid(Code.F002, _error_reason(cell_errors[index] or "")))
            return None
        try:
            return convert(values[index])
        except _Invalid as invalid:
            fail(index, invalid)
            return None

    version = read(0, _version_number)
    issued = read(1, _issue_date)
    changes = read(2, _text)
    if version is None or issued is None or changes is None:
        return None, findings
    return VersionRecord(version, issued, changes), findings


def _read_history(sheet: SheetData | None) -> _History:
    if sheet is None:
        return _History((), None, (_history_finding(Code.WB002, f"The workbook has no '{VERSION_SHEET}' tab."),))
    rows = _all_rows(sheet)
    header_at = next(
        (i for i, (_, cells) in enumerate(rows) if _first_cell(cells).startswith(_HISTORY_HEADER_KEY)), None
    )
    if header_at is None:
        message = f"The tab has no history table headed '{VERSION_TABLE_HEADER[0]}' in column A."
        return _History((), None, (_history_finding(Code.WB002, message),))
    label, findings = _label(rows[:header_at])
    header_row, header = rows[header_at]
    columns = [0]
    for title in VERSION_TABLE_HEADER[1:]:
        index = next((i for i, cell in enumerate(header) if _key(_text(cell)) == _key(title)), None)
        if index is None:
            findings.append(
                _history_finding(Code.WB002, f"The history table has no '{title}' column.", header_row, title)
            )
        else:
            columns.append(index)
    if len(columns) < len(VERSION_TABLE_HEADER):
        return _History((), None if label is None else label[:2], tuple(findings))
    records: list[VersionRecord] = []
    first_row_of: dict[str, int] = {}
    listed = {number for number, _ in rows}
    for (number, index), error in sorted(sheet.error_cells.items()):
        if number > header_row and number not in listed and index in columns:  # a row of error values alone
            position = columns.index(index)
            message = f"The {_HISTORY_WHAT[position]} {_error_reason(error)}."
            findings.append(_history_finding(Code.F002, message, number, VERSION_TABLE_HEADER[position]))
    for number, cells in rows[header_at + 1 :]:
        record, problems = _history_record(
            number,
            [cells[i] if i < len(cells) else None for i in columns],
            [sheet.error_cells.get((number, i)) for i in columns],
        )
        findings.extend(problems)
        if record is None:
            continue
        if record.version in first_row_of:
            message = (
                f"Version {record.version} is also on row {first_row_of[record.version]}; each version is listed once."
            )
            findings.append(_history_finding(Code.D002, message, number, VERSION_TABLE_HEADER[0]))
            continue
        first_row_of[record.version] = number
        records.append(record)
    if label is not None and records and (records[-1].version, records[-1].issued) != label[:2]:
        last = records[-1]
        message = (
            f"The label names version {label[0]} issued on {label[1]:%d/%m/%Y}, but the history's last row is "
            f"version {last.version} issued on {last.issued:%d/%m/%Y}."
        )
        findings.append(_history_finding(Code.F002, message, label[2]))
    return _History(tuple(records), None if label is None else label[:2], tuple(findings))


def parse_sec_list(workbook: WorkbookData, registry: SpecRegistry) -> SecList:
    """Read the SEC's workbook: the ``Central Products List`` tab's entries and the ``Version Control``
    tab's history and label. Every row that cannot be read is a finding naming its row and column."""
    entries, findings = _read_list(workbook.sheet(LIST_SHEET), registry)
    history = _read_history(workbook.sheet(VERSION_SHEET))
    findings.extend(history.findings)
    version: str | None = None
    issued: dt.date | None = None
    if history.label is not None:
        version, issued = history.label
    elif history.records:
        version, issued = history.records[-1].version, history.records[-1].issued
    return SecList(
        version=version,
        issued=issued,
        entries=tuple(entries),
        history=history.records,
        findings=tuple(sort_findings(findings)),
    )


# --- writing the values ----------------------------------------------------------------------------


def _colons(digits: str) -> str:
    """``106C`` as the SEC writes it: ``10:6C``."""
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def sec_version_text(kind: SpecKind, version: str | None) -> str:
    """A registry version as the SEC list spells it: ``SMETS2 v4.2`` is ``SMETS V4.2`` (so is SMETS1's
    ``v1.2``: SMETS1 has no other version), ``CHTS v1.0`` is ``CHTS V1.0``, GBCS ``v3.2`` is
    ``GBCS Version 3.2`` and no GBCS version (SMETS1) is ``GBCS Version 0.0``."""
    if kind is SpecKind.GBCS:
        if version is None:
            return _GBCS_NONE
        return f"GBCS Version {version.strip().removeprefix('v').removeprefix('V')}"
    if version is None:
        raise ValueError("a technical specification version is always given")
    match = _REGISTRY_SPEC.fullmatch(version.strip())
    if match is None:
        return version
    return f"{match.group(1).upper()} V{match.group(2)}"


def sec_device_type(device_type: PhysicalDeviceType) -> str:
    """The SEC's spelling of a Physical Device Type (``Pre-Payment Interface Device`` for the PPMID)."""
    return SEC_DEVICE_TYPE_NAMES.get(device_type, device_type.value)


def _cpa_text(entry: SecEntry) -> str | None:
    if entry.cpa_certificate is None:
        return None
    return (entry.cpa_kind.prefix if entry.cpa_kind is not None else "") + entry.cpa_certificate


def list_cells(entry: SecEntry) -> tuple[CellValue, ...]:
    """The entry's row of the ``Central Products List`` tab, all 21 columns: column A (the header
    rows' labels, empty on an entry row), then the attributes in the SEC formats of 4.1. The CPA date
    is a date cell; an empty value is None."""
    return (
        None,
        f"{entry.number:06d}",
        _CURRENT if entry.current else _REMOVED,
        sec_device_type(entry.physical_device_type),
        _colons(entry.manufacturer_id),
        _colons(entry.model_id),
        entry.hardware_version[:2],
        entry.hardware_version[2:],
        _colons(entry.firmware_version),
        sec_version_text(SpecKind.TECHNICAL_SPECIFICATION, entry.technical_specification),
        sec_version_text(SpecKind.GBCS, entry.gbcs_version),
        _cpa_text(entry),
        entry.cpa_security_characteristics,
        entry.cpa_date,
        entry.dlms_certificate,
        entry.dlms_version,
        entry.zse_certificate,
        entry.zse_version,
        entry.manufacturer_image_creator,
        None if entry.manufacturer_image_hash is None else _colons(entry.manufacturer_image_hash),
        entry.manufacturer_image_descriptor,
    )


def csv_cells(entry: SecEntry, label: str) -> tuple[str, ...]:
    """The entry's row of the ``CPL - saveable in CSV`` tab, 13 columns as the SEC writes them there:
    hex without colons, the model identifier joined with the hardware version (``433100AC``, the
    DCC inventory's Device Model), every row starting with the version label."""
    return (
        label,
        f"{entry.number:06d}",
        _CURRENT if entry.current else _REMOVED,
        sec_device_type(entry.physical_device_type),
        entry.manufacturer_id,
        entry.model_id,
        entry.hardware_version[:2],
        entry.hardware_version[2:],
        entry.model_id + entry.hardware_version,
        entry.firmware_version,
        sec_version_text(SpecKind.TECHNICAL_SPECIFICATION, entry.technical_specification),
        sec_version_text(SpecKind.GBCS, entry.gbcs_version),
        entry.manufacturer_image_hash or "",
    )


def history_cells(record: VersionRecord) -> tuple[str, str, str]:
    """A history row of the Version Control tab; the SEC writes the date as ``dd/mm/yyyy`` text."""
    return (record.version, f"{record.issued:%d/%m/%Y}", record.changes)


def version_label(version: str, issued: dt.date) -> str:
    """``Version 2.051 Issued on 21-09-2022``: the Version Control tab's label and the CSV's first column."""
    return f"Version {version} Issued on {issued:%d-%m-%Y}"


def next_version(version: str) -> str:
    """The version after ``version``: ``2.051`` -> ``2.052``.

    The SEC numbers its versions major.counter, and the counter is a count, not a decimal fraction:
    1.9 was followed by 1.10 and 1.99 by 1.100, up to 1.293; then the new layout began 2.000. So the
    counter counts on, keeping at least the digits it has (``2.999`` -> ``2.1000``); a new major
    version is SECAS's decision, never made here.
    """
    match = _VERSION_NUMBER.fullmatch(version.strip())
    if match is None:
        raise ValueError(f"{version!r} is not a version number like 2.051")
    major, counter = match.groups()
    return f"{major}.{int(counter) + 1:0{len(counter)}d}"


# --- describing changes ----------------------------------------------------------------------------

_COUNT_WORDS = ("One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
_LINE_BREAK = "\r\n"


def _count(number: int) -> str:
    """One to Ten in words, then digits (the SEC's '12 New SMETS1 Device Models added')."""
    return _COUNT_WORDS[number - 1] if 1 <= number <= len(_COUNT_WORDS) else str(number)


def _generation(entry: SecEntry) -> str:
    """SMETS1 or SMETS2: the SEC counts CHTS Communications Hubs among SMETS2 device models."""
    return "SMETS1" if entry.technical_specification.upper().startswith("SMETS1") else "SMETS2"


def _line(entry: SecEntry, names: Mapping[int, str]) -> str:
    firmware = _colons(entry.firmware_version)
    name = names.get(entry.number)
    if name:
        described = name if firmware in name else f"{name} {firmware}"
    else:
        described = (
            f"{sec_device_type(entry.physical_device_type)}, manufacturer {_colons(entry.manufacturer_id)}, "
            f"model {_colons(entry.model_id)}, hardware {_colons(entry.hardware_version)}, firmware {firmware}"
        )
    return f"{entry.number:06d} - {described}"


def _paragraphs(entries: Sequence[SecEntry], heading: str, names: Mapping[int, str]) -> list[str]:
    """A heading and one line per entry, by number; a heading naming ``{generation}`` makes one
    paragraph per generation, in the order the entries' numbers first name it."""
    groups: dict[str, list[SecEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.number):
        groups.setdefault(_generation(entry) if "{generation}" in heading else "", []).append(entry)
    paragraphs = []
    for generation, group in groups.items():
        models = "device model" if len(group) == 1 else "device models"
        first = heading.format(count=_count(len(group)), generation=generation, models=models)
        paragraphs.append(_LINE_BREAK.join([first, *(_line(entry, names) for entry in group)]))
    return paragraphs


def describe_changes(
    added: Sequence[SecEntry] = (),
    removed: Sequence[SecEntry] = (),
    restored: Sequence[SecEntry] = (),
    changed: Sequence[SecEntry] = (),
    *,
    names: Mapping[int, str] | None = None,
) -> str:
    """A version's ``Changes incorporated`` text, in the SEC's words and layout (2.051: 'Two new SMETS2
    device models added:' then one ``000731 - …`` line per entry, lines broken with CR LF).

    ``names`` gives an entry's description in words by number (the SEC writes the manufacturer, model
    and firmware: 'George Wilson Industries GSME FVI'); the list itself holds only identifiers, so
    an entry without a name is described by its type and identifiers. A version that changes no
    entry is '-', as the SEC wrote for version 1.1.
    """
    known = names or {}
    paragraphs = [
        *_paragraphs(added, "{count} new {generation} {models} added:", known),
        *_paragraphs(removed, "{count} {models} removed:", known),
        *_paragraphs(restored, "{count} {models}, status changed to Current:", known),
        *_paragraphs(changed, "{count} {models} updated:", known),
    ]
    return _LINE_BREAK.join(paragraphs) if paragraphs else "-"
