"""Synthetic province: reproducibility, validity, integrity, structure and the risk signal."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import spearmanr

from ingestion import reference
from ingestion.identifiers import is_valid_id_number, is_valid_uscc, make_uscc
from ingestion.synthetic import EVENT_KINDS, Province, generate_province
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
    "penalty": ["amount", "category", "severity", "authority"],
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
    frames = {
        "enterprises": p.enterprises,
        "people": p.people,
        "shareholdings": p.shareholdings,
        "legal_reps": p.legal_reps,
        "officers": p.officers,
        "branches": p.branches,
        "hidden_risk": p.hidden_risk,
    }
    return frames | {f"events.{kind}": frame for kind, frame in p.events.items()}


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


def test_columns_are_the_documented_ones(province: Province) -> None:
    assert list(province.enterprises.columns) == [
        "uscc", "name", "entity_type", "status", "established", "region_code", "industry_code",
        "registered_capital", "paid_in_capital", "sectors", "address", "phone", "email",
    ]  # fmt: skip
    assert list(province.people.columns) == ["id_number", "name"]
    assert list(province.shareholdings.columns) == [
        "holder_kind", "holder_id", "enterprise_uscc", "ratio", "amount", "since", "until",
    ]  # fmt: skip
    assert list(province.legal_reps.columns) == ["id_number", "enterprise_uscc", "since", "until"]
    assert list(province.officers.columns) == [
        "id_number", "enterprise_uscc", "role", "since", "until",
    ]  # fmt: skip
    assert list(province.branches.columns) == ["branch_uscc", "parent_uscc"]
    assert list(province.hidden_risk.columns) == ["uscc", "hidden_risk"]
    assert set(province.events) == set(EXTRA_COLUMNS) == set(EVENT_KINDS)
    for kind, frame in province.events.items():
        assert list(frame.columns) == EVENT_COLUMNS + EXTRA_COLUMNS[kind], kind
        assert len(frame) > 0, kind


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
    delivery = validate_frames(
        small.enterprises, small.people, small.shareholdings, small.legal_reps,
        small.officers, small.branches, small.events)
    assert delivery.quarantine == []
    assert len(delivery.enterprises) == 100
