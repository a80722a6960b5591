"""DOMAIN.md's certificate table, written out here literally, against what the checks demand of each row.

The expectations never come from ``REQUIRED_CERTIFICATES``: a wrong cell in the code's table must fail here.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cpl.core import errors
from cpl.core.domain import PartyRole, SubmissionType, required_schemes
from cpl.core.findings import Code
from cpl.core.lifecycle import require_removal_status
from cpl.core.rules import CheckContext, check_submission
from cpl.core.schema import ENTRY_SHEET
from cpl.core.submission import parse_submission
from cpl.demo.samples import as_workbook_data, sample_row
from cpl.specs_file import default_registry
from formats.vocabulary import CPL_CONTROLLED_TYPES, REMOVED_STATUSES, AssuranceScheme, EntryStatus, PhysicalDeviceType

_Z, _C, _D = AssuranceScheme.ZIGBEE, AssuranceScheme.CPA, AssuranceScheme.DLMS
_T = PhysicalDeviceType

#: DOMAIN.md, "Device Model and Physical Device Type": (type, certificates, must be on the CPL).
TABLE: list[tuple[PhysicalDeviceType, frozenset[AssuranceScheme], bool]] = [
    (_T.COMMUNICATIONS_HUB, frozenset({_Z, _C}), True),
    (_T.SINGLE_ELEMENT_ELECTRICITY_METER, frozenset({_Z, _C, _D}), True),
    (_T.TWIN_ELEMENT_ELECTRICITY_METER, frozenset({_Z, _C, _D}), True),
    (_T.POLYPHASE_ELECTRICITY_METER, frozenset({_Z, _C, _D}), True),
    (_T.GAS_SMART_METER, frozenset({_Z, _C}), True),
    (_T.PPMID, frozenset({_Z}), True),
    (_T.HCALCS, frozenset({_Z, _C}), True),
    (_T.IHD, frozenset(), False),
    (_T.TYPE_2_DEVICE_OTHER, frozenset(), False),
]
NEEDS = [(device_type, schemes) for device_type, schemes, _ in TABLE]
COLUMN = {_Z: "ZigBee Certificate", _D: "DLMS Certificate", _C: "CPA Certificate"}
AS_OF = dt.date(2026, 11, 23)
REGISTRY = default_registry()


def c001_columns(device_type: PhysicalDeviceType, submission_type: SubmissionType, submitter: PartyRole) -> list[str]:
    """The C001 findings for a row of this type that names no certificate at all."""
    entry, certs = sample_row(device_type, 3, submission_type=submission_type)
    for scheme in AssuranceScheme:
        entry[f"{scheme.lower()}_certificate"] = None
    entry["cpa_expiry"] = None
    found = check_submission(
        parse_submission(as_workbook_data([entry], certs)),
        CheckContext(as_of=AS_OF, submitter=submitter, registry=REGISTRY),
    )
    off_the_cpl = [f for f in found if f.code == Code.C006]
    assert len(off_the_cpl) == (device_type not in CPL_CONTROLLED_TYPES), found
    found = [f for f in found if f.code != Code.C006]
    assert all(f.code == Code.C001 and f.sheet == ENTRY_SHEET and f.row == 2 for f in found), found
    return [f.column or "" for f in found]


def test_the_table_names_every_physical_device_type_once() -> None:
    assert sorted(t for t, _, _ in TABLE) == sorted(PhysicalDeviceType)


@pytest.mark.parametrize(("device_type", "schemes"), NEEDS)
@pytest.mark.parametrize("submission_type", [SubmissionType.NEW, SubmissionType.FIRMWARE_UPDATE])
def test_each_physical_device_type_needs_the_certificates_of_the_table(
    device_type: PhysicalDeviceType, schemes: frozenset[AssuranceScheme], submission_type: SubmissionType
) -> None:
    assert required_schemes(device_type, submission_type) == schemes


@pytest.mark.parametrize(("device_type", "schemes"), NEEDS)
def test_a_new_entry_naming_no_certificate_is_c001_for_each_the_table_requires(
    device_type: PhysicalDeviceType, schemes: frozenset[AssuranceScheme]
) -> None:
    expected = sorted(COLUMN[s] for s in schemes)
    assert c001_columns(device_type, SubmissionType.NEW, PartyRole.MANUFACTURER) == expected


@pytest.mark.parametrize(("device_type", "schemes"), NEEDS)
def test_smets1_entries_need_no_assurance_certificate(
    device_type: PhysicalDeviceType, schemes: frozenset[AssuranceScheme]
) -> None:
    # DOMAIN.md: no CPA certificate (a compliance statement stands in); the SEC's list (2.051,
    # conditionality rules): a SMETS1 Device Model's CPA, DLMS and ZSE certificate fields "must be empty".
    assert required_schemes(device_type, SubmissionType.SMETS1) == frozenset()
    assert c001_columns(device_type, SubmissionType.SMETS1, PartyRole.DCC) == []


def test_the_cpl_controls_the_types_that_must_be_on_it() -> None:
    assert frozenset(t for t, _, on_cpl in TABLE if on_cpl) == CPL_CONTROLLED_TYPES
    assert len(CPL_CONTROLLED_TYPES) == 7


def test_removed_means_any_status_but_active() -> None:
    assert frozenset({EntryStatus.EXPIRED, EntryStatus.WITHDRAWN, EntryStatus.CANCELLED}) == REMOVED_STATUSES


@pytest.mark.parametrize("status", [EntryStatus.EXPIRED, EntryStatus.WITHDRAWN, EntryStatus.CANCELLED])
def test_a_removal_may_record_any_removed_status(status: EntryStatus) -> None:
    require_removal_status(status)


def test_active_is_not_a_removal() -> None:
    with pytest.raises(errors.EntryStatusError, match="Active is not a removal"):
        require_removal_status(EntryStatus.ACTIVE)
