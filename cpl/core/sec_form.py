"""The SEC's New Entry form read as a submission (CONTRACT.md 4.3).

The form is the ``CPL - New Entry`` tab of the SEC's own workbook: one entry, written down a column
(``New Entry's Details``) against ``Data Group`` / ``Data Attribute`` rows. This module turns it into
the project's own layout (one ``CPL New Entry`` row, CONTRACT.md section 1) so that the ordinary
parser and rules judge it, and puts their findings back on the form's rows. Pure: cell values in,
values and findings out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from cpl.core.domain import DeviceModelKey, SubmissionType
from cpl.core.findings import Code, Finding, finding
from cpl.core.schema import (
    CERTIFICATE_COLUMNS,
    CERTIFICATE_SHEET,
    ENTRY_COLUMNS,
    ENTRY_SHEET,
    column_for,
    normalise_header,
)
from cpl.core.sheets import CellValue, SheetData, WorkbookData
from cpl.core.specs import SpecKind, version_key
from formats.vocabulary import PhysicalDeviceType

FORM_SHEET = "CPL - New Entry"
DETAILS_COLUMN = "New Entry's Details"

#: The form's header row, as the SEC writes it (row 6 of the real file).
FORM_HEADER: tuple[str, ...] = (
    "Data Group",
    "Data Attribute",
    "Notes",
    "Conditionality rule",
    "Format",
    "Valid values",
    DETAILS_COLUMN,
)

#: The form's title (A1) and its two lines of instructions (A3, A4), as in the real file.
FORM_TITLE = "Central Products List - New Entry Form"
FORM_INSTRUCTIONS: tuple[str, ...] = (
    "This form is to be used to submit a new Device Model and/or Manufacturer Image (with their SEC "
    "meanings) for inclusion in the CPL. Supporting material - specifically the required assurance "
    "certificates - will need to be provided along with this completed ",
    "Please only complete the cells marked in light green and yellow (if submitting a Manufacturer "
    "Image). The details on each row lay out the details required in each cases, and their format.",
)

#: What the SEC's blank form says in the details cell of the rows SECAS fills.
ALLOCATED_BY_SECAS = "This value is allocated by SECAS"

#: The real form's input fills: light green (theme accent 6, tint 0.8) and, for the Manufacturer
#: Image's hash and descriptor, yellow (theme accent 4, tint 0.6), as RGB.
INPUT_FILL = "E2EFDA"
IMAGE_INPUT_FILL = "FFE699"


@dataclass(frozen=True)
class FormRow:
    """One attribute row of the form, its texts as the SEC wrote them."""

    group: str
    attribute: str
    notes: str
    conditionality: str
    format: str
    valid_values: str
    #: The drop-down values (the "Must be one of" lists); empty for free text.
    choices: tuple[str, ...]
    #: A shaded cell the submitter fills.
    input: bool
    #: Entry.number and Entry.status: SECAS fills them, never the submitter.
    allocated_by_secas: bool
    #: The EntryRow field the value feeds, or None (contacts and FIR details: kept for audit only).
    field: str | None
    #: Shaded yellow, not green: filled only when submitting a Manufacturer Image.
    image_input: bool = False

    @property
    def label(self) -> str:
        """``Group.attribute``: how findings and the audit name the row."""
        return f"{self.group}.{self.attribute}"


_CHOICES_INTRO = "Must be one of :"


def _choices(valid_values: str) -> tuple[str, ...]:
    """The " - value" lines that follow the form's "Must be one of :"."""
    _, intro, listed = valid_values.partition(_CHOICES_INTRO)
    if not intro:
        return ()
    return tuple(line.strip()[2:].strip() for line in listed.splitlines() if line.strip().startswith("- "))


def _secas(group: str, attribute: str, notes: str, conditionality: str, format: str, valid_values: str) -> FormRow:
    return FormRow(
        group,
        attribute,
        notes,
        conditionality,
        format,
        valid_values,
        _choices(valid_values),
        input=False,
        allocated_by_secas=True,
        field=None,
    )


def _input(
    group: str,
    attribute: str,
    notes: str,
    conditionality: str,
    format: str,
    valid_values: str,
    field: str | None,
    *,
    image_input: bool = False,
) -> FormRow:
    return FormRow(
        group,
        attribute,
        notes,
        conditionality,
        format,
        valid_values,
        _choices(valid_values),
        input=True,
        allocated_by_secas=False,
        field=field,
        image_input=image_input,
    )


#: The form's 33 attribute rows in order (spreadsheet rows 7 to 39 of the real file), copied from
#: CPL version 2.051 (the SEC's text, its spelling and its line breaks included).
FORM_ROWS: tuple[FormRow, ...] = (
    _secas(  # row 7
        "Entry",
        "number",
        "This field is to identify uniquely each CPL entry. Entries will never be deleted once "
        "created. This field is to aid configuration management",
        "Must be specified",
        "6 octet utf-8 string containing a unique number serially allocated from 000001 ",
        "000001 to 999999",
    ),
    _secas(  # row 8
        "Entry",
        "status",
        "This field annotates whether the entry detailed in a row can be used at this version "
        "of the CPL. Only entries marked 'Current' shall be treated as being on the Certified "
        "Products List, with the SEC meaning.",
        "Must be specified",
        "7 octet utf-8 string",
        "Must be one of :\r\n - Current\r\n - Removed\r\n",
    ),
    _input(  # row 9
        "Device_Type",
        "name",
        "A SEC categorisation of devices, which derives from the SMETS /CHTS categories. Note "
        "that, as per clause 2.9 of the SEC Subsidiary Document, Inventory Enrolment and "
        "Withdrawal Procedures, 'a Type 2 Device shall not be identified in the Certified Products ",
        "Must be specified",
        "Up to 50 octet utf-8 string",
        "Must be one of :\r\n"
        " - Communications Hub\r\n"
        " - Gas Smart Meter\r\n"
        " - HAN Connected Auxiliary Load Control Switch\r\n"
        " - Polyphase Electricity Metering Equipment\r\n"
        " - Pre-Payment Interface Device\r\n"
        " - Single Element Electricity Metering Equipment\r\n"
        " - Twin Element Electricity Metering Equipment\r\n",
        "physical_device_type",
    ),
    _input(  # row 10
        "Device_Model",
        "manufacturer_identifier",
        "A unique identifier for a Manufacturer, assigned by Zigbee. This string is a "
        "hexadecimal representation of  the 'Manufacturer Code' field, which is a mandatory "
        "element of an OTA Header. It is an unsigned 16 bit integer (so representable as 2 "
        "octets). In this CPL this shall be in big endian format.",
        "Must be specified",
        "5 octet utf-8 string whose value is a human readable form of the 'Manufacturer code' "
        "in the format XX:XX where each X is one of the characters 0 to 9 or A to F",
        "00:00 to FF:FE (as per the OTA specification FF:FF has a special meaning and so is not in the valid range)",
        "manufacturer_id",
    ),
    _input(  # row 11
        "Device_Model",
        "model_identifier",
        "A manufacturer allocated identifier for a particular product. This string is a "
        "hexadecimal representation of the 'Image Type' field, which is a mandatory element of "
        "an OTA Header. It is an unsigned 16 bit integer (so representable as 2  octets).  In "
        "this CPL this shall be in big endian format.",
        "Must be specified",
        "5 octet utf-8 string whose value is a human readable form of the 'Image Type' in the "
        "format XX:XX where each X is one of the characters 0 to 9 or A to F",
        "00:00 to FF:BF (as per the OTA specification other values have special meaning and so "
        "are not in the valid range)",
        "model_id",
    ),
    _input(  # row 12
        "Device_Model",
        "hardware_version.version",
        "Part of the hardware version for this device. This string is a hexadecimal "
        "representation of the 'Version' part of 'Hardware Version' field, which is a "
        "mandatory element of an OTA Header. It is an unsigned 8 bit integer (so representable "
        "as an octet). ",
        "Must be specified",
        "2 octet utf-8 string whose value is a human readable form of the 'Version' part of "
        "'Hardware Version' in the format XX where each X is one of the characters 0 to 9 or A to F",
        "00 to FF",
        "hardware_version",
    ),
    _input(  # row 13
        "Device_Model",
        "hardware_version.revision",
        "Part of the hardware version for this device. This string is a hexadecimal "
        "representation of the 'Revision' part of 'Hardware Version' field, which is a "
        "mandatory element of an OTA Header. It is  an unsigned 8 bit integer (so "
        "representable as an octet).",
        "Must be specified",
        "2 octet utf-8 string whose value is a human readable form of the 'Revision' part of "
        "'Hardware Version' in the format XX where each X is one of the characters 0 to 9 or A to F",
        "00 to FF",
        "hardware_version",
    ),
    _input(  # row 14
        "Device_Model",
        "firmware_version",
        "Specifies the version of firmware covered by this entry. This string is a hexadecimal "
        "representation of the  'File Version' field, which is a mandatory element of an OTA "
        "Header. It is an unsigned 32 bit integer (so representable as 4 octets).  In this CPL "
        "this shall be in big endian format.",
        "Must be specified",
        "11 octet utf-8 string whose value is a human readable form of the File Version in the "
        "format XX:XX:XX:XX where each X is one of the characters 0 to 9 or A to F",
        "00:00:00:00 to FF:FF:FF:FF (note that the use of the octets as (octet 1) Application "
        "Release, (octet 2) Application Build, (octet 3) Stack Release and (octet 4) Stack "
        "Build is recommended in OTA but not mandated and so is not mandated in the CPL)",
        "firmware_version",
    ),
    _input(  # row 15
        "SMETS/CHTS Version",
        "Version_number",
        "Identifies the version of SMETS or CHTS against which the assurance certificates were "
        "issued. Please note, the requirement to record effective date has been removed from "
        "the CPL Requirements Document. ",
        "SMETS2+ Device Model:\n"
        "Must be specified. CHTS version  must be specified where Device_Type is "
        "'Communications Hub'. Otherwise SMETS version must be specified.\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must use SMETS V1.2",
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
        "technical_specification",
    ),
    _input(  # row 16
        "GBCS Version",
        "version_number",
        "Identifies the version of GBCS to which the specified SMETS / CHTS version relates.",
        "SMETS2+ Device Model:\nMust be specified.\n\nSMETS1 Device Model: \nMust use 'GBCS Version 0.0'",
        "Up to 20 octet utf-8 string  ",
        "Must be one of :\r\n"
        " - GBCS Version 0.0\r\n"
        " - GBCS Version 1.1\r\n"
        " - GBCS Version 2.0\r\n"
        " - GBCS Version 2.1\r\n"
        " - GBCS Version 3.2\r\n"
        " - GBCS Version 4.0\r\n"
        " - GBCS Version 4.1\r\n",
        "gbcs_version",
    ),
    _input(  # row 17
        "CPA_Certificate",
        "identification_number",
        "Uniquely identifies a CPA certificate. The format is not specified in SEC. This field "
        "is not required for automated matching.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on SMETS/CHTS version.\n"
        "\n"
        "At current SMETS/CHTS, must be empty if SMETS2+ Device Type is:\n"
        "- 'Pre-Payment Interface Device'; \n"
        "\n"
        "Must be populated and valid otherwise.\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 24 octet utf-8 string; permitted characters range from 'space' (DEC 32) to "
        "'tilde' (DEC 126); leading or trailing 'space' (DEC 32) characters are not permitted.\n"
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
        "cpa_certificate",
    ),
    _input(  # row 18
        "CPA_Certificate",
        "security_characteristics_version",
        "Details the version of the security characteristics that this Certificate was issued "
        "against. The format is not specified in SEC. This field is not required for automated "
        "matching.",
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
        "Up to 40 octet utf-8 string",
        "SMETS1 Device Model must be empty;\n"
        "\n"
        "For SMETS2+ Device Model only: Must be one of :\r\n"
        " - Not Relevant\r\n"
        " - Security Characteristics version 1.2\r\n"
        " - Security Characteristics version 1.3\r\n",
        "cpa_security_characteristics",
    ),
    _input(  # row 19
        "CPA_Certificate",
        "expiry_date",
        "The expiry date or renewal date of the certificate. The format is not specified in "
        "SEC in SEC but the field may be required for automated processing.",
        "SMETS2+ Device Model:\nAs for CPA_Certificate.issue_number\n\nSMETS1 Device Model:\nMust be left empty",
        "10 octet utf-8 string in dd/mm/yyyy format",
        "SMETS2+ Device Model:\n"
        "At current SMETS/CHTS, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device'; \n"
        "\n"
        "Must be populated and valid otherwise.\n"
        "\n"
        "If this entry's status is current: \n"
        '- Standard certificate "[E] ": Any valid date from the date of issue of this version '
        "of the CPL to a date 6 years hence.\n"
        '- Lifetime certificate "[R] ": Any valid date.\n'
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "cpa_expiry",
    ),
    _input(  # row 20
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
        "Up to 10 octet utf-8 string; permitted characters range from 'space' (DEC 32) to "
        "'tilde' (DEC 126); leading or trailing 'space' (DEC 32) characters are not permitted.",
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
        "dlms_certificate",
    ),
    _input(  # row 21
        "DLMS_Certificate",
        "DLMS_version",
        "Details the version of DLMS COSEM that this Certificate was issued against. The "
        "format is not specified in SEC and is not required for automated matching.",
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
        "Up to 10 octet utf-8 string",
        "SMETS1 Device Model must be empty;\n"
        "\n"
        "For SMETS2+ Device Model only: Must be one of :\r\n"
        " - CTT 3.1\r\n"
        " - CTT 4.0\r\n"
        " - CTT 4.1\r\n"
        " - CTT 4.2\r\n",
        "dlms_version",
    ),
    _input(  # row 22
        "ZSE_Certificate",
        "identification_number",
        "Uniquely identifies a ZSE certificate. The format is not specified in SEC and is not "
        "required for automated matching.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be "
        "populated and valid for all SMETS2+ Device Types.\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 40 octet utf-8 string; permitted characters range from 'space' (DEC 32) to "
        "'tilde' (DEC 126); leading or trailing 'space' (DEC 32) characters are not permitted.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be "
        "populated and valid for all SMETS2+ Device Types.\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "zigbee_certificate",
    ),
    _input(  # row 23
        "ZSE_Certificate",
        "ZSE_version",
        "Details the version ZSE that this Certificate was issued against. The format is not "
        "specified in SEC and is not required for automated matching.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on SMETS/CHTS version. At current SMETS/CHTS, must be "
        "populated and valid for all SMETS2+ Device Types.\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 40 octet utf-8 string",
        "SMETS1 Device Model must be empty;\n"
        "\n"
        "For SMETS2+ Device Model only: Must be one of :\r\n"
        " - ZigBee Smart Energy Standard 1.2a\r\n"
        " - ZigBee Smart Energy Standard 1.2b\r\n"
        " - ZigBee Smart Energy Standard 1.4\r\n",
        "zse_version",
    ),
    _input(  # row 24
        "Manufacturer_Image",
        "creator",
        "To identifier the creator of the Manufacturer Image. The format is not specified in "
        "SEC but may be required for automated processing.",
        "SMETS1 Device Model and SMETS2+ Device Model:\n"
        "Fields in Manufacturer_Image must  all be empty or all validly populated. It is a "
        "decision for manufacturers as to whether providing a Manufacturer Image is required "
        "for a particular CPL entry.",
        "Up to 100 octet utf-8 string",
        "Any utf-8 string of length up to 100 octets in length.",
        "manufacturer_image_creator",
    ),
    _input(  # row 25
        "Manufacturer_Image",
        "hash",
        "In line with SEC, a SHA256 hash calculated over the Manufacturer Image.",
        "SMETS1 Device Model and SMETS2+ Device Model:\nAs for Manufacturer_Image.creator",
        "95 octet utf-8 string whose value is a human readable form of the hash in the format "
        "XX:XX:…:XX where each X is one of the characters 0 to 9 or A to F",
        "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:"
        "00:00:00 to "
        "FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:"
        "FF:FF:FF",
        "manufacturer_image_hash",
        image_input=True,
    ),
    _input(  # row 26
        "Manufacturer_Image",
        "descriptor",
        "To describe \n"
        "(a) whether this is an image in its entirety or a fragment of a larger image \n"
        "(b) the ZigBee band(s) supported by the Device. \n"
        "The field is optional and for the manufacturer to chose how and whether they populate. \n"
        'For example "Fragment 1 of 2 of FW Version XX:XX:XX:XX; Dual Band"',
        "SMETS1 Device Model and SMETS2+ Device Model:\n"
        "Optional but should be populated with\n"
        "(a) the information if Manufacturer_Image.hash is populated\n"
        "(b) the ZigBee band(s) supported ",
        "Up to 100 octet utf-8 string",
        "Any utf-8 string of length up to 100 octets in length.\n"
        "For the ZigBee Band(s) enter one of the following:\n"
        "- Single Band (2.4 GHz)\n"
        "- Single Band (Sub-GHz)\n"
        "- Dual Band",
        "manufacturer_image_descriptor",
        image_input=True,
    ),
    _input(  # row 27
        "Contact-CPA",
        "Contact.contact name",
        "If there are any queries with this application, the person who SECAS should contact. "
        "NOTE this information will NOT be included in the CPL entry.\n"
        "\n"
        "When giving more than one name use the semicolon (;) as separator. Suggested maximum "
        "number of contacts is five.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 400 octet utf-8 string",
        "Any utf-8 string of length up to 400 octets in length.",
        None,
    ),
    _input(  # row 28
        "Contact-CPA",
        "Contact.contact telephone",
        "The phone number for the contact. NOTE this information will NOT be included in the "
        "CPL entry.\n"
        "\n"
        "When giving more than one telephone number use the semicolon (;) as separator. "
        "Suggested maximum number of telephone numbers is five.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 100 octet utf-8 string",
        "Any utf-8 string of length up to 100 octets in length.",
        None,
    ),
    _input(  # row 29
        "Contact-CPA",
        "Contact.contact email",
        "The email address for the contact. NOTE this information will NOT be included in the "
        "CPL entry.\n"
        "\n"
        "When giving more than one email address use the semicolon (;) as separator. Suggested "
        "maximum number of email addresses is five.",
        "SMETS2+ Device Model:\n"
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "\n"
        "SMETS1 Device Model:\n"
        "Must be empty",
        "Up to 400 octet utf-8 string",
        "Any utf-8 string of length up to 400 octets in length.",
        None,
    ),
    _input(  # row 30
        "Manufacturer Contact FIR",
        "Company Name",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 31
        "Manufacturer Contact FIR",
        "House Number",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 32
        "Manufacturer Contact FIR",
        "Street",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 33
        "Manufacturer Contact FIR",
        "City",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 34
        "Manufacturer Contact FIR",
        "Post Code",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 8 octet utf-8 string",
        "Any utf-8 string of length up to 8 octets in length.",
        None,
    ),
    _input(  # row 35
        "Manufacturer Contact FIR",
        "Country",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 36
        "Manufacturer Contact FIR",
        "Telephone Number",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 45 octet utf-8 string",
        "Any utf-8 string of length up to 45 octets in length.",
        None,
    ),
    _input(  # row 37
        "Manufacturer Contact FIR",
        "Website",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 100 octet utf-8 string",
        "Any utf-8 string of length up to 100 octets in length.",
        None,
    ),
    _input(  # row 38
        "Manufacturer Contact FIR",
        "Email Address",
        "This information must be provided with every CPL submission. NOTE this information "
        "will NOT be included in the CPL entry BUT will be published on the Firmware "
        "Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 100 octet utf-8 string",
        "Any utf-8 string of length up to 100 octets in length.",
        None,
    ),
    _input(  # row 39
        "FIR Release Notes",
        "Description",
        "Contains a short description of the firmware release and /or an URL pointing to the "
        "manufacturers website. Neither the information contained in this field nor "
        "information linked to the URL should not contain any confidential or commerical "
        "information. This information must be provided with every CPL submission. NOTE this "
        "information will NOT be included in the CPL entry BUT will be published on the "
        "Firmware Information Repository (FIR). ",
        "Completion of field depends on Device Type\n"
        "\n"
        "At current, must be empty if Device Type is:\n"
        "- 'Pre-Payment Interface Device';\n"
        "- 'Communications Hub';\n"
        "- 'HAN Connected Auxillary Control Switch'.",
        "Up to 500 octet utf-8 string",
        "Any utf-8 string of length up to 500 octets in length. If a URL is present it must be "
        "fully accessible without any prior registration or password. ",
        "release_notes",
    ),
)


# --- the form as a submission ----------------------------------------------------------------------

_ROW_BY_KEY: Mapping[tuple[str, str], FormRow] = {
    (normalise_header(r.group), normalise_header(r.attribute)): r for r in FORM_ROWS
}
_FIELD_BY_HEADER: Mapping[str, str] = {c.key: c.field for c in ENTRY_COLUMNS}
_REQUIRED_FIELDS = frozenset(c.field for c in ENTRY_COLUMNS if c.required)

#: The EntryRow fields the form has no row for, but fills from another row's value: the submission
#: type follows from the values (CONTRACT.md 4.3), the names are the identifiers (4.1). Their findings
#: land on that row; format findings are left to the row's own value.
_STAND_INS: Mapping[str, str] = {
    "submission_type": "technical_specification",
    "manufacturer": "manufacturer_id",
    "model": "model_id",
}
#: Fields the form has no row for whose findings still concern one row: C005 asks for mapping evidence
#: for the firmware; C003 is about the CPA certificate's conditions.
_RELATED_ROWS: Mapping[str, str] = {
    "firmware_mapping_evidence": "firmware_version",
    "cpa_conditional_date": "cpa_certificate",
}

#: The SEC's "none" for GBCS, which a SMETS1 Device Model must use (the form's conditionality rule).
_NO_GBCS = normalise_header("GBCS Version 0.0")

#: Types whose FIR details the form says "must be empty" (rows 30 to 39's conditionality rule).
_TYPES_WITHOUT_FIR = frozenset(
    {PhysicalDeviceType.PPMID, PhysicalDeviceType.COMMUNICATIONS_HUB, PhysicalDeviceType.HCALCS}
)

_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class FormSubmission:
    """A New Entry form read as the project's own layout, with what it says beside the entry."""

    #: A ``CPL New Entry`` sheet (header and one data row, row 2; none for an empty form) and the
    #: form workbook's ``Assurance Certificates`` sheet, or a header-only one when it has none (what
    #: each certificate covers may then come from SECAS's records: CONTRACT.md 4.3).
    workbook: WorkbookData
    #: EntryRow field -> the form's spreadsheet row of the attribute that feeds it.
    places: Mapping[str, int]
    #: Contacts, FIR details and FIR release notes by ``Group.attribute``: kept, never published.
    audit: Mapping[str, str]
    #: Findings of the form itself, on its own sheet and rows.
    findings: tuple[Finding, ...]
    has_certificate_sheet: bool
    #: Fields whose format the form's own findings already report (or that stand in for another
    #: row's value): ``place_findings`` drops the converted sheet's F001/F002 for them.
    reported: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Header:
    row: int
    group: int
    attribute: int
    details: int | None


@dataclass(frozen=True)
class _Cell:
    row: int
    value: CellValue  # None when blank
    unread: bool = False  # the cell held a formula or an error value: reported, its value never read


def _is_blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _all_rows(sheet: SheetData) -> Iterator[tuple[int, tuple[CellValue, ...]]]:
    yield 1, sheet.header
    yield from sheet.rows


def _find_header(sheet: SheetData) -> _Header | None:
    """The row holding 'Data Group' and 'Data Attribute' (row 6 of the SEC's file, wherever it is here)."""
    wanted = {normalise_header(text): text for text in (FORM_HEADER[0], FORM_HEADER[1], DETAILS_COLUMN)}
    for number, cells in _all_rows(sheet):
        at: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if isinstance(cell, str):
                key = normalise_header(cell)
                if key in wanted and wanted[key] not in at:
                    at[wanted[key]] = index
        if FORM_HEADER[0] in at and FORM_HEADER[1] in at:
            return _Header(number, at[FORM_HEADER[0]], at[FORM_HEADER[1]], at.get(DETAILS_COLUMN))
    return None


def is_sec_form(workbook: WorkbookData) -> bool:
    """True when the workbook's ``CPL - New Entry`` sheet is the SEC's vertical form.

    The form is known by its header row ('Data Group', 'Data Attribute'), found wherever it is; a form
    whose "New Entry's Details" header is missing is still the form, and ``read_sec_form`` says so.
    """
    sheet = workbook.sheet(FORM_SHEET)
    return sheet is not None and _find_header(sheet) is not None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _as_text(value: CellValue) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _at(code: Code, row: int, message: str) -> Finding:
    return finding(code, message, sheet=FORM_SHEET, row=row, column=DETAILS_COLUMN)


class _Reading:
    """The findings and reported fields of one form, gathered while its values are converted."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.reported: set[str] = set()

    def report(self, code: Code, row: int, field: str, message: str, *, column: str | None = DETAILS_COLUMN) -> None:
        self.findings.append(finding(code, message, sheet=FORM_SHEET, row=row, column=column))
        self.reported.add(field)


def _read_rows(sheet: SheetData, header: _Header, details: int, reading: _Reading) -> dict[FormRow, _Cell]:
    """Each attribute row's details cell, found by its group and attribute text, not its position."""
    cells: dict[FormRow, _Cell] = {}
    found = reading.findings
    group = ""
    for number, row_cells in sheet.rows:
        if number <= header.row:
            continue
        group_cell = row_cells[header.group] if header.group < len(row_cells) else None
        attribute_cell = row_cells[header.attribute] if header.attribute < len(row_cells) else None
        if not _is_blank(group_cell):
            group = _as_text(group_cell)  # a blank group cell continues the group above it
        value = row_cells[details] if details < len(row_cells) else None
        formula = (number, details) in sheet.formula_cells
        error = sheet.error_cells.get((number, details))
        unread = formula or error is not None
        if formula:
            found.append(_at(Code.F002, number, "The cell holds a formula; enter the value itself."))
        elif error is not None:
            found.append(
                _at(Code.F002, number, f"The cell holds the error value {error}, not a value: enter the value itself.")
            )
        if unread or _is_blank(value):
            value = None
        beyond = [
            i
            for i in range(details + 1, len(row_cells))
            if not _is_blank(row_cells[i]) or (number, i) in sheet.error_cells
        ]
        if beyond:
            found.append(
                _at(
                    Code.F002,
                    number,
                    f"Column {_column_letter(beyond[0])} holds a value beside {DETAILS_COLUMN}: the form takes "
                    "one entry's values; submit each entry on its own form.",
                )
            )
        if _is_blank(attribute_cell):
            continue
        form_row = _ROW_BY_KEY.get((normalise_header(group), normalise_header(_as_text(attribute_cell))))
        if form_row is None:
            if value is not None:
                found.append(
                    finding(
                        Code.N002,
                        f"Attribute '{group}.{_as_text(attribute_cell)}' is not part of the form and is ignored.",
                        sheet=FORM_SHEET,
                        row=number,
                        column=DETAILS_COLUMN,
                    )
                )
            continue
        if form_row in cells:
            if value is not None:
                found.append(
                    _at(
                        Code.F002,
                        number,
                        f"{form_row.label} appears twice on the form (rows {cells[form_row].row} and {number}).",
                    )
                )
            continue
        cells[form_row] = _Cell(number, value, unread)
        if unread and form_row.field is not None:
            reading.reported.add(form_row.field)
    return cells


def _device_type(value: CellValue) -> PhysicalDeviceType | None:
    if not isinstance(value, str):
        return None
    column = column_for(ENTRY_SHEET, "physical_device_type")
    key = normalise_header(value)
    for spelling, choice in (*((c, c) for c in column.choices), *column.spellings.items()):
        if normalise_header(spelling) == key:
            return PhysicalDeviceType(choice)
    return None


def _hex_text(value: CellValue) -> str | None:
    """The text of a hex cell: a whole number cell (1028 typed as a number) as its digits. A boolean or a
    negative number gives text that is no identifier and no octet ('1', '-5'): the callers refuse it."""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else None
    return value.strip() if isinstance(value, str) else None


def _identifier(value: CellValue, digits: int) -> str | None:
    """'10:6C' or '106C' -> '106C': the identifier as parse_submission will read it, or None."""
    text = _hex_text(value)
    if text is None:
        return None
    if ":" in text:
        octets = text.split(":")
        if not all(len(octet) == 2 for octet in octets):
            return None
        text = "".join(octets)
    return text.upper() if len(text) == digits and _HEX_DIGITS.fullmatch(text) else None


def _octet(value: CellValue) -> str | None:
    """One hardware octet, '00' to 'FF'. A number cell lost its leading zero (00 -> 0): it is put back."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 100:
        return f"{int(value):02d}" if float(value).is_integer() else None
    text = _hex_text(value)
    return text.upper() if text is not None and len(text) == 2 and _HEX_DIGITS.fullmatch(text) else None


def _is_smets1(specification: str) -> bool:
    """'SMETS V1.2' (the form's spelling) and 'SMETS1 v1.2' (the registry's) are SMETS1."""
    key = version_key(SpecKind.TECHNICAL_SPECIFICATION, specification)
    return key.startswith("smets1") or re.match(r"smets 1(\.|$)", key) is not None


def _form_date(value: CellValue) -> dt.date | str | None:
    """A date cell, or text as the form asks ('dd/mm/yyyy') or as the project writes it (YYYY-MM-DD)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DAY_MONTH_YEAR.fullmatch(text)
    try:
        if match is not None:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _submission_type(
    values: Mapping[str, CellValue], hardware: str | None, device_model_listed: Callable[[DeviceModelKey], bool]
) -> SubmissionType:
    """CONTRACT.md 4.3: SMETS1 by the specification; a Firmware Update when the Device Model is listed."""
    specification = values.get("technical_specification")
    if isinstance(specification, str) and _is_smets1(specification):
        return SubmissionType.SMETS1
    device_type = _device_type(values.get("physical_device_type"))
    manufacturer_id = _identifier(values.get("manufacturer_id"), 4)
    model_id = _identifier(values.get("model_id"), 4)
    if device_type is None or manufacturer_id is None or model_id is None or hardware is None:
        return SubmissionType.NEW
    if device_model_listed(DeviceModelKey(device_type, manufacturer_id, model_id, hardware)):
        return SubmissionType.FIRMWARE_UPDATE
    return SubmissionType.NEW


def _form_row(label: str) -> FormRow:
    return next(r for r in FORM_ROWS if r.label == label)


_HARDWARE_ROWS = (
    _form_row("Device_Model.hardware_version.version"),
    _form_row("Device_Model.hardware_version.revision"),
)
_FIR_NOTES_ROW = _form_row("FIR Release Notes.Description")


def _hardware_version(cells: Mapping[FormRow, _Cell], reading: _Reading) -> str | None:
    """The two octet cells, version then revision, as one 4-hex hardware version ('00' + 'AC' = '00AC')."""
    octets: list[str] = []
    for form_row in _HARDWARE_ROWS:
        cell = cells.get(form_row)
        if cell is None or cell.unread:
            continue  # the row is missing (WB002) or held a formula or an error (F002): already said
        if cell.value is None:
            reading.report(Code.F001, cell.row, "hardware_version", f"{form_row.label} is required.")
            continue
        octet = _octet(cell.value)
        if octet is None:
            reading.report(
                Code.F002,
                cell.row,
                "hardware_version",
                f"{form_row.label} {_as_text(cell.value)!r} is not valid: it takes 2 hex digits (one octet, 00 to FF).",
            )
            continue
        octets.append(octet)
    return "".join(octets) if len(octets) == len(_HARDWARE_ROWS) else None


def _release_notes(cells: Mapping[FormRow, _Cell], device_type: PhysicalDeviceType | None) -> str | None:
    """The FIR release notes' description. The form says it must be empty for some types: their entry
    says so instead of leaving Release Notes, which the project's layout requires, blank."""
    cell = cells.get(_FIR_NOTES_ROW)
    if cell is not None and cell.value is not None:
        return _as_text(cell.value)
    if device_type in _TYPES_WITHOUT_FIR:
        return f"None: the SEC's New Entry form takes no FIR Release Notes for a {device_type}."
    return None


def _entry_values(
    cells: Mapping[FormRow, _Cell], reading: _Reading, device_model_listed: Callable[[DeviceModelKey], bool]
) -> dict[str, CellValue]:
    """The project layout's cells by EntryRow field, from the form's values."""
    # the hardware octets and the release notes are each replaced below by the value made of them
    values: dict[str, CellValue] = {r.field: cell.value for r, cell in cells.items() if r.field is not None}
    hardware = _hardware_version(cells, reading)
    values["hardware_version"] = hardware
    submission_type = _submission_type(values, hardware, device_model_listed)
    values["submission_type"] = str(submission_type)
    device_type = _device_type(values.get("physical_device_type"))
    values["release_notes"] = _release_notes(cells, device_type)
    # CONTRACT.md 4.1: the form names no manufacturer or model in words; the identifiers stand in.
    for name, identifier, digits in (("manufacturer", "manufacturer_id", 4), ("model", "model_id", 4)):
        raw = values.get(identifier)
        values[name] = _identifier(raw, digits) or (None if raw is None else _as_text(raw))
        reading.reported.add(name)
    _gbcs(cells, values, submission_type, reading)
    _cpa_expiry(cells, values, reading)
    return values


def _cell_of(cells: Mapping[FormRow, _Cell], field: str) -> _Cell | None:
    return next((cell for form_row, cell in cells.items() if form_row.field == field), None)


def _gbcs(
    cells: Mapping[FormRow, _Cell], values: dict[str, CellValue], submission_type: SubmissionType, reading: _Reading
) -> None:
    """'GBCS Version 0.0' is the SEC's "none", which a SMETS1 Device Model must use and no other may (the
    project's parser reads it as no GBCS version, as the SEC means it)."""
    cell = _cell_of(cells, "gbcs_version")
    if cell is None or cell.value is None:
        return
    is_none = isinstance(cell.value, str) and normalise_header(cell.value) == _NO_GBCS
    if submission_type is SubmissionType.SMETS1 and not is_none:
        message = (
            f"GBCS Version {_as_text(cell.value)!r} is not for a SMETS1 Device Model: it must use 'GBCS Version 0.0'."
        )
        reading.findings.append(_at(Code.F002, cell.row, message))
        del values["gbcs_version"]  # a SMETS1 entry has none: the converted sheet leaves it blank
    elif submission_type is not SubmissionType.SMETS1 and is_none:
        reading.report(
            Code.F002,
            cell.row,
            "gbcs_version",
            "'GBCS Version 0.0' is only for SMETS1 Device Models: give the GBCS version this SMETS/CHTS version "
            "relates to.",
        )


def _cpa_expiry(cells: Mapping[FormRow, _Cell], values: dict[str, CellValue], reading: _Reading) -> None:
    cell = _cell_of(cells, "cpa_expiry")
    if cell is None or cell.value is None:
        return
    day = _form_date(cell.value)
    values["cpa_expiry"] = day
    if day is None:
        reading.report(
            Code.F002,
            cell.row,
            "cpa_expiry",
            f"CPA_Certificate.expiry_date {_as_text(cell.value)!r} is not a date: use a date cell or dd/mm/yyyy.",
        )


def _allocated_by_secas(cells: Mapping[FormRow, _Cell], reading: _Reading) -> None:
    for form_row, cell in cells.items():
        if not form_row.allocated_by_secas or cell.value is None:
            continue
        if isinstance(cell.value, str) and normalise_header(cell.value) == normalise_header(ALLOCATED_BY_SECAS):
            continue  # the blank form's own words
        reading.findings.append(
            finding(
                Code.N002,
                f"{form_row.label} is allocated by SECAS; the value {_as_text(cell.value)!r} is ignored.",
                sheet=FORM_SHEET,
                row=cell.row,
                column=DETAILS_COLUMN,
            )
        )


def _missing_rows(cells: Mapping[FormRow, _Cell], header_row: int, reading: _Reading) -> None:
    """WB002 for each attribute row the project's required columns need that the form lacks."""
    for form_row in FORM_ROWS:
        if form_row.field in _REQUIRED_FIELDS and form_row not in cells:
            reading.report(
                Code.WB002,
                header_row,
                form_row.field,
                f"The form has no '{form_row.group}' / '{form_row.attribute}' row.",
                column=None,
            )


def _places(cells: Mapping[FormRow, _Cell]) -> dict[str, int]:
    places: dict[str, int] = {}
    for form_row in FORM_ROWS:  # in form order: the hardware version lands on its first octet's row
        cell = cells.get(form_row)
        if form_row.field is not None and cell is not None:
            places.setdefault(form_row.field, cell.row)
    for stand_in, source in (*_STAND_INS.items(), *_RELATED_ROWS.items()):
        if source in places:
            places[stand_in] = places[source]
    return places


def _audit(cells: Mapping[FormRow, _Cell]) -> dict[str, str]:
    """CONTRACT.md 4.1: the CPA and FIR contacts and the FIR release notes, kept for audit only."""
    return {
        form_row.label: _as_text(cell.value)
        for form_row, cell in cells.items()
        if cell.value is not None and ((form_row.input and form_row.field is None) or form_row is _FIR_NOTES_ROW)
    }


def _entry_sheet(values: Mapping[str, CellValue] | None) -> SheetData:
    header = tuple(column.header for column in ENTRY_COLUMNS)
    if values is None:
        return SheetData(ENTRY_SHEET, header, ())
    return SheetData(ENTRY_SHEET, header, ((2, tuple(values.get(column.field) for column in ENTRY_COLUMNS)),))


def _converted(values: Mapping[str, CellValue] | None, certificates: SheetData | None) -> WorkbookData:
    if certificates is None:
        certificates = SheetData(CERTIFICATE_SHEET, tuple(column.header for column in CERTIFICATE_COLUMNS), ())
    return WorkbookData((_entry_sheet(values), certificates))


def read_sec_form(workbook: WorkbookData, *, device_model_listed: Callable[[DeviceModelKey], bool]) -> FormSubmission:
    """The form's one entry in the project's layout, ready for ``parse_submission`` and the rules.

    ``device_model_listed`` says whether a Device Model is already on the CPL: it decides between a
    New entry and a Firmware Update (CONTRACT.md 4.3). Any other sheet of the workbook but
    ``Assurance Certificates`` is not read (the SEC's whole workbook is read by its form tab alone).
    """
    reading = _Reading()
    certificates = workbook.sheet(CERTIFICATE_SHEET)
    sheet = workbook.sheet(FORM_SHEET)
    header = None if sheet is None else _find_header(sheet)

    def submission(cells: Mapping[FormRow, _Cell], values: Mapping[str, CellValue] | None) -> FormSubmission:
        return FormSubmission(
            workbook=_converted(values, certificates),
            places=_places(cells),
            audit=_audit(cells),
            findings=tuple(reading.findings),
            has_certificate_sheet=certificates is not None,
            reported=frozenset(reading.reported),
        )

    if workbook.sheet(ENTRY_SHEET) is not None:
        reading.findings.append(
            finding(
                Code.F002,
                f"The workbook holds both the SEC's New Entry form ('{FORM_SHEET}') and a '{ENTRY_SHEET}' sheet: "
                "submit one layout or the other, not both.",
                sheet=FORM_SHEET,
                row=header.row if header is not None else None,
            )
        )
    if sheet is None:
        reading.findings.append(finding(Code.WB002, f"The workbook has no '{FORM_SHEET}' sheet.", sheet=FORM_SHEET))
        return submission({}, None)
    if header is None or header.details is None:
        reading.findings.append(
            finding(
                Code.WB002,
                f"The '{FORM_SHEET}' sheet has no header row with 'Data Group', 'Data Attribute' and "
                f'"{DETAILS_COLUMN}" cells.',
                sheet=FORM_SHEET,
                row=None if header is None else header.row,
                column=None if header is None else DETAILS_COLUMN,
            )
        )
        return submission({}, None)
    cells = _read_rows(sheet, header, header.details, reading)
    _missing_rows(cells, header.row, reading)
    _allocated_by_secas(cells, reading)
    if all(cell.value is None for form_row, cell in cells.items() if form_row.field is not None):
        reading.findings.append(
            _at(
                Code.F003, header.row, f"The workbook lists no entry: every {DETAILS_COLUMN} cell of the form is blank."
            )
        )
        return submission(cells, None)
    return submission(cells, _entry_values(cells, reading, device_model_listed))


def place_findings(findings: Iterable[Finding], form: FormSubmission) -> list[Finding]:
    """Findings on the converted ``CPL New Entry`` sheet, put back on the form's rows.

    Each lands on ``CPL - New Entry``, the row of the attribute its column reads, column
    "New Entry's Details"; a finding on a field the form has no row for (a confirming supplier, a
    compliance statement) names the form with no row. Findings on other sheets are kept as they are.
    """
    empty_form = any(f.code is Code.F003 for f in form.findings)
    entry_sheet = normalise_header(ENTRY_SHEET)
    placed: list[Finding] = []
    for found in findings:
        if found.sheet is None or normalise_header(found.sheet) != entry_sheet:
            placed.append(found)
            continue
        if found.code is Code.F003 and empty_form:
            continue  # the form's own F003 says it in the form's words
        field = _FIELD_BY_HEADER.get(normalise_header(found.column)) if found.column else None
        if field in form.reported and found.code in (Code.F001, Code.F002):
            continue
        row = form.places.get(field) if field is not None else None
        placed.append(
            dataclasses.replace(found, sheet=FORM_SHEET, row=row, column=DETAILS_COLUMN if row is not None else None)
        )
    return placed
