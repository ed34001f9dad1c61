"""How each indicator's raw value is computed from the tables as of a date.

Each function takes the tables and the indicator's influence window (days) and returns
one value per enterprise (a Series indexed by USCC; NaN where it cannot be computed).
The config file names them; :data:`INDICATORS` is the registry it is checked against.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.tables import GraphTables
from ingestion.reference import industry_section

IndicatorFn = Callable[[GraphTables, int], pd.Series]
INDICATORS: dict[str, IndicatorFn] = {}

SEVERITY_WEIGHT = {"minor": 1.0, "general": 2.0, "serious": 4.0}
KEY_CHANGE_FIELDS = ("legal_rep", "address", "shareholder", "name")
INSPECTION_PROBLEMS = ("problem",)
INSPECTION_EVASION = ("not_found", "refused")
# Licences of the safety sectors (food, drugs, medical devices, special equipment).
SECTOR_LICENCES: dict[str, tuple[str, ...]] = {
    "food_production": ("food_production",),
    "drug_retail": ("drug_retail",),
    "medical_devices": ("medical_device_business", "medical_device_production"),
    "special_equipment": ("special_equipment_use",),
}
SAFETY_LICENCES = (*(t for types in SECTOR_LICENCES.values() for t in types), "food_business")
# The penalty category of each sector's own law.
SECTOR_PENALTY_CATEGORY = {
    "food_production": "food_safety",
    "drug_retail": "drug_safety",
    "medical_devices": "medical_device_safety",
    "special_equipment": "special_equipment_safety",
}


def indicator(name: str) -> Callable[[IndicatorFn], IndicatorFn]:
    def register(function: IndicatorFn) -> IndicatorFn:
        INDICATORS[name] = function
        return function

    return register


def _per_enterprise(t: GraphTables, values: pd.Series, fill: float | None = 0.0) -> pd.Series:
    result = values.reindex(t.usccs).astype(float)
    return result if fill is None else result.fillna(fill)


def _count(t: GraphTables, frame: pd.DataFrame) -> pd.Series:
    return _per_enterprise(t, frame.groupby("uscc").size())


def _weighted_count(t: GraphTables, penalties: pd.DataFrame) -> pd.Series:
    """Penalties per enterprise, each counting its leniency weight (首违不罚 less)."""
    return _per_enterprise(t, t.penalty_weight(penalties).groupby(penalties["uscc"]).sum())


def _flag(t: GraphTables, usccs: pd.Index) -> pd.Series:
    return pd.Series(t.usccs.isin(usccs).astype(float), index=t.usccs)


# --- basic attributes -----------------------------------------------------------------


@indicator("age_years")
def age_years(t: GraphTables, window_days: int) -> pd.Series:
    established = pd.to_datetime(t.enterprises["established"])
    return (t.as_of_ts - established).dt.days / 365.25


@indicator("paid_in_ratio")
def paid_in_ratio(t: GraphTables, window_days: int) -> pd.Series:
    registered = t.enterprises["registered_capital"].astype(float)
    paid = t.enterprises["paid_in_capital"].astype(float)
    return (paid / registered.where(registered > 0)).clip(0.0, 1.0)


@indicator("entity_type")
def entity_type(t: GraphTables, window_days: int) -> pd.Series:
    return t.enterprises["entity_type"]


@indicator("registered_capital")
def registered_capital(t: GraphTables, window_days: int) -> pd.Series:
    capital = t.enterprises["registered_capital"].astype(float)
    return capital.where(capital > 0)


@indicator("industry_tier")
def industry_tier(t: GraphTables, window_days: int) -> pd.Series:
    codes = t.enterprises["industry_code"]
    return codes.where(codes.isna(), codes.dropna().map(industry_section))


# --- dynamic information --------------------------------------------------------------


@indicator("key_changes_12m")
def key_changes(t: GraphTables, window_days: int) -> pd.Series:
    changes = t.since("change", window_days)
    return _count(t, changes.loc[changes["field"].isin(KEY_CHANGE_FIELDS)])


@indicator("capital_reductions_3y")
def capital_reductions(t: GraphTables, window_days: int) -> pd.Series:
    changes = t.since("change", window_days)
    changes = changes.loc[changes["field"] == "registered_capital"]
    old = pd.to_numeric(changes["old"], errors="coerce")
    new = pd.to_numeric(changes["new"], errors="coerce")
    return _count(t, changes.loc[new < old])


@indicator("annual_report_gaps_3y")
def annual_report_gaps(t: GraphTables, window_days: int) -> pd.Series:
    """Reports for the last three closed years (due 30 June) that are missing or late.

    Only years the enterprise existed in count.
    """
    last_due = t.as_of.year - 1 if (t.as_of.month, t.as_of.day) >= (6, 30) else t.as_of.year - 2
    years = np.arange(last_due - 2, last_due + 1)
    founded = pd.to_datetime(t.enterprises["established"]).dt.year.to_numpy()
    expected = (founded[:, None] <= years[None, :]).sum(axis=1)
    reports = t.event("annual_report")
    in_range = reports.loc[reports["year"].isin(years)]
    filed = in_range.loc[in_range["on_time"].astype(bool)].groupby("uscc")["year"].nunique()
    on_time = filed.reindex(t.usccs).fillna(0).to_numpy()
    return pd.Series(np.maximum(expected - on_time, 0), index=t.usccs, dtype=float)


@indicator("equity_pledges_3y")
def equity_pledges(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, t.since("equity_pledge", window_days))


@indicator("ip_pledges_3y")
def ip_pledges(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, t.since("ip_pledge", window_days))


# --- regulatory records ---------------------------------------------------------------


@indicator("on_abnormal_list")
def on_abnormal_list(t: GraphTables, window_days: int) -> pd.Series:
    return _flag(t, t.listed_now("abnormal_listing"))


@indicator("abnormal_listings_3y")
def abnormal_listings(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, t.since("abnormal_listing", window_days))


@indicator("credit_repair_share_3y")
def credit_repair_share(t: GraphTables, window_days: int) -> pd.Series:
    """Share of list entries (abnormal, dishonesty) in the window removed by ``as_of``;
    NaN for enterprises never listed in it."""
    entries = pd.concat([t.since(kind, window_days)[["uscc", "removed"]]
                         for kind in ("abnormal_listing", "serious_dishonesty")])
    removed = pd.to_datetime(entries["removed"])
    repaired = (removed.notna() & (removed <= t.as_of_ts)).astype(float)
    return _per_enterprise(t, repaired.groupby(entries["uscc"]).mean(), fill=None)


@indicator("penalty_severity_3y")
def penalty_severity(t: GraphTables, window_days: int) -> pd.Series:
    penalties = t.since("penalty", window_days)
    weights = penalties["severity"].map(SEVERITY_WEIGHT).astype(float) * t.penalty_weight(
        penalties)
    return _per_enterprise(t, weights.groupby(penalties["uscc"]).sum())


@indicator("penalty_amount_3y")
def penalty_amount(t: GraphTables, window_days: int) -> pd.Series:
    penalties = t.since("penalty", window_days)
    amounts = penalties["amount"].astype(float) * t.penalty_weight(penalties)
    return _per_enterprise(t, amounts.groupby(penalties["uscc"]).sum())


@indicator("penalties_12m")
def penalties_recent(t: GraphTables, window_days: int) -> pd.Series:
    penalties = t.since("penalty", window_days)
    return _weighted_count(t, penalties.loc[penalties["severity"] != "minor"])


@indicator("inspection_problems_3y")
def inspection_problems(t: GraphTables, window_days: int) -> pd.Series:
    inspections = t.since("inspection", window_days)
    return _count(t, inspections.loc[inspections["outcome"].isin(INSPECTION_PROBLEMS)])


@indicator("inspection_evasion_3y")
def inspection_evasion(t: GraphTables, window_days: int) -> pd.Series:
    inspections = t.since("inspection", window_days)
    return _count(t, inspections.loc[inspections["outcome"].isin(INSPECTION_EVASION)])


@indicator("court_tax_3y")
def court_and_tax(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, t.since("court_enforcement", window_days)) + _count(
        t, t.since("tax_violation", window_days)
    )


def revoked_licences(t: GraphTables, window_days: int) -> pd.DataFrame:
    """Licences revoked within the window up to ``as_of``."""
    licences = t.event("licence")
    revoked = pd.to_datetime(licences["revoked"])
    recent = (revoked <= t.as_of_ts) & (revoked > t.as_of_ts - pd.Timedelta(days=window_days))
    return licences.loc[recent]


@indicator("licence_revocations_3y")
def licence_revocations(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, revoked_licences(t, window_days))


@indicator("safety_licence_revoked_3y")
def safety_licence_revoked(t: GraphTables, window_days: int) -> pd.Series:
    revoked = revoked_licences(t, window_days)
    return _count(t, revoked.loc[revoked["licence_type"].isin(SAFETY_LICENCES)])


@indicator("on_serious_dishonesty")
def on_serious_dishonesty(t: GraphTables, window_days: int) -> pd.Series:
    return _flag(t, t.listed_now("serious_dishonesty"))


# --- relationships --------------------------------------------------------------------


@indicator("related_bad_share")
def related_bad_share(t: GraphTables, window_days: int) -> pd.Series:
    """Share of related enterprises with a visible problem; NaN when none are related."""
    pairs = t.related_pairs
    bad = pairs["other"].isin(t.problem_enterprises).astype(float)
    return _per_enterprise(t, bad.groupby(pairs["uscc"]).mean(), fill=None)


def _others_sharing(t: GraphTables, frame: pd.DataFrame, column: str) -> pd.Series:
    sizes = frame.groupby(column)["uscc"].transform("nunique") - 1
    return _per_enterprise(t, sizes.groupby(frame["uscc"]).max())


@indicator("shared_address_count")
def shared_address_count(t: GraphTables, window_days: int) -> pd.Series:
    return _others_sharing(t, t.addresses, "address")


@indicator("shared_phone_count")
def shared_phone_count(t: GraphTables, window_days: int) -> pd.Series:
    return _others_sharing(t, t.phones, "phone")


@indicator("shared_email_count")
def shared_email_count(t: GraphTables, window_days: int) -> pd.Series:
    return _others_sharing(t, t.emails, "email")


@indicator("legal_rep_bad_enterprises")
def legal_rep_bad_enterprises(t: GraphTables, window_days: int) -> pd.Series:
    """Other problem enterprises in which this enterprise's legal representative has a role."""
    links = t.person_links
    reps = links.loc[links["role"] == "legal_rep", ["person_id", "uscc"]]
    roles = links[["person_id", "uscc"]].drop_duplicates()
    others = reps.merge(roles, on="person_id", suffixes=("", "_other"))
    others = others.loc[
        (others["uscc_other"] != others["uscc"])
        & others["uscc_other"].isin(t.problem_enterprises)
    ]
    return _per_enterprise(t, others.groupby("uscc")["uscc_other"].nunique())


# --- social evaluation ----------------------------------------------------------------


@indicator("complaints_12m")
def complaints(t: GraphTables, window_days: int) -> pd.Series:
    return _count(t, t.since("complaint", window_days))


@indicator("complaint_growth_3m")
def complaint_growth(t: GraphTables, window_days: int) -> pd.Series:
    """Monthly complaint rate of the last 3 months over that of the 9 before (smoothed).

    ``(c3 / 3) / ((c9 + 1) / 9)``: the +1 keeps a first complaint from looking infinite.
    """
    last_3 = _count(t, t.since("complaint", 91))
    before = _count(t, t.since("complaint", window_days)) - last_3
    return (last_3 / 3.0) / ((before + 1.0) / 9.0)


@indicator("complaint_categories_12m")
def complaint_categories(t: GraphTables, window_days: int) -> pd.Series:
    recent = t.since("complaint", window_days)
    return _per_enterprise(t, recent.groupby("uscc")["category"].nunique())


# --- sector overlays ------------------------------------------------------------------


def valid_licences(t: GraphTables, types: tuple[str, ...]) -> pd.DataFrame:
    """Licences of ``types`` in force on ``as_of``: issued, not expired, not revoked."""
    licences = t.event("licence")
    licences = licences.loc[licences["licence_type"].isin(types)]
    expires = pd.to_datetime(licences["expires"])
    revoked = pd.to_datetime(licences["revoked"])
    valid = (expires.isna() | (expires > t.as_of_ts)) & (revoked.isna() | (revoked > t.as_of_ts))
    return licences.loc[valid]


def _sector_penalties(category: str) -> IndicatorFn:
    def compute(t: GraphTables, window_days: int) -> pd.Series:
        penalties = t.since("penalty", window_days)
        return _weighted_count(t, penalties.loc[penalties["category"] == category])

    return compute


def _licence_lapsed(sector: str, types: tuple[str, ...]) -> IndicatorFn:
    def compute(t: GraphTables, window_days: int) -> pd.Series:
        """1 for an operating member of the sector without a licence in force, else 0."""
        lacking = ~t.usccs.isin(valid_licences(t, types)["uscc"])
        operating = (t.enterprises["status"] == "operating").to_numpy()
        member = t.in_sector(sector).to_numpy()
        return pd.Series((lacking & operating & member).astype(float), index=t.usccs)

    return compute


for _sector, _category in SECTOR_PENALTY_CATEGORY.items():
    INDICATORS[f"{_sector}_penalties_3y"] = _sector_penalties(_category)
    INDICATORS[f"{_sector}_licence_lapsed"] = _licence_lapsed(_sector, SECTOR_LICENCES[_sector])
