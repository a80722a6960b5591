"""The vocabulary the authority and the DCC share: one definition of each word both must spell alike.

The extract carries these values as text; the authority's core builds its tables over them and the
DCC simulator matches Devices with them. Which Physical Device Types the CPL controls is a fact of
the list itself (SEC Appendix Z), so it lives here once, not on either side.
"""

from __future__ import annotations

from enum import StrEnum


class PhysicalDeviceType(StrEnum):
    """The nine Physical Device Types, spelled as the workbook and the extract spell them."""

    COMMUNICATIONS_HUB = "Communications Hub"
    SINGLE_ELEMENT_ELECTRICITY_METER = "Single Element Electricity Metering Equipment"
    TWIN_ELEMENT_ELECTRICITY_METER = "Twin Element Electricity Metering Equipment"
    POLYPHASE_ELECTRICITY_METER = "Polyphase Electricity Metering Equipment"
    GAS_SMART_METER = "Gas Smart Meter"
    PPMID = "Pre-Payment Meter Interface Device (PPMID)"
    HCALCS = "HAN Connected Auxiliary Load Control Switch (HCALCS)"
    IHD = "IHD"
    TYPE_2_DEVICE_OTHER = "Type 2 Device (Other)"


#: Other spellings of a Physical Device Type met in the SEC's own documents (CONTRACT.md 4.1): the
#: CPL workbook writes the PPMID as "Pre-Payment Interface Device", SEC Section A as "Pre-Payment Meter
#: Interface Device". Matched with case and white space ignored.
PHYSICAL_DEVICE_TYPE_SPELLINGS: dict[str, PhysicalDeviceType] = {
    "Pre-Payment Interface Device": PhysicalDeviceType.PPMID,
    "Pre-Payment Meter Interface Device": PhysicalDeviceType.PPMID,
    "HAN Connected Auxiliary Load Control Switch": PhysicalDeviceType.HCALCS,
}


class EntryStatus(StrEnum):
    """CPL entry status as the DCC sees it (DUIS CPLStatus). Anything but Active is 'removed'."""

    ACTIVE = "Active"
    EXPIRED = "Expired"
    WITHDRAWN = "Withdrawn"
    CANCELLED = "Cancelled"


REMOVED_STATUSES: frozenset[EntryStatus] = frozenset(EntryStatus) - {EntryStatus.ACTIVE}


class AssuranceScheme(StrEnum):
    ZIGBEE = "ZigBee"
    DLMS = "DLMS"
    CPA = "CPA"

    @property
    def extract_key(self) -> str:
        """The key of this scheme's certificate number in an extract entry's ``certificates``."""
        return self.value.lower()


#: The ``certificates`` keys of an extract entry, in the order the format lists them.
CERTIFICATE_KEYS: tuple[str, ...] = tuple(scheme.extract_key for scheme in AssuranceScheme)

#: Types whose Device Models must be on the CPL before the DCC will talk to them; IHDs and other
#: Type 2 Devices are not controlled.
CPL_CONTROLLED_TYPES: frozenset[PhysicalDeviceType] = frozenset(PhysicalDeviceType) - {
    PhysicalDeviceType.IHD,
    PhysicalDeviceType.TYPE_2_DEVICE_OTHER,
}
