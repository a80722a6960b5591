"""'Did you mean ...?': the valid values nearest one that is not, for the sentence of its finding.

Values are compared as they are matched (case and white space ignored), with the standard library's
``difflib`` ratio; a value a spreadsheet user mistyped ('Gas Smart Metre') is close to the one they
meant, one of another list ('Renewal' for a Submission Type) is not.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from cpl.core.schema import normalise_header

#: How alike (difflib's ratio, 0 to 1) a valid value must be to be suggested: 'Gas Meter' is 0.75 from
#: 'Gas Smart Meter'; 'Renewal' is 0.6 from 'New'.
CUTOFF = 0.7
#: Only values about as near as the nearest are suggested beside it: 'SMTES2 v4.2' is 0.91 from
#: 'SMETS2 v4.2' and 0.82 from 'SMETS2 v4.4', which is then left out.
MARGIN = 0.05
#: At most this many suggestions (versions differ by a digit: 'SMETS2 v4.9' is as near 4.4 as 4.3).
MOST = 3


def close_matches(text: str, spellings: Mapping[str, str]) -> tuple[str, ...]:
    """Up to ``MOST`` spellings near ``text``, nearest first, one for each value they name.

    ``spellings`` maps each accepted spelling to the value it names (a value's own spelling to itself,
    an alias to its value); the spelling nearest what was written stands for its value.
    """
    by_key: dict[str, tuple[str, str]] = {}
    for spelling, value in spellings.items():
        by_key.setdefault(normalise_header(spelling), (spelling, value))
    written = normalise_header(text)
    nearest = difflib.get_close_matches(written, by_key, n=len(by_key), cutoff=CUTOFF)
    if not nearest:
        return ()
    best = _ratio(nearest[0], written)
    chosen: dict[str, str] = {}
    for key in nearest:
        spelling, value = by_key[key]
        if _ratio(key, written) >= best - MARGIN:
            chosen.setdefault(str(value), str(spelling))
    return tuple(chosen.values())[:MOST]


def _ratio(candidate: str, written: str) -> float:
    """The score ``get_close_matches`` ranks ``candidate`` by (it compares each candidate to the word)."""
    return difflib.SequenceMatcher(None, candidate, written).ratio()


def did_you_mean(matches: Sequence[str]) -> str:
    """ "did you mean 'A'?", "... 'A' or 'B'?", "... 'A', 'B' or 'C'?"."""
    quoted = [f"'{match}'" for match in matches]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"did you mean {listed}?"
