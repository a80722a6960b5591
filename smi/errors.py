"""Everything the DCC simulator refuses, named for what went wrong.

A small flat hierarchy in one place. The command line maps each family to an exit code:
`ExtractRefusedError` and `DeviceRefusedError` (the input was understood and refused) exit 1,
`UnusableInputError` (the input could not be used at all) exits 2. Every message is one sentence.
"""

from __future__ import annotations

from typing import ClassVar


class SmiError(Exception):
    """Base of every error the simulator raises on purpose."""


# --- extracts ---------------------------------------------------------------------------------


class ExtractRefusedError(SmiError):
    """The extract was understood and refused; the CPL in force stays as it was."""

    #: The acceptance rule that failed, as recorded in the inventory and printed in --json.
    rule: ClassVar[str] = "refused"


class ExtractSignatureError(ExtractRefusedError):
    """The CMS signature, the signer's certificate or its chain did not verify."""

    rule = "signature"


class ExtractFormatRefusedError(ExtractRefusedError):
    """The signed content is not a well-formed CPL extract."""

    rule = "format"


class ExtractRollbackError(ExtractRefusedError):
    """The extract's sequence is below the last one accepted."""

    rule = "rollback"


class ExtractEquivocationError(ExtractRefusedError):
    """An extract with this sequence was accepted before with other content."""

    rule = "equivocation"


class UnexplainedRemovalError(ExtractRefusedError):
    """An entry Active before is not Active now and carries no Panel reference."""

    rule = "unexplained-removal"


class FutureDatedExtractError(ExtractRefusedError):
    """The extract's issued_at is later than its receipt allows, beyond the clock skew."""

    rule = "future-dated"


class ExtractOutOfOrderError(ExtractRefusedError):
    """The extract was issued before the last one accepted."""

    rule = "out-of-order"


# --- devices ----------------------------------------------------------------------------------


class DeviceRefusedError(SmiError):
    """A change to a Device was understood and refused; the Device is as it was."""


class ModelNotActiveError(DeviceRefusedError):
    """The Device's model and firmware are not Active on the CPL in force."""


class FirmwareNotActiveError(DeviceRefusedError):
    """The firmware version a Device would move to is not Active on the CPL in force."""


class DeviceExistsError(DeviceRefusedError):
    """A Device with this Device ID is already in the inventory."""


class DeviceSuspendedError(DeviceRefusedError):
    """The Device is Suspended, so the DCC does not send it firmware."""


class UnknownDeviceError(DeviceRefusedError):
    """No Device with this Device ID is in the inventory."""


class SeedCollisionError(DeviceRefusedError):
    """Seeded Device IDs collide with Devices already in the inventory."""


class NothingToSeedError(DeviceRefusedError):
    """The extract lists no Active Device Model of a type a premises needs."""


# --- unusable input -------------------------------------------------------------------------


class UnusableInputError(SmiError):
    """The input could not be used at all: a missing file, a bad argument, a bad setting."""


class ConfigurationError(UnusableInputError):
    """A setting (database, trust anchors, receipt signer) could not be used."""


class InventoryUnavailableError(ConfigurationError):
    """The inventory database failed in a way that is not a lock: unreachable, damaged, refused."""


class InventoryBusyError(UnusableInputError):
    """The inventory is locked now (another process holds its database or its applier lock); try again.

    Not the input's fault and not for ever: the HTTP API answers 503 with Retry-After.
    """


class SeedExtractNotInForceError(DeviceRefusedError):
    """The extract to seed over is not the CPL in force, so its models are not the ones Active."""
