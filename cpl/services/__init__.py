"""The authority's services: each function one unit of work on a session the caller commits.

- `parties`: parties and their users, and who is acting.
- `checking`: a workbook against every rule and the stored CPL (without the ORM where the store allows).
- `submissions`: check, submit, confirm, approve, reject.
- `entries`: the list, removals, removal proposals, certificates (revocation, conditions).
- `extracts`: prepare (one SECAS user), approve and sign (another), verify, the DCC's receipts.
- `expiry`: the CPA expiry job.

The rules they apply are `cpl.core`'s; these modules read the store, ask the rules, and write.
`unit_of_work(settings)` opens the session a command or a request works in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from cpl.config import Settings

# The store and the mailer load with the first unit of work: a module here that opens none (`checking`
# on SQLite) costs no SQLAlchemy.


@contextmanager
def unit_of_work(settings: Settings, *, write: bool = True) -> Iterator[Session]:
    """One transaction on the configured database; notices it queues are delivered after it commits.

    ``write=False`` for a unit that only reads (the public page, downloads): it never waits for a writer.
    """
    from cpl import mailer
    from cpl.store import session_scope

    with session_scope(settings.database_url, write=write, create=settings.new_store_allowed) as session:
        mailer.attach(session, settings.mail)
        yield session
