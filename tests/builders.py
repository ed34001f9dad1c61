"""A small hand-built delivery with known contents, for store and indicator tests."""

from __future__ import annotations

import datetime as dt

from ingestion.identifiers import gb11643_check_char, make_uscc
from ingestion.models import (
    AbnormalListing,
    AnnualReport,
    Branch,
    Complaint,
    Enterprise,
    Event,
    LegalRepresentative,
    Officer,
    Penalty,
    PersonInput,
    SeriousDishonesty,
    Shareholding,
)
from ingestion.validate import Delivery

AS_OF = dt.date(2026, 10, 31)


def uscc(n: int) -> str:
    return make_uscc("9", "1", "330106", f"{n:08d}")


def id_number(n: int) -> str:
    first17 = f"33010619800101{n:03d}"
    return first17 + gb11643_check_char(first17)


def enterprise(n: int, **changes: object) -> Enterprise:
    fields: dict[str, object] = {
        "uscc": uscc(n), "name": f"测试企业{n}有限公司", "entity_type": "limited_company",
        "status": "operating", "established": dt.date(2015, 1, 1), "region_code": "330106",
        "industry_code": "5251", "registered_capital": 1_000_000.0,
        "paid_in_capital": 1_000_000.0, "address": f"杭州市西湖区文三路{n}号",
        "phone": f"0571-8800{n:04d}",
    }
    fields.update(changes)
    return Enterprise.model_validate(fields)


def small_delivery() -> Delivery:
    """Six enterprises, three people:

    - person 1 is legal rep of E1 and E2 and holds 60% of E1; E1 holds 70% of E3 (a chain)
    - E2 is on the serious-dishonesty list (listed 2025-06-01, not removed)
    - E3 was on the abnormal list but removed on 2026-01-10; E4 is on it now
    - E4 and E5 share an address; E6 is a branch of E1
    - E1 has a penalty after AS_OF (must be ignored) and two complaints in the last 3 months
    - person 2's shareholding in E2 ended in 2024
    - every enterprise filed its 2023-2025 annual reports on time
    """
    enterprises = [enterprise(n) for n in range(1, 7)]
    enterprises[4] = enterprise(5, address=enterprises[3].address)
    enterprises[1] = enterprise(2, status="revoked")
    people = [PersonInput(id_number=id_number(n), name=f"张{n}") for n in range(1, 4)]

    def event(model: type[Event], n: int, e: int, day: dt.date, **extra: object) -> Event:
        return model.model_validate({
            "event_id": f"{model.kind}-{n}", "uscc": uscc(e), "date": day, "source": "test",
            **extra,
        })

    events: dict[str, list[Event]] = {
        "serious_dishonesty": [event(SeriousDishonesty, 1, 2, dt.date(2025, 6, 1),
                                     reason="r", listed=dt.date(2025, 6, 1))],
        "abnormal_listing": [
            event(AbnormalListing, 1, 3, dt.date(2025, 3, 1), reason="r",
                  listed=dt.date(2025, 3, 1), removed=dt.date(2026, 1, 10)),
            event(AbnormalListing, 2, 4, dt.date(2026, 5, 1), reason="r",
                  listed=dt.date(2026, 5, 1)),
        ],
        "penalty": [
            event(Penalty, 1, 1, dt.date(2026, 11, 15), amount=5e4, category="food",
                  severity="serious"),
            event(Penalty, 2, 4, dt.date(2025, 2, 2), amount=2e4, category="ads",
                  severity="general"),
        ],
        "annual_report": [
            event(AnnualReport, 10 * e + year - 2020, e, dt.date(year + 1, 5, 1),
                  year=year, on_time=True)
            for e in range(1, 7) for year in (2023, 2024, 2025)
        ],
        "complaint": [
            event(Complaint, 1, 1, dt.date(2026, 9, 1), category="quality"),
            event(Complaint, 2, 1, dt.date(2026, 10, 2), category="price"),
        ],
    }
    return Delivery.of_records({
        "enterprises": enterprises,
        "people": people,
        "shareholdings": [
            Shareholding(holder_kind="person", holder_id=id_number(1), enterprise_uscc=uscc(1),
                         ratio=0.6, since=dt.date(2015, 1, 1)),
            Shareholding(holder_kind="enterprise", holder_id=uscc(1), enterprise_uscc=uscc(3),
                         ratio=0.7, since=dt.date(2016, 1, 1)),
            Shareholding(holder_kind="person", holder_id=id_number(2), enterprise_uscc=uscc(2),
                         ratio=0.5, since=dt.date(2015, 1, 1), until=dt.date(2024, 1, 1)),
        ],
        "legal_reps": [
            LegalRepresentative(id_number=id_number(1), enterprise_uscc=uscc(1),
                                since=dt.date(2015, 1, 1)),
            LegalRepresentative(id_number=id_number(1), enterprise_uscc=uscc(2),
                                since=dt.date(2015, 1, 1)),
        ],
        "officers": [Officer(id_number=id_number(3), enterprise_uscc=uscc(5), role="director",
                          since=dt.date(2020, 1, 1))],
        "branches": [Branch(branch_uscc=uscc(6), parent_uscc=uscc(1))],
        **events,
    })


def sector_delivery() -> Delivery:
    """Two food producers: E11 holds a valid licence; E12's was revoked on 2026-03-01 and
    it had a 50,000-yuan food-safety penalty on 2025-03-02."""
    from ingestion.models import Licence

    producers = [enterprise(n, sectors=("food_production",), industry_code="1411")
                 for n in (11, 12)]
    licences = [
        Licence(event_id=f"licence-{n}", uscc=uscc(n), date=dt.date(2024, 1, 1), source="test",
                licence_type="food_production", expires=dt.date(2029, 1, 1),
                revoked=dt.date(2026, 3, 1) if n == 12 else None)
        for n in (11, 12)
    ]
    penalty = Penalty(event_id="penalty-12", uscc=uscc(12), date=dt.date(2025, 3, 2),
                      source="test", amount=50_000.0, category="food_safety",
                      severity="general")
    return Delivery.of_records({"enterprises": producers, "licence": licences,
                                "penalty": [penalty]})
