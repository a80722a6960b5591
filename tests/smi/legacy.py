"""An inventory as the version before this one left it: a history row per Device each apply changed.

That version wrote, in each apply, one `status_history` row per changed Device (its alerts were read
back as a primary-key range kept on the extract's record), set `status_since` to the apply's time, and
had no `status_sequence`, `suspended_at_upgrade` or `device_moves`. `as_an_earlier_version_left_it`
rewrites a database built by this version into that shape (the rows are the changes this version
replays), drops what that version did not have, and opens it again, so that the store's own upgrade runs.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, text, update

from smi.store import APPLIED, Store, devices, extracts, status_history


def as_an_earlier_version_left_it(store: Store) -> None:
    """Rewrite the database into the earlier version's shape, then open it as this version does (upgraded)."""
    d, x = devices.c, extracts.c
    with store.begin() as conn:
        changed = [int(i) for i in conn.execute(select(d.id).where(d.status_sequence.is_not(None))).scalars()]
        histories = {ref: (device_id, changes) for ref, device_id, changes, _ in store._replayed(conn, changed)}
        applied = conn.execute(
            select(x.id, x.sequence, x.applied_at).where(x.state == APPLIED).order_by(x.sequence)
        ).all()
        for record_id, sequence, _applied_at in applied:
            after = int(conn.execute(select(func.coalesce(func.max(status_history.c.id), 0))).scalar_one())
            rows = [
                {
                    "device_ref": ref,
                    "device_id": device_id,
                    "status": change.status,
                    "since": change.since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "until": change.until.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "new_status": change.new_status,
                    "extract_sequence": sequence,
                    "alert": change.alert,
                }
                for ref, (device_id, changes) in sorted(histories.items())
                for change in changes
                if change.extract_sequence == sequence
            ]
            if rows:
                conn.execute(insert(status_history), rows)
            last = int(conn.execute(select(func.coalesce(func.max(status_history.c.id), 0))).scalar_one())
            conn.execute(update(extracts).where(x.id == record_id).values(history_after_id=after, history_last_id=last))
        since_last_change = (
            select(x.applied_at).where(x.sequence == d.status_sequence, x.state == APPLIED).scalar_subquery()
        )
        conn.execute(update(devices).where(d.status_sequence.is_not(None)).values(status_since=since_last_change))
        conn.execute(text("ALTER TABLE devices DROP COLUMN status_sequence"))
        conn.execute(text("ALTER TABLE devices DROP COLUMN suspended_at_upgrade"))
        conn.execute(text("DROP TABLE device_moves"))
    store.create()


def as_an_earlier_version_left_the_database(url: str) -> None:
    """`as_an_earlier_version_left_it` on the database at ``url`` (a command line test's inventory)."""
    store = Store.open(url)
    try:
        as_an_earlier_version_left_it(store)
    finally:
        store.dispose()
