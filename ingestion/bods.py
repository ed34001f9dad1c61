"""Beneficial Ownership Data Standard (BODS) 0.4 JSON into the canonical record frames.

:func:`read_bods` turns a BODS file into the frames a delivery is made of (keyed by record
kind, columns exactly the model fields of ``ingestion.models``), so that the normal
validation and quarantine apply to it. It maps; it does not validate: a value that cannot be
mapped is left as given (or None), so validation rejects the row naming the field.

Input
-----
A JSON array of statements, or JSON Lines (one statement, or one array of statements, per
line). The form is decided by the content, never by the file name. BODS 0.4 statements
(``recordId``/``recordType``/``recordDetails``) are read natively; 0.2/0.3 statements
(``statementType`` 'entityStatement'/'personStatement'/'ownershipOrControlStatement') are
first converted to the 0.4 shape (see "Older versions"). A ``publicationDetails.bodsVersion``
other than 0.2, 0.3 or 0.4 raises :class:`BodsError` naming the version.

Records and updates
-------------------
Statements are grouped by ``recordId``; the latest ``statementDate`` wins (file order breaks
ties; a statement without a date sorts first). BODS statements are full snapshots, so an
'updated' statement replaces the earlier details; a 'closed' statement may carry less, so its
details are laid over the previous ones. Superseded states are not kept (no history rows).

Mapping (BODS 0.4 -> canonical)
-------------------------------
Entity record -> ``enterprises`` row:

* ``uscc``: identifiers. A valid USCC under any scheme, preferring the declared USCC schemes
  (org-id ``CN-USCI``; also ``CN-USCC``; 18 characters under the registry schemes
  ``CN-SAIC``, ``CN-CR``, ``CN-nn-CR``; a scheme name with 统一社会信用代码); else a declared
  value as given; else None.
* ``legacy_regno``: identifiers, the same rule for the 15-digit 注册号 (15 characters under
  the registry schemes, or a scheme name with 注册号).
* ``entity_type``: USCC positions 1-2. 91 -> limited_company, refined to
  joint_stock_company / partnership / sole_proprietorship when ``entityType.details`` is
  that form's 中文 label or the name ends in the form the law requires (股份有限公司,
  股份公司; （普通合伙）, （有限合伙）); 92 -> individual_business; 93 -> farmer_cooperative;
  anything else None.
* ``region_code``: USCC positions 3-8 (None when not 6 digits).
* ``name``: name. ``established``: foundingDate. ``status``: 'cancelled' when
  dissolutionDate is set, else 'operating'. ``address``: the first 'registered' address,
  else the first address.
* not in BODS: ``industry_code``, capitals, phone, email None; ``sectors`` ().

Person record -> ``people`` row:

* ``id_number``: identifiers. A valid GB 11643 number under any scheme, preferring the
  declared ones (``CHN-IDCARD``; also ``CN-IDCARD`` and ``156-IDCARD``, since BODS asks for
  {JURISDICTION}-IDCARD and its guidance says "ISO 3-digit country code" while its example
  is alpha-3; a scheme name with 身份证 or "resident identity"); else a declared value as
  given; else None. Never invented: without it the row is quarantined.
* ``name``: the first ``names[].fullName`` (else familyName + givenName).

Relationship record (``subject`` an entity record), one row per interest:

* shareholding -> ``shareholdings``: holder_kind/holder_id from ``interestedParty`` (person
  -> ID number, entity -> USCC), enterprise_uscc from ``subject``, ``ratio`` = share.exact
  / 100, else the midpoint of (exclusive)minimum and (exclusive)maximum / 100, else None;
  ``amount`` None.
* votingRights -> likewise, only when the same (subject, interested party) pair has no
  direct shareholding interest.
* boardMember, boardChair -> ``officers`` role 'director'; seniorManagingOfficial -> role
  'manager'.
* startDate / endDate -> since / until; a 'closed' record without endDate ends on the
  closing statement's date.
* directOrIndirect 'indirect' -> skipped: the graph derives indirect holdings itself
  ('direct', 'unknown' and absent count as direct).
* any other interest type -> ignored (counted in the log).

A 'closed' entity or person record is still mapped; an entity's status comes from
dissolutionDate alone, since closing a record can also mean the publisher stopped tracking it.

A reference that resolves to nothing usable (an unspecified interested party, a recordId not
in the file, a person without an ID number, an entity without a USCC) leaves the holder /
enterprise / ID field None, so the row is quarantined rather than dropped. Skipped and ignored
interests are reported through :mod:`logging` (logger ``ingestion.bods``), per call.

Older versions
--------------
A 0.2/0.3 statement becomes a 0.4 one: ``statementID`` is both statementId and recordId,
``entityType`` a string becomes ``{"type": ...}``, ``subject.describedByEntityStatement`` and
``interestedParty.describedBy{Person,Entity}Statement`` become recordIds (``unspecified``
stays an unspecified party), hyphenated interest types become camelCase ('voting-rights' ->
'votingRights') and 0.2's ``interestLevel`` becomes ``directOrIndirect``. A statement listed
in another's ``replacesStatements`` is dropped and references to it follow the replacement.

Left out: BODS has no legal representative (法定代表人), capital, industry or sector; a
shareholder's subscribed amount; superseded states of a record; ``componentStatementIDs``.
Foreign entities and persons without a Chinese USCC / resident ID cannot be records of this
model: their rows (and the relationships naming them) are quarantined, not mapped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import pandas as pd

from ingestion.identifiers import (
    is_valid_id_number,
    is_valid_legacy_regno,
    is_valid_uscc,
    normalise_code,
)
from ingestion.models import RECORD_KINDS, Record
from ingestion.reference import ENTITY_TYPES, USCC_PREFIX_BY_ENTITY_TYPE, EntityType

__all__ = ["BodsError", "read_bods"]

logger = logging.getLogger(__name__)

SUPPORTED_VERSIONS: Final = frozenset({"0.2", "0.3", "0.4"})

# Entity identifier schemes. org-id.guide lists the USCC as CN-USCI; CN-USCC is how many
# publishers spell it anyway. The registry lists (CN-SAIC, and the provincial CN-nn-CR lists
# imported from OpenCorporates) carry the USCC or, for older records, the 15-digit 注册号.
_USCC_SCHEMES: Final = frozenset({"CN-USCI", "CN-USCC"})
_REGISTRY_SCHEME: Final = re.compile(r"^CN-(SAIC|CR|\d{2}-CR)$")
_USCC_SCHEME_NAMES: Final = ("统一社会信用代码", "unified social credit")
_LEGACY_SCHEME_NAMES: Final = ("注册号",)
# Person schemes: BODS asks for {JURISDICTION}-IDCARD; its guidance says "ISO 3-digit
# country code" yet gives "AFG" as example, so both CHN and 156 occur (and CN in the wild).
_ID_CARD_SCHEME: Final = re.compile(r"^(CHN|CN|156)-IDCARD$")
_ID_CARD_SCHEME_NAMES: Final = ("身份证", "resident identity")

_OFFICER_ROLES: Final[Mapping[str, str]] = {
    "boardMember": "director",
    "boardChair": "director",
    "seniorManagingOfficial": "manager",
}

# Legal forms that share the '91' USCC prefix, recognised from entityType.details (the
# form's 中文 label) or from the form a company name must carry by law.
_FORM_BY_LABEL: Final[Mapping[str, EntityType]] = {
    label: form for form, label in ENTITY_TYPES.items()
    if USCC_PREFIX_BY_ENTITY_TYPE[form] == "91"
}
_NAME_FORMS: Final[tuple[tuple[tuple[str, ...], EntityType], ...]] = (
    (("股份有限公司", "股份公司"), "joint_stock_company"),
    (("（普通合伙）", "（有限合伙）", "(普通合伙)", "(有限合伙)"), "partnership"),
)
_ENTITY_TYPE_BY_PREFIX: Final[Mapping[str, EntityType]] = {
    "91": "limited_company", "92": "individual_business", "93": "farmer_cooperative",
}

_LEGACY_RECORD_TYPES: Final[Mapping[str, str]] = {
    "entityStatement": "entity",
    "personStatement": "person",
    "ownershipOrControlStatement": "relationship",
}
_LEGACY_ENVELOPE: Final = frozenset({
    "statementID", "statementId", "statementType", "statementDate", "replacesStatements",
})


class BodsError(ValueError):
    """The file is not BODS this reader can map (not JSON statements, or another version)."""


# --- reading the file ------------------------------------------------------------------


def _load_statements(path: Path) -> list[dict[str, Any]]:
    """Statements of a JSON array or JSON Lines file, decided by the content."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as error:
        if text.lstrip().startswith("["):
            # An array that does not parse: report where, not as a failed JSON Lines file.
            raise BodsError(
                f"{path}:{error.lineno}:{error.colno}: invalid JSON array ({error.msg})"
            ) from error
        # More than one JSON value: JSON Lines (or broken, which the line loop reports).
        return _load_lines(path, text)
    if isinstance(whole, dict):  # a single-line JSON Lines file, or one bare statement
        whole = [whole]
    if not isinstance(whole, list):
        raise BodsError(f"{path}: expected a JSON array of BODS statements or JSON Lines")
    return [_statement(item, f"{path}: item {n}") for n, item in enumerate(whole, start=1)]


def _load_lines(path: Path, text: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise BodsError(
                f"{path}:{number}: neither a JSON array nor JSON Lines ({error.msg})"
            ) from error
        items = value if isinstance(value, list) else [value]
        statements.extend(_statement(item, f"{path}:{number}") for item in items)
    return statements


def _statement(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise BodsError(f"{where}: a BODS statement must be a JSON object")
    details = item.get("publicationDetails")
    version = details.get("bodsVersion") if isinstance(details, dict) else None
    # bodsVersion is major.minor; tolerate a patch level ("0.4.0") some publishers add.
    if version is not None and ".".join(str(version).split(".")[:2]) not in SUPPORTED_VERSIONS:
        raise BodsError(
            f"{where}: BODS version {version!r} is not supported "
            f"(supported: {', '.join(sorted(SUPPORTED_VERSIONS))})"
        )
    return item


# --- 0.2/0.3 to 0.4 ----------------------------------------------------------------------


def _camel(code: Any) -> Any:
    """'voting-rights' -> 'votingRights' (0.2 codelist spelling to 0.4)."""
    if not isinstance(code, str) or "-" not in code:
        return code
    head, *rest = code.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _legacy_reference(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    for key in ("describedByEntityStatement", "describedByPersonStatement"):
        if isinstance(value.get(key), str):
            return value[key]
    # {"unspecified": {...}} (0.2/0.3) is the 0.4 unspecified-record object.
    unspecified = value.get("unspecified")
    return unspecified if isinstance(unspecified, dict) else value


def _from_legacy(statement: Mapping[str, Any]) -> dict[str, Any]:
    """A 0.2/0.3 statement in the 0.4 shape (see the module docstring)."""
    statement_id = statement.get("statementID", statement.get("statementId"))
    details = {k: v for k, v in statement.items() if k not in _LEGACY_ENVELOPE}
    if isinstance(details.get("entityType"), str):
        details["entityType"] = {"type": details["entityType"]}
    if "subject" in details:
        details["subject"] = _legacy_reference(details["subject"])
    if "interestedParty" in details:
        details["interestedParty"] = _legacy_reference(details["interestedParty"])
    if isinstance(details.get("interests"), list):
        interests = []
        for interest in details["interests"]:
            if isinstance(interest, dict):
                interest = {**interest, "type": _camel(interest.get("type"))}
                if "directOrIndirect" not in interest and "interestLevel" in interest:
                    interest["directOrIndirect"] = interest.pop("interestLevel")
            interests.append(interest)
        details["interests"] = interests
    return {
        "statementId": statement_id,
        "statementDate": statement.get("statementDate"),
        "recordId": statement_id,
        "recordType": _LEGACY_RECORD_TYPES.get(str(statement.get("statementType"))),
        "recordStatus": "new",
        "recordDetails": details,
    }


# --- records: the latest state of each recordId -----------------------------------------


@dataclass
class _Record:
    record_id: str
    record_type: str
    status: str
    statement_date: Any
    details: dict[str, Any]


@dataclass
class _Counts:
    """What was skipped or could not be resolved, reported once per call."""

    indirect: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    unresolved: Counter[str] = field(default_factory=Counter)
    untyped: int = 0


def _records(statements: Sequence[dict[str, Any]], counts: _Counts) -> tuple[
    dict[str, _Record], dict[str, str]
]:
    """Latest state of every record (in order of first appearance), and 0.2/0.3 aliases."""
    normalised: list[dict[str, Any]] = []
    replaced_by: dict[str, str] = {}
    for position, statement in enumerate(statements):
        if "recordType" not in statement and "statementType" in statement:
            for old in statement.get("replacesStatements") or ():
                new_id = statement.get("statementID", statement.get("statementId"))
                if isinstance(old, str) and isinstance(new_id, str):
                    replaced_by[old] = new_id
            statement = _from_legacy(statement)
        if statement.get("recordType") not in ("entity", "person", "relationship"):
            counts.untyped += 1
            continue
        record_id = statement.get("recordId")
        if not isinstance(record_id, str):
            # Nothing can point at it, but its own row still reaches validation.
            statement = {**statement, "recordId": f"#statement-{position + 1}"}
        normalised.append(statement)

    groups: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    for position, statement in enumerate(normalised):
        if statement["recordId"] in replaced_by:
            continue  # 0.2/0.3: superseded by the statement that replaces it
        date = statement.get("statementDate")
        key = date if isinstance(date, str) else ""
        groups.setdefault(statement["recordId"], []).append((key, position, statement))

    records: dict[str, _Record] = {}
    for record_id, group in groups.items():
        details: dict[str, Any] = {}
        latest: dict[str, Any] = {}
        for _, _, statement in sorted(group, key=lambda entry: (entry[0], entry[1])):
            given = statement.get("recordDetails")
            given = given if isinstance(given, dict) else {}
            # 'updated' is a full snapshot; 'closed' may say only that the record closed.
            details = {**details, **given} if statement.get("recordStatus") == "closed" else given
            latest = statement
        records[record_id] = _Record(
            record_id, latest["recordType"], str(latest.get("recordStatus") or "new"),
            latest.get("statementDate"), details,
        )
    return records, replaced_by


# --- value helpers ----------------------------------------------------------------------


def _date(value: Any) -> Any:
    """ISO date (or date-time) to ``datetime.date``; anything else as given."""
    if isinstance(value, str) and len(value) >= 10 and value[10:11] in ("", "T", " "):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return value


def _identifiers(details: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(raw id, scheme, lower-cased scheme name) of each identifier with a string id."""
    found = details.get("identifiers")
    result: list[tuple[str, str, str]] = []
    for ident in found if isinstance(found, list) else ():
        if isinstance(ident, dict) and isinstance(ident.get("id"), str) and ident["id"].strip():
            scheme = ident.get("scheme")
            name = ident.get("schemeName")
            result.append((
                ident["id"],
                scheme.strip().upper() if isinstance(scheme, str) else "",
                name.lower() if isinstance(name, str) else "",
            ))
    return result


def _pick(valid_declared: list[str], valid: list[str], declared: list[str]) -> str | None:
    """Best candidate: valid under a declared scheme, valid anywhere, declared as given."""
    for candidates in (valid_declared, valid, declared):
        if candidates:
            return candidates[0]
    return None


def _entity_codes(details: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(USCC, legacy registration number) of an entity record."""
    uscc: tuple[list[str], list[str], list[str]] = ([], [], [])
    legacy: tuple[list[str], list[str], list[str]] = ([], [], [])
    for raw, scheme, scheme_name in _identifiers(details):
        code = normalise_code(raw)
        registry = bool(_REGISTRY_SCHEME.match(scheme))
        says_uscc = (
            scheme in _USCC_SCHEMES or any(n in scheme_name for n in _USCC_SCHEME_NAMES)
            or (registry and len(code) == 18)
        )
        says_legacy = (
            any(n in scheme_name for n in _LEGACY_SCHEME_NAMES) or (registry and len(code) == 15)
        )
        if is_valid_uscc(code):
            uscc[0 if says_uscc else 1].append(code)
        elif is_valid_legacy_regno(code):
            legacy[0 if says_legacy else 1].append(code)
        elif says_uscc:
            uscc[2].append(raw)
        elif says_legacy:
            legacy[2].append(raw)
    return _pick(*uscc), _pick(*legacy)


def _person_id(details: Mapping[str, Any]) -> str | None:
    """Resident identity number of a person record (never invented)."""
    valid_declared: list[str] = []
    valid: list[str] = []
    declared: list[str] = []
    for raw, scheme, scheme_name in _identifiers(details):
        code = normalise_code(raw)
        says_id = bool(_ID_CARD_SCHEME.match(scheme)) or any(
            n in scheme_name for n in _ID_CARD_SCHEME_NAMES
        )
        if is_valid_id_number(code):
            (valid_declared if says_id else valid).append(code)
        elif says_id:
            declared.append(raw)
    return _pick(valid_declared, valid, declared)


def _person_name(details: Mapping[str, Any]) -> str | None:
    names = details.get("names")
    entries = [n for n in names if isinstance(n, dict)] if isinstance(names, list) else []
    for entry in entries:
        if isinstance(entry.get("fullName"), str) and entry["fullName"].strip():
            return str(entry["fullName"])
    for entry in entries:
        parts = [entry.get(k) for k in ("familyName", "givenName")]
        words = [p for p in parts if isinstance(p, str) and p.strip()]
        if words:
            # Chinese names are written family name first without a space.
            joiner = "" if all(not w.isascii() for w in words) else " "
            return joiner.join(words)
    return None


def _entity_type(uscc: str | None, details: Mapping[str, Any]) -> EntityType | None:
    if uscc is None or len(normalise_code(uscc)) != 18:
        return None
    base = _ENTITY_TYPE_BY_PREFIX.get(normalise_code(uscc)[:2])
    if base != "limited_company":
        return base
    kind = details.get("entityType")
    label = kind.get("details") if isinstance(kind, dict) else None
    if isinstance(label, str) and label.strip() in _FORM_BY_LABEL:
        return _FORM_BY_LABEL[label.strip()]
    name = details.get("name")
    if isinstance(name, str):
        for endings, form in _NAME_FORMS:
            if name.strip().endswith(endings):
                return form
    return base


def _region(uscc: str | None) -> str | None:
    code = normalise_code(uscc) if uscc else ""
    region = code[2:8]
    return region if len(code) == 18 and region.isascii() and region.isdigit() else None


def _address(details: Mapping[str, Any]) -> str | None:
    found = details.get("addresses")
    addresses = [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []
    registered = [a for a in addresses if a.get("type") == "registered"]
    for entry in registered + addresses:
        if isinstance(entry.get("address"), str) and entry["address"].strip():
            return str(entry["address"])
    return None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _ratio(share: Any) -> Any:
    """BODS percentage (0-100) to a 0-1 ratio: exact, else the midpoint of the bounds."""
    if not isinstance(share, dict):
        return None
    exact = share.get("exact")
    if exact is not None:
        return exact / 100 if _number(exact) else exact
    low = _first(share.get("minimum"), share.get("exclusiveMinimum"))
    high = _first(share.get("maximum"), share.get("exclusiveMaximum"))
    if _number(low) and _number(high):
        return (low + high) / 200
    return None  # one bound alone is not a value


# --- rows -----------------------------------------------------------------------------


def _row(model: type[Record], values: Mapping[str, Any]) -> dict[str, Any]:
    """All fields of ``model``: given values, else the field's default, else None."""
    unknown = set(values) - set(model.model_fields)
    if unknown:
        raise AssertionError(f"bods: {model.__name__} has no fields {sorted(unknown)}")
    row: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in values:
            row[name] = values[name]
        else:
            row[name] = None if info.is_required() else info.get_default(
                call_default_factory=True)
    return row


@dataclass(frozen=True)
class _Party:
    kind: Literal["person", "enterprise"] | None
    code: str | None
    key: str  # identifies the party for the votingRights-vs-shareholding rule


def _read_rows(
    records: Mapping[str, _Record], replaced_by: Mapping[str, str], counts: _Counts
) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        "enterprises": [], "people": [], "shareholdings": [], "officers": []}
    codes: dict[str, _Party] = {}
    for record in records.values():
        if record.record_type == "entity":
            uscc, legacy = _entity_codes(record.details)
            codes[record.record_id] = _Party("enterprise", uscc, record.record_id)
            rows["enterprises"].append(_row(RECORD_KINDS["enterprises"], {
                "uscc": uscc,
                "name": record.details.get("name"),
                "entity_type": _entity_type(uscc, record.details),
                "status": "cancelled" if record.details.get("dissolutionDate") else "operating",
                "established": _date(record.details.get("foundingDate")),
                "region_code": _region(uscc),
                "address": _address(record.details),
                "legacy_regno": legacy,
            }))
        elif record.record_type == "person":
            id_number = _person_id(record.details)
            codes[record.record_id] = _Party("person", id_number, record.record_id)
            rows["people"].append(_row(RECORD_KINDS["people"], {
                "id_number": id_number, "name": _person_name(record.details),
            }))

    def resolve(reference: Any, owner: str) -> _Party:
        if isinstance(reference, str):
            seen = {reference}
            while reference in replaced_by and replaced_by[reference] not in seen:
                reference = replaced_by[reference]
                seen.add(reference)
            if reference in codes:
                return codes[reference]
            counts.unresolved["unknown recordId"] += 1
            logger.warning("BODS relationship %s points at unknown record %r", owner, reference)
        else:
            counts.unresolved["unspecified party"] += 1
        return _Party(None, None, f"{owner}#unspecified")

    holdings: list[tuple[tuple[str, str], str, dict[str, Any]]] = []
    for record in records.values():
        if record.record_type != "relationship":
            continue
        subject = resolve(record.details.get("subject"), record.record_id)
        party = resolve(record.details.get("interestedParty"), record.record_id)
        enterprise_uscc = subject.code if subject.kind == "enterprise" else None
        if subject.kind == "person":
            counts.unresolved["subject is a person"] += 1
        closed_on = _date(record.statement_date) if record.status == "closed" else None
        interests = record.details.get("interests")
        officer_rows: list[dict[str, Any]] = []
        for interest in interests if isinstance(interests, list) else ():
            if not isinstance(interest, dict):
                continue
            kind = interest.get("type")
            if interest.get("directOrIndirect") == "indirect":
                counts.indirect += 1
                continue
            interval = {
                "since": _date(interest.get("startDate")),
                "until": _date(interest["endDate"]) if interest.get("endDate") else closed_on,
            }
            if kind in ("shareholding", "votingRights"):
                holdings.append(((subject.key, party.key), str(kind), _row(
                    RECORD_KINDS["shareholdings"], {
                        "holder_kind": party.kind, "holder_id": party.code,
                        "enterprise_uscc": enterprise_uscc,
                        "ratio": _ratio(interest.get("share")), **interval,
                    })))
            elif isinstance(kind, str) and kind in _OFFICER_ROLES:
                if party.kind == "enterprise":
                    logger.warning(
                        "BODS relationship %s: %s held by an entity; officers are people",
                        record.record_id, kind)
                row = _row(RECORD_KINDS["officers"], {
                    "id_number": party.code if party.kind == "person" else None,
                    "enterprise_uscc": enterprise_uscc, "role": _OFFICER_ROLES[kind],
                    **interval,
                })
                if row not in officer_rows:  # a board chair is also listed as member
                    officer_rows.append(row)
            else:
                counts.ignored[str(kind)] += 1
        rows["officers"].extend(officer_rows)

    # Voting rights stand in for the shareholding only where none was declared for the pair.
    with_shares = {pair for pair, kind, _ in holdings if kind == "shareholding"}
    rows["shareholdings"] = [
        row for pair, kind, row in holdings if kind == "shareholding" or pair not in with_shares
    ]
    return rows


def _report(path: Path, counts: _Counts) -> None:
    if counts.indirect:
        logger.info("%s: skipped %d indirect interests (the graph derives them)",
                    path, counts.indirect)
    if counts.ignored:
        logger.info("%s: ignored interests by type: %s", path, dict(counts.ignored))
    if counts.unresolved:
        logger.warning("%s: relationship parties not resolved: %s", path, dict(counts.unresolved))
    if counts.untyped:
        logger.warning("%s: %d statements without a known recordType/statementType",
                       path, counts.untyped)


def read_bods(path: Path) -> dict[str, pd.DataFrame]:
    """Read a BODS 0.4 (or 0.2/0.3) JSON or JSON Lines file into canonical record frames.

    Returns frames keyed by record kind ('enterprises', 'people', 'shareholdings',
    'officers'; a kind without rows is omitted) with exactly the model's fields as columns and
    plain Python values (``datetime.date``, None, tuples). Raises :class:`BodsError` for a
    file that is not BODS statements or declares an unsupported BODS version.
    """
    path = Path(path)
    counts = _Counts()
    records, replaced_by = _records(_load_statements(path), counts)
    rows = _read_rows(records, replaced_by, counts)
    _report(path, counts)
    frames: dict[str, pd.DataFrame] = {}
    for kind, kind_rows in rows.items():
        if kind_rows:
            columns = list(RECORD_KINDS[kind].model_fields)
            frames[kind] = pd.DataFrame(
                [[row[c] for c in columns] for row in kind_rows], columns=columns, dtype=object
            )
    return frames
