"""The 12-month outcome: was a problem found in ``(T, T + 12 months]``?

A problem is an administrative penalty, an abnormal-operations listing, or an inspection
that found a problem (outcome ``problem``, ``not_found`` or ``refused``). The outcome is
computed from records only, so it works on real deliveries; it needs tables read as of
the end of the horizon (records up to ``T + 12 months``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from features.tables import GraphTables

HORIZON_MONTHS = 12
PROBLEM_INSPECTIONS = ("problem", "not_found", "refused")


def horizon_end(as_of: dt.date, months: int = HORIZON_MONTHS) -> dt.date:
    end: dt.date = (pd.Timestamp(as_of) + pd.DateOffset(months=months)).date()
    return end


def problems_between(later: GraphTables, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Problem records dated in ``(start, end]``: uscc, kind, date."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    inspections = later.event("inspection")
    frames = [
        later.event("penalty"),
        later.event("abnormal_listing"),
        inspections.loc[inspections["outcome"].isin(PROBLEM_INSPECTIONS)],
    ]
    kinds = ("penalty", "abnormal_listing", "inspection")
    found = pd.concat([frame[["uscc", "date"]].assign(kind=kind)
                       for frame, kind in zip(frames, kinds, strict=True)], ignore_index=True)
    return found.loc[(found["date"] > lo) & (found["date"] <= hi)].reset_index(drop=True)


def outcome_12m(later: GraphTables, as_of: dt.date, usccs: pd.Index,
                months: int = HORIZON_MONTHS) -> pd.Series:
    """1 where a problem was found in ``(as_of, as_of + months]``, else 0 (index: usccs).

    ``later`` must be read as of ``horizon_end(as_of, months)`` or after.
    """
    end = horizon_end(as_of, months)
    if later.as_of < end:
        raise ValueError(f"the outcome as of {as_of} needs records up to {end}; "
                         f"the tables stop at {later.as_of}")
    found = problems_between(later, as_of, end)
    return pd.Series(usccs.isin(found["uscc"]).astype(int), index=usccs, name="outcome")
