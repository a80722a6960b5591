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


class UnknownNoticeError(NotFoundError):
    pass


class UnknownProposalError(NotFoundError):
    pass


class InvalidEmailAddressError(CplError):
    """An address given for a party is not an email address notices can go to."""

    exit_code = 2


class InvalidPartyNameError(CplError):
    exit_code = 2


class ReasonRequiredError(CplError):
    """A decision that must say why (rejecting a submission, cancelling a notice, dismissing a proposal) was
    given no reason."""

    exit_code = 2


class NoticeStateError(CplError):
    """The notice is not in a state that allows this (sent, being sent, already cancelled)."""


class ProposalStateError(CplError):
    """The removal proposal is no longer open (decided by the Panel, or dismissed)."""


class NotPermittedError(CplError):
    """The acting user's party may not do this."""


class SubmissionHasErrorsError(CplError):
    """``finding_code``: the code of the first error finding, which the sentence names."""

    def __init__(self, message: str, *, finding_code: str | None = None) -> None:
        super().__init__(message)
        self.finding_code = finding_code


class SubmissionAlreadyDecidedError(CplError):
    pass


class SubmissionWithdrawnError(SubmissionAlreadyDecidedError):
    """The submitting party withdrew the submission: nothing is decided on it after."""


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


class NothingToIssueError(ExtractError):
    """A prepare found the CPL exactly as the last issued extract has it: no draft is made."""


class ReceiptError(CplError):
    pass


class ReceiptReplayedError(ReceiptError):
    """The same signed receipt was imported before."""


class ConcurrentChangeError(CplError):
    """Another writer changed the same thing first (a unique key taken meanwhile); nothing was written."""


class NoStoreError(NotFoundError):
    """The configured SQLite database does not exist, and this command does not set one up."""


class StoreBusyError(CplError):
    """The database could not be used now (locked, deadlock, serialisation failure): try again."""

    exit_code = 2
