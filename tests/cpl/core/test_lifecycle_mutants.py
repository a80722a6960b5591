"""A manufacturer's firmware update on the SEC's New Entry form waits for a supplier (CONTRACT.md 4.3): the
refusal says who may confirm it and how."""

from __future__ import annotations

import pytest

from cpl.core import errors
from cpl.core.lifecycle import ANY_SUPPLIER, require_confirmations


def test_an_update_naming_no_supplier_says_any_registered_supplier_may_confirm_it() -> None:
    with pytest.raises(errors.SupplierConfirmationMissingError) as refused:
        require_confirmations(9, {ANY_SUPPLIER}, set())
    assert str(refused.value) == (
        "Submission 9 is a manufacturer's firmware update awaiting confirmation by "
        "a supplier (any registered supplier may confirm: cpl confirm)."
    )
