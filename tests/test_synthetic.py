"""Synthetic province: reproducibility, validity, integrity, structure, the risk signal and
the monthly deliveries."""

from __future__ import annotations

import datetime as dt
import itertools
import typing
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import spearmanr

from ingestion import reference
from ingestion.identifiers import is_valid_id_number, is_valid_uscc, make_uscc
from ingestion.models import RECORD_KINDS, Contact
from ingestion.synthetic import (
    EVENT_KINDS,
    NATURAL_KEYS,
    MonthlyDelivery,
    Province,
    generate_province,
    monthly_deliveries,
)
from ingestion.validate import validate_frames

N = 3000
AS_OF = dt.date(2026, 10, 31)
EVENT_COLUMNS = ["event_id", "uscc", "date", "source", "publicity_end"]
EXTRA_COLUMNS = {
    "change": ["field", "old", "new"],
    "filing": [],
    "equity_pledge": ["amount"],
    "ip_pledge": [],
    "licence": ["licence_type", "expires", "revoked"],
    "penalty": ["amount", "category", "severity", "authority", "unpunished"],
    "abnormal_listing": ["reason", "listed", "removed"],
    "serious_dishonesty": ["reason", "listed", "removed"],
    "inspection": ["task_id", "outcome"],
    "complaint": ["category"],
    "annual_report": ["year", "on_time"],
    "court_enforcement": ["amount"],
    "tax_violation": ["amount"],
}
# fields that look forward from the event and may lie after as_of
FORWARD_COLUMNS = {"expires", "publicity_end"}


@pytest.fixture(scope="module")
def province() -> Province:
    return generate_province(N, seed=7, as_of=AS_OF)


def _frames(p: Province) -> dict[str, pd.DataFrame]:
    """Every frame of the province, the record frames and the two that are not records."""
    return p.frames() | {"status_since": p.status_since, "hidden_risk": p.hidden_risk}


def _plain(value: object) -> object:
    return None if isinstance(value, float) and np.isnan(value) else value


def _count_score(p: Province) -> pd.Series:
    """Quick ad-hoc indicator score: adverse records in the 3-year window, unweighted."""
    cut = p.as_of - dt.timedelta(days=3 * 365)
    index = p.hidden_risk["uscc"]

    def count(frame: pd.DataFrame) -> pd.Series:
        recent = frame[frame["date"] >= cut]
        return recent.groupby("uscc").size().reindex(index, fill_value=0)

    ev = p.events
    inspections, reports = ev["inspection"], ev["annual_report"]
    return (
        count(ev["penalty"])
        + count(ev["abnormal_listing"])
        + 2 * count(ev["serious_dishonesty"])
        + count(inspections[inspections["outcome"] != "clean"])
        + count(ev["complaint"])
        + count(ev["court_enforcement"])
        + count(ev["tax_violation"])
        + count(reports[~reports["on_time"].astype(bool)])
        + count(ev["change"])
    )


# --- reproducibility and shape ----------------------------------------------------------------


def test_same_seed_same_province_other_seed_other_province() -> None:
    first, again = generate_province(500, seed=3), generate_province(500, seed=3)
    for name, frame in _frames(first).items():
        pd.testing.assert_frame_equal(frame, _frames(again)[name], obj=name)
    other = generate_province(500, seed=4)
    assert not set(first.enterprises["uscc"]) & set(other.enterprises["uscc"])
    assert not first.hidden_risk["hidden_risk"].equals(other.hidden_risk["hidden_risk"])


def test_frames_are_the_record_kinds_with_the_model_fields(province: Province) -> None:
    frames = province.frames()
    assert list(frames) == list(RECORD_KINDS)  # every kind, in load order
    for kind, frame in frames.items():
        assert list(frame.columns) == list(RECORD_KINDS[kind].model_fields), kind
        assert len(frame) > 0, kind
    assert set(province.events) == set(EXTRA_COLUMNS) == set(EVENT_KINDS)
    for kind, frame in province.events.items():
        assert frames[kind] is frame
        assert list(frame.columns) == EVENT_COLUMNS + EXTRA_COLUMNS[kind], kind
    assert list(province.hidden_risk.columns) == ["uscc", "hidden_risk"]
    assert list(province.status_since.columns) == ["uscc", "since"]
    assert set(NATURAL_KEYS) == set(RECORD_KINDS)


def test_every_record_validates_against_its_model(province: Province) -> None:
    # validate_frames covers the other kinds (below); contacts and a sample of each kind here
    for kind, frame in province.frames().items():
        model = RECORD_KINDS[kind]
        sample = frame if kind == "contacts" else frame.head(200)
        for row in sample.to_dict("records"):
            model.model_validate({name: _plain(value) for name, value in row.items()})


def test_natural_keys_are_unique(province: Province) -> None:
    for kind, frame in province.frames().items():
        assert not frame.duplicated(list(NATURAL_KEYS[kind])).any(), kind


def test_sizes_are_realistic(province: Province) -> None:
    assert len(province.enterprises) == N
    assert 1.3 <= len(province.people) / N <= 1.7
    status = province.enterprises["status"].value_counts(normalize=True)
    assert status["operating"] > 0.85
    assert set(status.index) <= set(reference.STATUSES)
    assert set(province.enterprises["entity_type"]) == set(reference.ENTITY_TYPES)
    sectors = {s for row in province.enterprises["sectors"] for s in row}
    assert sectors == set(reference.SECTORS)


def test_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 100"):
        generate_province(10)


# --- identifiers ------------------------------------------------------------------------------


def test_usccs_are_valid_unique_and_match_the_entity(province: Province) -> None:
    ent = province.enterprises
    assert ent["uscc"].is_unique
    assert all(is_valid_uscc(code, strict=True) for code in ent["uscc"])
    prefix = ent["entity_type"].map(reference.USCC_PREFIX_BY_ENTITY_TYPE)
    assert (ent["uscc"].str[:2] == prefix).all()
    assert (ent["uscc"].str[2:8] == ent["region_code"]).all()
    assert set(ent["region_code"]) <= set(reference.DISTRICT_BY_CODE)
    # the vectorised construction is make_uscc's
    for code in ent["uscc"].head(50):
        assert make_uscc(code[0], code[1], code[2:8], code[8:16]) == code


def test_id_numbers_are_valid_and_unique(province: Province) -> None:
    ids = province.people["id_number"]
    assert ids.is_unique
    assert all(is_valid_id_number(code, today=AS_OF) for code in ids)


def test_codes_from_the_reference_tables(province: Province) -> None:
    ent = province.enterprises
    sections = ent["industry_code"].map(reference.industry_section)
    assert sections.nunique() >= 15
    assert sections.value_counts().iloc[0] > 3 * sections.value_counts().median()  # skewed
    prefectures = ent["region_code"].map(reference.prefecture_of)
    assert set(prefectures) == set(reference.PREFECTURE_BY_CODE)


# --- integrity --------------------------------------------------------------------------------


def test_every_reference_resolves(province: Province) -> None:
    usccs = set(province.enterprises["uscc"])
    ids = set(province.people["id_number"])
    sh = province.shareholdings
    assert set(sh["enterprise_uscc"]) <= usccs
    assert set(sh.loc[sh["holder_kind"] == "enterprise", "holder_id"]) <= usccs
    assert set(sh.loc[sh["holder_kind"] == "person", "holder_id"]) <= ids
    assert set(sh["holder_kind"]) == {"person", "enterprise"}
    for frame in (province.legal_reps, province.officers):
        assert set(frame["enterprise_uscc"]) <= usccs
        assert set(frame["id_number"]) <= ids
    assert set(province.branches["branch_uscc"]) | set(province.branches["parent_uscc"]) <= usccs
    assert set(province.hidden_risk["uscc"]) == usccs
    for frame in province.events.values():
        assert set(frame["uscc"]) <= usccs
    # nobody is delivered without a role
    referenced = (
        set(sh.loc[sh["holder_kind"] == "person", "holder_id"])
        | set(province.legal_reps["id_number"])
        | set(province.officers["id_number"])
    )
    assert referenced == ids


def test_every_enterprise_has_one_current_legal_rep(province: Province) -> None:
    current = province.legal_reps[province.legal_reps["until"].isna()]
    assert current["enterprise_uscc"].is_unique
    assert set(current["enterprise_uscc"]) == set(province.enterprises["uscc"])


def test_share_totals_never_exceed_one(province: Province) -> None:
    sh = province.shareholdings
    assert ((sh["ratio"] > 0) & (sh["ratio"] <= 1)).all()
    for day in (AS_OF, AS_OF - dt.timedelta(days=400), AS_OF - dt.timedelta(days=1500)):
        active = sh[(sh["since"] <= day) & sh["until"].map(lambda u, d=day: u is None or d < u)]
        assert active.groupby("enterprise_uscc")["ratio"].sum().max() <= 1.0 + 1e-9


def test_nothing_is_dated_after_as_of(province: Province) -> None:
    assert province.enterprises["established"].max() <= AS_OF
    for name, frame in _frames(province).items():
        for column in frame.columns:
            values = frame[column].dropna()
            if column in FORWARD_COLUMNS or not len(values):
                continue
            if isinstance(values.iloc[0], dt.date):
                assert values.max() <= AS_OF, (name, column)
    earliest = AS_OF - dt.timedelta(days=int(6 * 365.25) + 1)
    assert province.enterprises["established"].min() >= earliest


def test_dates_are_ordered(province: Province) -> None:
    established = province.enterprises.set_index("uscc")["established"]
    for name in ("shareholdings", "legal_reps", "officers"):
        frame = getattr(province, name)
        ended = frame[frame["until"].notna()]
        assert (ended["since"] <= ended["until"]).all(), name
        assert (frame["since"] >= frame["enterprise_uscc"].map(established)).all(), name
    for kind in ("abnormal_listing", "serious_dishonesty"):
        frame = province.events[kind]
        removed = frame[frame["removed"].notna()]
        assert (removed["listed"] <= removed["removed"]).all(), kind
        assert (frame["date"] == frame["listed"]).all()
    licences = province.events["licence"]
    revoked = licences[licences["revoked"].notna()]
    assert (revoked["date"] <= revoked["revoked"]).all()
    with_expiry = licences[licences["expires"].notna()]
    assert (with_expiry["date"] < with_expiry["expires"]).all()
    for kind, frame in province.events.items():
        assert (frame["date"] >= frame["uscc"].map(established)).all(), kind
        public = frame[frame["publicity_end"].notna()]
        assert (public["date"] < public["publicity_end"]).all(), kind


def test_events_have_stable_unique_ids_and_valid_codes(province: Province) -> None:
    ids = pd.concat([frame["event_id"] for frame in province.events.values()])
    assert ids.is_unique
    ev = province.events
    assert set(ev["change"]["field"]) == {
        "legal_rep", "address", "shareholder", "name", "registered_capital",
    }  # fmt: skip
    assert set(ev["penalty"]["severity"]) == {"minor", "general", "serious"}
    # 首违不罚: some penalties are unpunished, each its enterprise's first, minor, no fine
    penalties = ev["penalty"]
    unpunished = penalties.loc[penalties["unpunished"].astype(bool)]
    assert 0 < len(unpunished) < len(penalties.loc[penalties["severity"] == "minor"])
    assert (unpunished["severity"] == "minor").all() and (unpunished["amount"] == 0).all()
    first = penalties.sort_values(["uscc", "date"]).drop_duplicates("uscc")["event_id"]
    assert unpunished["event_id"].isin(first).all()
    assert set(ev["inspection"]["outcome"]) == {"clean", "problem", "not_found", "refused"}
    reports = ev["annual_report"]
    assert (reports["year"] < AS_OF.year).all()
    assert not reports.duplicated(["uscc", "year"]).any()
    assert (reports["event_id"].str[-4:] == reports["year"].astype(str)).all()
    assert ev["serious_dishonesty"]["publicity_end"].notna().all()


# --- structure ---------------------------------------------------------------------------------


def _ownership_graph(province: Province) -> tuple[csr_matrix, dict[str, int]]:
    sh = province.shareholdings
    corp = sh[(sh["holder_kind"] == "enterprise") & sh["until"].isna()]
    index = {u: i for i, u in enumerate(province.enterprises["uscc"])}
    rows = corp["holder_id"].map(index).to_numpy()
    cols = corp["enterprise_uscc"].map(index).to_numpy()
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(index)))
    return graph, index


def test_holding_pyramids_and_cross_holding_cycles(province: Province) -> None:
    graph, _ = _ownership_graph(province)
    # depth: enterprises reachable over k ownership steps
    reach = graph.copy()
    depth = 1
    while reach.nnz and depth < 6:
        reach = reach @ graph
        depth += 1 if reach.nnz else 0
    assert depth >= 3  # at least 4 layers: parent, child, grandchild, great-grandchild
    _, labels = connected_components(graph, directed=True, connection="strong")
    assert np.bincount(labels).max() >= 2  # a cross-holding cycle exists


def test_shared_people_and_contacts(province: Province) -> None:
    current = province.legal_reps[province.legal_reps["until"].isna()]
    per_person = current.groupby("id_number").size()
    assert per_person.max() >= 4
    assert 0.05 < (current["id_number"].map(per_person) > 1).mean() < 0.5
    ent = province.enterprises
    assert ent.groupby("address").size().max() >= 4
    assert ent.groupby("phone").size().max() >= 4
    assert ent["email"].isna().any() and ent["email"].notna().any()
    branches = province.branches
    assert len(branches) > 0 and (branches["branch_uscc"] != branches["parent_uscc"]).all()
    assert ent.set_index("uscc").loc[branches["branch_uscc"], "registered_capital"].isna().all()


# --- hidden risk -------------------------------------------------------------------------------


def test_hidden_risk_is_skewed_and_kept_apart(province: Province) -> None:
    risk = province.hidden_risk["hidden_risk"]
    assert risk.between(0, 1).all()
    assert risk.median() < 0.2 < risk.quantile(0.99)
    for name, frame in _frames(province).items():
        if name != "hidden_risk":
            assert "hidden_risk" not in frame.columns, name


def test_hidden_risk_spreads_over_shared_legal_reps(province: Province) -> None:
    risk = province.hidden_risk.set_index("uscc")["hidden_risk"]
    high = set(risk[risk > risk.quantile(0.9)].index)
    current = province.legal_reps[province.legal_reps["until"].isna()]
    neighbours: dict[str, set[str]] = defaultdict(set)
    for _, group in current.groupby("id_number")["enterprise_uscc"]:
        members = set(group)
        for uscc in members:
            neighbours[uscc] |= members - {uscc}
    linked = [u for u, others in neighbours.items() if others & high]
    assert len(linked) >= 30
    assert risk[linked].mean() > 1.5 * risk.mean()


def test_shell_address_clusters_are_risky(province: Province) -> None:
    ent = province.enterprises.set_index("uscc")
    risk = province.hidden_risk.set_index("uscc")["hidden_risk"]
    key = ent["address"] + "|" + ent["phone"]
    size = key.map(key.value_counts())
    assert risk[size >= 4].mean() > 2 * risk[size == 1].mean()


def test_count_score_tracks_hidden_risk(province: Province) -> None:
    score = _count_score(province)
    rho = spearmanr(score.to_numpy(), province.hidden_risk["hidden_risk"].to_numpy()).statistic
    print(f"Spearman(count score, hidden risk) = {rho:.3f}")
    assert rho > 0.3


# --- reference tables --------------------------------------------------------------------------


def test_industry_sections_cover_divisions_without_gaps() -> None:
    divisions = [
        d for s in reference.INDUSTRY_SECTIONS for d in range(s.first_division, s.last_division + 1)
    ]
    assert divisions == list(range(1, 99))
    assert [s.code for s in reference.INDUSTRY_SECTIONS] == list("ABCDEFGHIJKLMNOPQRST")
    assert reference.industry_section("5251") == "F"
    assert reference.industry_section("C1311") == "C"
    assert reference.industry_section("0111") == "A"
    assert reference.industry_section("9800") == "T"
    for bad, message in (("9900", "does not exist"), ("A5251", "belongs to"), ("x", "2-4 digits")):
        with pytest.raises(ValueError, match=message):
            reference.industry_section(bad)


def test_zhejiang_prefectures() -> None:
    assert len(reference.ZHEJIANG_PREFECTURES) == 11
    assert reference.prefecture_of("330782") == "330700"
    assert reference.prefecture_of("330100") == "330100"
    assert reference.region_name_zh("330106") == "杭州市西湖区"
    for prefecture in reference.ZHEJIANG_PREFECTURES:
        assert prefecture.districts
        assert all(reference.prefecture_of(d.code) == prefecture.code for d in prefecture.districts)
    for bad in ("320102", "331200", "33010"):
        with pytest.raises(ValueError):
            reference.prefecture_of(bad)


@pytest.mark.parametrize("seed", range(4))
def test_small_provinces_with_empty_event_kinds_generate_and_validate(seed: int) -> None:
    # At 100 enterprises some event kinds are empty; that must not break generation.
    small = generate_province(100, seed=seed)
    delivery = validate_frames({
        "enterprises": small.enterprises, "people": small.people,
        "shareholdings": small.shareholdings, "legal_reps": small.legal_reps,
        "officers": small.officers, "branches": small.branches, **small.events})
    assert delivery.quarantine == []
    assert len(delivery.frames["enterprises"]) == 100


# --- realism: groups, shells, nominees, entity types ------------------------------------------


def _current_legal_rep(province: Province) -> pd.Series:
    current = province.legal_reps[province.legal_reps["until"].isna()]
    return current.set_index("enterprise_uscc")["id_number"]


def test_shell_clusters_share_one_address_and_one_legal_rep(province: Province) -> None:
    ent = province.enterprises.set_index("uscc")
    rep = _current_legal_rep(province).reindex(ent.index)
    clusters = pd.DataFrame({"address": ent["address"], "rep": rep}).groupby(["address", "rep"])
    sizes = clusters.size()
    assert sizes.max() >= 8
    assert (sizes >= 4).sum() >= 2
    # they are shells: nothing paid in, and riskier than the rest
    members = sizes[sizes >= 4].index
    shells = ent.index[pd.MultiIndex.from_arrays([ent["address"], rep]).isin(members)]
    assert (ent.loc[shells, "paid_in_capital"] == 0).all()
    risk = province.hidden_risk.set_index("uscc")["hidden_risk"]
    assert risk[shells].mean() > 2 * risk.mean()


def test_nominee_shareholders_hold_small_stakes_in_many_unrelated_companies(
    province: Province,
) -> None:
    sh = province.shareholdings
    people = sh[(sh["holder_kind"] == "person") & sh["until"].isna() & (sh["ratio"] <= 0.05)]
    small_stakes = people.groupby("holder_id").size()
    nominees = small_stakes.index[small_stakes >= 15]  # they may have other roles besides
    assert len(nominees) >= 2
    ent = province.enterprises.set_index("uscc")
    rep = _current_legal_rep(province)
    established = ent["established"]
    for nominee in nominees:
        held = people[people["holder_id"] == nominee]
        companies = held["enterprise_uscc"]
        # unrelated: drawn from the whole province, so legal reps and addresses hardly repeat
        # (a serial founder may run two of them by chance); no enterprise holds them
        assert rep[companies].nunique() >= 0.9 * len(companies)
        assert ent.loc[companies, "address"].nunique() >= 0.9 * len(companies)
        assert not sh["enterprise_uscc"].isin(companies)[sh["holder_kind"] == "enterprise"].any()
        # they join at some point of the company's life, not at its founding
        assert (held["since"] > companies.map(established).to_numpy()).mean() > 0.8


def test_individual_businesses_and_cooperatives(province: Province) -> None:
    ent = province.enterprises
    types = ent["entity_type"].value_counts(normalize=True)
    assert types["individual_business"] > 0.2 and types["farmer_cooperative"] > 0.02
    individual = ent.loc[ent["entity_type"] == "individual_business", "uscc"]
    assert not province.shareholdings["enterprise_uscc"].isin(individual).any()
    no_capital = ent.loc[ent["uscc"].isin(individual), "registered_capital"].isna().mean()
    assert 0.2 < no_capital < 0.5  # many declare none
    coops = ent.loc[ent["entity_type"] == "farmer_cooperative", "uscc"]
    members = province.shareholdings[province.shareholdings["enterprise_uscc"].isin(coops)]
    assert members.groupby("enterprise_uscc").size().median() >= 5


def test_histories_are_well_formed(province: Province) -> None:
    change = province.events["change"]
    attributes = change[change["field"].isin(["address", "name", "registered_capital"])]
    assert not (attributes["old"] == attributes["new"]).any()
    # nobody succeeds themselves as legal rep (people's names may repeat, their numbers not)
    reps = province.legal_reps.sort_values(["enterprise_uscc", "since"], kind="stable")
    same_enterprise = reps["enterprise_uscc"].eq(reps["enterprise_uscc"].shift())
    assert not (same_enterprise & reps["id_number"].eq(reps["id_number"].shift())).any()
    status = province.enterprises.set_index("uscc")["status"]
    since = province.status_since.set_index("uscc")["since"]
    established = province.enterprises.set_index("uscc")["established"]
    operating = status == "operating"
    assert (since[operating] == established[operating]).all()
    assert (since[~operating] > established[~operating]).all()
    assert since.max() <= AS_OF
    # a branch opens while its parent is active
    branches = province.branches
    assert (
        branches["branch_uscc"].map(established) > branches["parent_uscc"].map(established)
    ).all()
    parent_since = branches["parent_uscc"].map(since)
    parent_closed = branches["parent_uscc"].map(status).isin(["revoked", "cancelled"])
    opened = branches["branch_uscc"].map(established)
    assert (opened[parent_closed] < parent_since[parent_closed]).all()


def test_contacts_are_extra_and_some_are_shared(province: Province) -> None:
    contacts = province.contacts
    assert set(contacts["kind"]) == {"address", "phone", "email"}
    ent = province.enterprises.set_index("uscc")
    for kind in ("address", "phone", "email"):
        mine = contacts[contacts["kind"] == kind]
        assert (mine["value"] != mine["uscc"].map(ent[kind])).all(), kind  # beyond the registered
    assert 0.1 < contacts["uscc"].nunique() / len(ent) < 0.4
    emails = contacts[contacts["kind"] == "email"]
    assert emails.groupby("value").size().max() >= 3  # a shell cluster's agent
    Contact.model_validate(contacts.iloc[0].to_dict())


# --- monthly deliveries -----------------------------------------------------------------------

MONTHS = 24
FIRST_MONTH = dt.date(2024, 10, 1)


@pytest.fixture(scope="module")
def deliveries(province: Province) -> list[MonthlyDelivery]:
    return monthly_deliveries(province, MONTHS)


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _fold(deliveries: list[MonthlyDelivery], kind: str) -> pd.DataFrame:
    """Upsert the deliveries in order: the last row per natural key wins."""
    keys = list(NATURAL_KEYS[kind])
    rows = pd.concat([d.frames[kind] for d in deliveries], ignore_index=True)
    return _by_key(rows.drop_duplicates(keys, keep="last"), keys)


def _by_key(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def _date_fields(kind: str) -> list[str]:
    """Model fields holding a date that is known when it happens (not a forward one)."""
    fields = RECORD_KINDS[kind].model_fields
    return [
        name
        for name, info in fields.items()
        if dt.date in (info.annotation, *typing.get_args(info.annotation))
        and name not in FORWARD_COLUMNS
    ]


def test_deliveries_cover_the_months_up_to_as_of(deliveries: list[MonthlyDelivery]) -> None:
    assert len(deliveries) == MONTHS + 1
    assert deliveries[0].month == FIRST_MONTH
    assert deliveries[-1].month == AS_OF.replace(day=1)
    for before, after in itertools.pairwise(deliveries):
        assert _month_end(before.month) + dt.timedelta(days=1) == after.month
    for delivery in deliveries:
        assert list(delivery.frames) == list(RECORD_KINDS)
        for kind, frame in delivery.frames.items():
            assert list(frame.columns) == list(RECORD_KINDS[kind].model_fields), kind
            assert "hidden_risk" not in frame.columns


def test_folding_the_deliveries_gives_the_final_province(
    province: Province, deliveries: list[MonthlyDelivery]
) -> None:
    for kind, final in province.frames().items():
        keys = list(NATURAL_KEYS[kind])
        pd.testing.assert_frame_equal(_fold(deliveries, kind), _by_key(final, keys), obj=kind)
        for delivery in deliveries:  # a key at most once per delivery: the order is irrelevant
            assert not delivery.frames[kind].duplicated(keys).any(), (kind, delivery.month)


def test_no_delivery_holds_anything_dated_after_its_month_end(
    deliveries: list[MonthlyDelivery],
) -> None:
    for delivery in deliveries:
        end = _month_end(delivery.month)
        for kind, frame in delivery.frames.items():
            for column in _date_fields(kind):
                values = frame[column].dropna()
                assert not len(values) or values.max() <= end, (delivery.month, kind, column)


def test_every_month_brings_new_enterprises_and_events(deliveries: list[MonthlyDelivery]) -> None:
    known: set[str] = set()
    for delivery in deliveries:
        usccs = set(delivery.frames["enterprises"]["uscc"])
        assert usccs - known, delivery.month
        known |= usccs
        assert sum(len(delivery.frames[kind]) for kind in EVENT_KINDS) > 0, delivery.month
        assert len(delivery.frames["filing"]) + len(delivery.frames["complaint"]) > 0
    initial = sum(len(frame) for frame in deliveries[0].frames.values())
    monthly = [sum(len(frame) for frame in d.frames.values()) for d in deliveries[1:]]
    assert max(monthly) < initial / 5  # the initial load is the bulk, increments are small


def test_references_point_at_what_was_delivered_before(deliveries: list[MonthlyDelivery]) -> None:
    usccs: set[str] = set()
    people: set[str] = set()
    for delivery in deliveries:
        f = delivery.frames
        usccs |= set(f["enterprises"]["uscc"])
        people |= set(f["people"]["id_number"])
        sh = f["shareholdings"]
        person = sh["holder_kind"] == "person"
        assert set(sh.loc[person, "holder_id"]) <= people
        assert set(sh.loc[~person, "holder_id"]) <= usccs
        referenced = set(sh["enterprise_uscc"]) | set(f["branches"]["parent_uscc"])
        referenced |= set(f["branches"]["branch_uscc"]) | set(f["contacts"]["uscc"])
        for kind in ("legal_reps", "officers"):
            assert set(f[kind]["id_number"]) <= people, kind
            referenced |= set(f[kind]["enterprise_uscc"])
        for kind in EVENT_KINDS:
            referenced |= set(f[kind]["uscc"])
        assert referenced <= usccs, delivery.month


def test_the_initial_load_is_the_state_at_its_month_end(
    province: Province, deliveries: list[MonthlyDelivery]
) -> None:
    cut = _month_end(FIRST_MONTH)
    initial = deliveries[0].frames
    ent = province.enterprises
    assert set(initial["enterprises"]["uscc"]) == set(ent.loc[ent["established"] <= cut, "uscc"])
    for kind in ("shareholdings", "legal_reps", "officers"):
        final = getattr(province, kind)
        started = final[final["since"] <= cut]
        assert len(initial[kind]) == len(started), kind
        ended = started["until"].map(lambda u: u is not None and u <= cut)
        assert initial[kind]["until"].notna().sum() == ended.sum(), kind
    # exactly one open legal rep per enterprise, and shares within 1, at the cut
    open_reps = initial["legal_reps"][initial["legal_reps"]["until"].isna()]
    assert open_reps["enterprise_uscc"].is_unique
    assert set(open_reps["enterprise_uscc"]) == set(initial["enterprises"]["uscc"])
    sh = initial["shareholdings"]
    assert sh[sh["until"].isna()].groupby("enterprise_uscc")["ratio"].sum().max() <= 1 + 1e-9
    # list entries and licences known at the cut but closed after it: open in the initial load
    reopened = 0
    for kind, closing in (("abnormal_listing", "removed"), ("licence", "revoked")):
        final = province.events[kind]
        closed_later = final[final[closing].map(lambda d: d is not None and d > cut)]
        known = closed_later.loc[closed_later["date"] <= cut, "event_id"]
        sent = initial[kind].set_index("event_id")
        assert sent.loc[known, closing].isna().all(), kind
        reopened += len(known)
    assert reopened > 0


def test_enterprise_rows_are_resent_exactly_when_they_change(
    province: Province, deliveries: list[MonthlyDelivery]
) -> None:
    change = province.events["change"]
    tracked = ["status", "name", "address", "registered_capital"]
    state = deliveries[0].frames["enterprises"].set_index("uscc")
    # the initial load shows the enterprises as they were: former names, still operating
    final = province.enterprises.set_index("uscc").loc[state.index]
    assert (state["name"] != final["name"]).any()
    assert ((state["status"] == "operating") & (final["status"] != "operating")).any()
    resent = 0
    for delivery in deliveries[1:]:
        rows = delivery.frames["enterprises"].set_index("uscc")
        again = rows.index[rows.index.isin(state.index)]
        resent += len(again)
        before, after = state.loc[again, tracked], rows.loc[again, tracked]
        differs = (before != after) & ~(before.isna() & after.isna())
        assert differs.any(axis=1).all(), delivery.month  # re-sent only with a change
        end = _month_end(delivery.month)
        this_month = change[(change["date"] >= delivery.month) & (change["date"] <= end)]
        for field in ("name", "address", "registered_capital"):
            changed = set(differs.index[differs[field]])
            assert changed <= set(this_month.loc[this_month["field"] == field, "uscc"]), field
        state = pd.concat([state.drop(again), rows])
    assert resent > 0


def test_deliveries_of_other_lengths(province: Province) -> None:
    longer = monthly_deliveries(province, 36)
    assert len(longer) == 37 and longer[0].month == dt.date(2023, 10, 1)
    (only,) = monthly_deliveries(province, 0)
    for kind, frame in province.frames().items():
        keys = list(NATURAL_KEYS[kind])
        pd.testing.assert_frame_equal(_by_key(only.frames[kind], keys), _by_key(frame, keys))
    with pytest.raises(ValueError, match="negative"):
        monthly_deliveries(province, -1)
