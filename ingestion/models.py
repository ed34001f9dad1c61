"""Canonical records: the data model of design section 3, declared once.

Every record kind is a pydantic model. The graph schema (labels, keys, relationship
types), the loaders and the validation messages all derive from these classes; nothing
else lists the fields again.

Input records that name a person carry the raw identity number (``id_number``); the graph
layer replaces it with a keyed hash before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from ingestion.identifiers import (
    normalise_code,
    validate_id_number,
    validate_legacy_regno,
    validate_uscc,
)
from ingestion.reference import EntityType, Sector, Status


def _check_uscc(value: str) -> str:
    return validate_uscc(normalise_code(value))


def _check_id_number(value: str) -> str:
    return validate_id_number(normalise_code(value))


def _check_legacy_regno(value: str) -> str:
    return validate_legacy_regno(normalise_code(value))


def _check_digits(length: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) != length or not value.isdigit():
            raise ValueError(f"expected {length} digits, got {value!r}")
        return value

    return AfterValidator(check)


USCC = Annotated[str, AfterValidator(_check_uscc)]
IdNumber = Annotated[str, AfterValidator(_check_id_number)]
LegacyRegNo = Annotated[str, AfterValidator(_check_legacy_regno)]
RegionCode = Annotated[str, _check_digits(6)]
IndustryCode = Annotated[str, _check_digits(4)]
Ratio = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Yuan = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class Record(BaseModel):
    """Base of every canonical record: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Interval(Record):
    """A fact valid from ``since`` until ``until`` (open-ended when None)."""

    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.since and self.until and self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")
        return self


# --- nodes -------------------------------------------------------------------------


class Enterprise(Record):
    """A market entity under its USCC (enterprise, individual business or cooperative)."""

    label: ClassVar[str] = "Enterprise"
    key: ClassVar[str] = "uscc"

    uscc: USCC
    name: Annotated[str, Field(min_length=1)]
    entity_type: EntityType
    status: Status
    established: dt.date
    region_code: RegionCode
    industry_code: IndustryCode | None = None
    registered_capital: Yuan | None = None  # individual businesses often declare none
    paid_in_capital: Yuan | None = None
    sectors: tuple[Sector, ...] = ()
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    # 注册号: the 15-digit registration number from before the USCC reform, when known.
    legacy_regno: LegacyRegNo | None = None
    # 核准日期: the day the registration as delivered was approved (its latest change). A
    # registered address, phone or e-mail that differs from the one held is taken as
    # declared on that day (the old one ends then); missing: the establishment date.
    approved: dt.date | None = None


class PersonInput(Record):
    """A natural person as delivered, with the raw identity number."""

    id_number: IdNumber
    name: Annotated[str, Field(min_length=1)]


# --- relationships -----------------------------------------------------------------


class Shareholding(Interval):
    """``holder`` holds ``ratio`` of ``enterprise_uscc``; holder_id is a USCC or an ID number."""

    holder_kind: Literal["person", "enterprise"]
    holder_id: str
    enterprise_uscc: USCC
    ratio: Ratio
    amount: Yuan | None = None

    @model_validator(mode="after")
    def _holder_valid(self) -> Shareholding:
        if self.holder_kind == "enterprise":
            _check_uscc(self.holder_id)
        else:
            _check_id_number(self.holder_id)
        return self


class LegalRepresentative(Interval):
    id_number: IdNumber
    enterprise_uscc: USCC


class Officer(Interval):
    id_number: IdNumber
    enterprise_uscc: USCC
    role: Literal["director", "supervisor", "manager"]


class Branch(Record):
    branch_uscc: USCC
    parent_uscc: USCC


class Contact(Interval):
    """A further address, phone or e-mail of an enterprise (beyond its registered ones),
    valid from ``since``, the day the enterprise declared it (the annual report or file it
    comes from; missing: from the establishment), until ``until``."""

    uscc: USCC
    kind: Literal["address", "phone", "email"]
    value: Annotated[str, Field(min_length=1)]


# --- events ------------------------------------------------------------------------


class Event(Record):
    """A dated record about one enterprise. ``kind`` names the table it comes from."""

    kind: ClassVar[str]
    label: ClassVar[str]

    event_id: Annotated[str, Field(min_length=1)]
    uscc: USCC
    date: dt.date
    source: str
    publicity_end: dt.date | None = None


class Change(Event):
    kind: ClassVar[str] = "change"
    label: ClassVar[str] = "Change"
    field: Literal["legal_rep", "address", "shareholder", "name", "registered_capital"]
    old: str | None = None
    new: str | None = None


class Filing(Event):
    kind: ClassVar[str] = "filing"
    label: ClassVar[str] = "Filing"


class EquityPledge(Event):
    kind: ClassVar[str] = "equity_pledge"
    label: ClassVar[str] = "EquityPledge"
    amount: Yuan | None = None


class IpPledge(Event):
    kind: ClassVar[str] = "ip_pledge"
    label: ClassVar[str] = "IpPledge"


class Licence(Event):
    kind: ClassVar[str] = "licence"
    label: ClassVar[str] = "Licence"
    licence_type: str
    expires: dt.date | None = None
    revoked: dt.date | None = None


class Penalty(Event):
    kind: ClassVar[str] = "penalty"
    label: ClassVar[str] = "Penalty"
    amount: Yuan = 0.0
    category: str
    severity: Literal["minor", "general", "serious"]
    authority: str | None = None
    # 首违不罚: a first minor violation, corrected in time, that was not punished. It still
    # is a record; the indicators weigh it by `[leniency] unpunished_weight`.
    unpunished: bool = False


class _Listing(Event):
    reason: str
    listed: dt.date
    removed: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> _Listing:
        if self.removed and self.removed < self.listed:
            raise ValueError(f"removed {self.removed} is before listed {self.listed}")
        return self


class AbnormalListing(_Listing):
    kind: ClassVar[str] = "abnormal_listing"
    label: ClassVar[str] = "AbnormalListing"


class SeriousDishonesty(_Listing):
    kind: ClassVar[str] = "serious_dishonesty"
    label: ClassVar[str] = "SeriousDishonesty"


class Inspection(Event):
    kind: ClassVar[str] = "inspection"
    label: ClassVar[str] = "Inspection"
    task_id: str
    outcome: Literal["clean", "problem", "not_found", "refused"]


class Complaint(Event):
    kind: ClassVar[str] = "complaint"
    label: ClassVar[str] = "Complaint"
    category: str


class AnnualReport(Event):
    kind: ClassVar[str] = "annual_report"
    label: ClassVar[str] = "AnnualReport"
    year: int
    on_time: bool


class CourtEnforcement(Event):
    kind: ClassVar[str] = "court_enforcement"
    label: ClassVar[str] = "CourtEnforcement"
    amount: Yuan | None = None


class TaxViolation(Event):
    kind: ClassVar[str] = "tax_violation"
    label: ClassVar[str] = "TaxViolation"
    amount: Yuan | None = None


EVENT_MODELS: dict[str, type[Event]] = {
    model.kind: model
    for model in (
        Change, Filing, EquityPledge, IpPledge, Licence, Penalty, AbnormalListing,
        SeriousDishonesty, Inspection, Complaint, AnnualReport, CourtEnforcement, TaxViolation,
    )
}

# Every record kind a delivery may hold, in the order they must be loaded (what a record
# points at comes before it). File names, readers, validation and docs derive from this.
RECORD_KINDS: dict[str, type[Record]] = {
    "enterprises": Enterprise,
    "people": PersonInput,
    "shareholdings": Shareholding,
    "legal_reps": LegalRepresentative,
    "officers": Officer,
    "branches": Branch,
    "contacts": Contact,
    **EVENT_MODELS,
}
