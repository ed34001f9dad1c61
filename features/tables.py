"""The graph read "as of" a date, as the tables that indicators are computed from.

Everything is read in bulk (one table per label or relationship spec, never a query per
node) and cut to what was known at ``as_of``: events dated after it and relationships not
valid on it are left out, so features at T never see records after T.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from features.config import Leniency
from graph import schema
from graph.store import GraphStore

PERSON_ROLES = {
    "shareholder": schema.PERSON_HOLDS_SHARES,
    "legal_rep": schema.LEGAL_REP_OF,
    "officer": schema.OFFICER_OF,
}


def _valid_on(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    since = pd.to_datetime(frame["since"])
    until = pd.to_datetime(frame["until"])
    keep = (since.isna() | (since <= as_of)) & (until.isna() | (until > as_of))
    return frame.loc[keep]


@dataclass
class GraphTables:
    """Enterprises, their events and their links, as known on ``as_of``.

    ``leniency`` (包容审慎) decides which records count: :meth:`since` and
    :meth:`listed_now` leave out records whose publicity period has ended, and
    :meth:`penalty_weight` weighs unpunished penalties (首违不罚). :meth:`lenient` gives
    the same tables under the indicator config's rules.
    """

    as_of: dt.date
    enterprises: pd.DataFrame  # indexed by uscc
    events: dict[str, pd.DataFrame]  # kind -> rows with datetime64 `date`
    person_links: pd.DataFrame  # person_id, uscc, role
    enterprise_links: pd.DataFrame  # uscc, other (both directions), via
    addresses: pd.DataFrame  # uscc, address
    phones: pd.DataFrame  # uscc, phone
    emails: pd.DataFrame  # uscc, email
    leniency: Leniency = field(default_factory=Leniency)
    _publicised: dict[str, pd.Series] = field(init=False, default_factory=dict, repr=False)

    def lenient(self, leniency: Leniency) -> GraphTables:
        """These tables under ``leniency`` (the frames are shared, not copied)."""
        return self if leniency == self.leniency else replace(self, leniency=leniency)

    @property
    def as_of_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of)

    @property
    def usccs(self) -> pd.Index:
        return self.enterprises.index

    def event(self, kind: str) -> pd.DataFrame:
        return self.events[kind]

    def publicised(self, kind: str) -> pd.Series:
        """Per event of ``kind``: does it still count, its publicity period not ended
        (``publicity_end`` is the last day; none: no end). All True when the leniency
        rule is off."""
        if kind not in self._publicised:
            frame = self.events[kind]
            end = pd.to_datetime(frame["publicity_end"])
            keep = end.isna() | (end >= self.as_of_ts)
            if not self.leniency.publicity_ends_counting:
                keep[:] = True
            self._publicised[kind] = keep
        return self._publicised[kind]

    def _recent(self, kind: str, days: int) -> pd.Series:
        return self.events[kind]["date"] > self.as_of_ts - pd.Timedelta(days=days)

    def since(self, kind: str, days: int) -> pd.DataFrame:
        """Events of ``kind`` dated within ``days`` up to ``as_of`` that still count."""
        return self.events[kind].loc[self._recent(kind, days) & self.publicised(kind)]

    def publicity_ended(self, kind: str, days: int) -> pd.DataFrame:
        """Events of ``kind`` within ``days`` that no longer count: publicity period ended."""
        return self.events[kind].loc[self._recent(kind, days) & ~self.publicised(kind)]

    def penalty_weight(self, penalties: pd.DataFrame) -> pd.Series:
        """How much each penalty row counts: ``unpunished_weight`` for 首违不罚, else 1."""
        if "unpunished" not in penalties:  # a store written before the field existed
            return pd.Series(1.0, index=penalties.index)
        unpunished = penalties["unpunished"].eq(True)
        return unpunished.map({True: self.leniency.unpunished_weight, False: 1.0}).astype(float)

    def listed_now(self, kind: str) -> pd.Index:
        """USCCs on a list (abnormal, dishonesty) on ``as_of``: listed, not yet removed and
        still publicised."""
        frame = self.events[kind]
        removed = pd.to_datetime(frame["removed"])
        current = (pd.to_datetime(frame["listed"]) <= self.as_of_ts) & (
            removed.isna() | (removed > self.as_of_ts)
        ) & self.publicised(kind)
        listed: pd.Index = pd.Index(frame.loc[current, "uscc"].unique(), dtype=object)
        return listed

    @cached_property
    def sector_members(self) -> pd.DataFrame:
        """One row per (uscc, sector) of ``Enterprise.sectors``."""
        sectors = self.enterprises["sectors"].explode().dropna()
        return pd.DataFrame({"uscc": sectors.index.to_numpy(),
                             "sector": sectors.astype(str).to_numpy()})

    def in_sector(self, sector: str) -> pd.Series:
        """Boolean per enterprise: does it belong to ``sector``."""
        members = self.sector_members
        return pd.Series(
            self.usccs.isin(members.loc[members["sector"] == sector, "uscc"]), index=self.usccs)

    @cached_property
    def problem_enterprises(self) -> pd.Index:
        """Enterprises with a visible problem on ``as_of``: revoked, listed, or penalised.

        Penalties count when general or serious, within three years and not unpunished
        at weight 0.
        """
        revoked = self.enterprises.index[self.enterprises["status"] == "revoked"]
        penalties = self.since("penalty", 3 * 365)
        counted = (penalties["severity"] != "minor") & (self.penalty_weight(penalties) > 0)
        penalised = penalties.loc[counted, "uscc"].unique()
        return (
            revoked.union(self.listed_now("abnormal_listing"))
            .union(self.listed_now("serious_dishonesty"))
            .union(pd.Index(penalised))
        )

    @cached_property
    def related_pairs(self) -> pd.DataFrame:
        """Distinct (uscc, other) pairs linked by a shared person or an enterprise link."""
        links = self.person_links[["person_id", "uscc"]].drop_duplicates()
        via_people = links.merge(links, on="person_id", suffixes=("", "_other"))
        pairs = pd.concat([
            via_people.rename(columns={"uscc_other": "other"})[["uscc", "other"]],
            self.enterprise_links[["uscc", "other"]],
        ])
        pairs = pairs.loc[pairs["uscc"] != pairs["other"]]
        return pairs.drop_duplicates().reset_index(drop=True)


def read_tables(store: GraphStore, as_of: dt.date) -> GraphTables:
    """Read everything the indicators need from ``store``, cut to ``as_of``.

    Enterprises established after ``as_of`` are left out; rows are in USCC order, so the
    same graph gives the same tables on either store.
    """
    as_of_ts = pd.Timestamp(as_of)
    enterprises = store.node_table("Enterprise")
    enterprises = enterprises.loc[pd.to_datetime(enterprises["established"]) <= as_of_ts]
    enterprises = enterprises.sort_values("uscc").set_index("uscc", drop=False)
    enterprises.index.name = None

    events: dict[str, pd.DataFrame] = {}
    for kind, spec in schema.EVENT_NODES.items():
        frame = store.node_table(spec.label)
        frame["date"] = pd.to_datetime(frame["date"])
        events[kind] = frame.loc[frame["date"] <= as_of_ts].reset_index(drop=True)

    person_links = pd.concat([
        _valid_on(store.relationship_table(spec), as_of_ts)
        .rename(columns={"start": "person_id", "end": "uscc"})
        .assign(role=role)[["person_id", "uscc", "role"]]
        for role, spec in PERSON_ROLES.items()
    ], ignore_index=True)

    holdings = _valid_on(store.relationship_table(schema.ENTERPRISE_HOLDS_SHARES), as_of_ts)
    branches = store.relationship_table(schema.BRANCH_OF)
    directed = pd.concat([
        holdings[["start", "end"]].assign(via="shareholding"),
        branches[["start", "end"]].assign(via="branch"),
    ], ignore_index=True)
    enterprise_links = pd.concat([
        directed.rename(columns={"start": "uscc", "end": "other"}),
        directed.rename(columns={"end": "uscc", "start": "other"}),
    ], ignore_index=True)

    def contact(spec: schema.RelSpec, column: str) -> pd.DataFrame:
        # Declared by as_of and not replaced by then (a later address is not known at T).
        table = _valid_on(store.relationship_table(spec), as_of_ts)
        return (table.rename(columns={"start": "uscc", "end": column})[["uscc", column]]
                .drop_duplicates().reset_index(drop=True))

    return GraphTables(
        as_of=as_of,
        enterprises=enterprises,
        events=events,
        person_links=person_links,
        enterprise_links=enterprise_links,
        addresses=contact(schema.REGISTERED_AT, "address"),
        phones=contact(schema.HAS_PHONE, "phone"),
        emails=contact(schema.HAS_EMAIL, "email"),
    )
