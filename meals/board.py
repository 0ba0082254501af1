"""The shift board's rows and its cache.

The board (three weeks of shifts, each with its helpers' first names) is the
page volunteers open most. Its HTML is cached per process under:

- the **board's change counter** (cantine/changes.py), a number the database
  itself changes when a shift, a sign-up, a meal's title, time or status, or
  a helper's name changes: a committed write changes the key, so the board is
  never stale, whoever wrote and however;
- the **viewer**, the filter and the language;
- an **end of validity**: the board also depends on the clock (a shift leaves
  it when it starts, enters it three weeks before, and cannot be released
  online in its last 24 hours), so each cached board knows the first moment
  the clock would change it and is rebuilt then. This is not a timer: it is
  the exact instant computed from the rows.

A request that finds its board reads one number from the database, instead of
every shift and sign-up of three weeks (``meals.selectors.board_meals``).
"""

from cantine.changes import KeyedCache, change_counters


def board_version() -> int | None:
    """The board's change counter (None if its row is missing: then nothing is cached)."""
    return change_counters().get("board")


# About 200 kB a board at 200 shifts: 64 entries stay well under 30 MB a worker.
board_cache = KeyedCache(size=64)
