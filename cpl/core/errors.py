"""What can go wrong in the authority's lifecycle, named for what went wrong. Each message is one sentence."""

from __future__ import annotations


class CplError(Exception):
    """Base of every refusal the authority makes; ``str()`` is a sentence a user can act on."""

    #: CLI exit status: 1 = understood and refused, 2 = could not be used at all.
    exit_code = 1


class NotFoundError(CplError):
    exit_code = 2


class UnknownPartyError(NotFoundError):
    pass


class UnknownUserError(NotFoundError):
    pass


class UnknownSubmissionError(NotFoundError):
    pass


class UnknownEntryError(NotFoundError):
    pass


class UnknownCertificateError(NotFoundError):
    pass


class UnknownExtractError(NotFoundError):
    pass


class NotPermittedError(CplError):
    """The acting user's party may not do this."""


class SubmissionHasErrorsError(CplError):
    pass


class SubmissionAlreadyDecidedError(CplError):
    pass


class SupplierConfirmationMissingError(CplError):
    pass


class PanelReferenceError(CplError):
    pass


class EntryStatusError(CplError):
    pass


class DuplicateError(CplError):
    pass


class FourEyesError(CplError):
    pass


class ExtractError(CplError):
    pass


class ReceiptError(CplError):
    pass


class ReceiptReplayedError(ReceiptError):
    """The same signed receipt was imported before."""


class ConcurrentChangeError(CplError):
    """Another writer changed the same thing first (a unique key taken meanwhile); nothing was written."""


class StoreBusyError(CplError):
    """The database could not be used now (locked, deadlock, serialisation failure): try again."""

    exit_code = 2
