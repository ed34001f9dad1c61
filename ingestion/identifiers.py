"""Chinese identifier codes: check characters, validation, construction and privacy helpers.

Models (all stdlib, all pure functions; ``PersonPseudonyms.many`` uses the vectorised
checks of ``ingestion.columnar``):

* USCC, 统一社会信用代码 (GB 32100-2015): 18 characters over the 31-character alphabet
  ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V). Position 1 is the registration
  authority, 2 the entity category within that authority, 3-8 the GB/T 2260 region code of
  the registering office, 9-17 the organisation code (GB 11714: 8 body characters and its own
  check character), 18 the check character: ``c18 = (31 - sum(v_i * 3**i mod 31)) mod 31``
  with ``v`` the character's index in the alphabet. Because 31 is prime and every weight is
  non-zero mod 31, any single-character substitution changes the sum and is detected.
* Organisation code (GB 11714-1997): weights 3,7,9,10,5,8,4,2 over values 0-9 and A=10..Z=35,
  ``c9 = 11 - sum mod 11`` with 10 -> 'X' and 11 -> '0'.
* Legacy registration number, 注册号 (15 digits, before the USCC reform): 6-digit registry
  region, 8-digit sequence, 1 check digit by ISO 7064 MOD 11,10 (hybrid system).
* Resident identity number (GB 11643-1999): 6-digit region, 8-digit birth date YYYYMMDD,
  3-digit sequence, check character from ISO 7064 MOD 11-2: weights ``2**(17-i) mod 11``,
  check = "10X98765432"[sum mod 11].

The ``validate_*`` functions return the code or raise ``ValueError`` naming the problem; the
``is_valid_*`` functions are the boolean forms. Validation is exact: callers normalise first
(``normalise_code`` strips blanks and upper-cases).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import operator
from collections.abc import Mapping, Sequence
from typing import Final

USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE: Final = {c: i for i, c in enumerate(USCC_CHARSET)}

# GB 32100-2015 Appendix A (with later additions A and N): authority -> entity categories.
USCC_CATEGORIES: Final[Mapping[str, frozenset[str]]] = {
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": frozenset("19"),  # 外交
    "3": frozenset("123459"),  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委
    "4": frozenset("19"),  # 文化
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游
    "7": frozenset("129"),  # 宗教
    "8": frozenset("19"),  # 工会
    "9": frozenset("123"),  # 工商/市场监管: 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室
    "N": frozenset("1239"),  # 农业: 农村集体经济组织
    "Y": frozenset("1"),  # 其他
}

ORG_CODE_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE: Final = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}

ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_MAP: Final = "10X98765432"
_DIGITS: Final = frozenset("0123456789")
_ZERO_WEIGHTED: Final = ord("0") * sum(ID_WEIGHTS)
_EARLIEST_BIRTH: Final = dt.date(1800, 1, 1)
_SHA256_BLOCK: Final = 64  # bytes: HMAC pads (or first hashes) its key to this


def normalise_code(code: str) -> str:
    """Strip surrounding/inner blanks and upper-case: the form every validator expects."""
    return "".join(code.split()).upper()


# --- USCC and organisation code -------------------------------------------------------------


def gb11714_check_char(body8: str) -> str:
    """Check character of an organisation code body (8 characters, digits or A-Z)."""
    if len(body8) != 8:
        raise ValueError(f"organisation code body {body8!r} must have 8 characters")
    bad = [c for c in body8 if c not in _ORG_VALUE]
    if bad:
        raise ValueError(f"organisation code body {body8!r} has invalid characters {bad}")
    total = sum(_ORG_VALUE[c] * w for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """Check character (position 18) of a USCC from its first 17 characters."""
    if len(first17) != 17:
        raise ValueError(f"USCC prefix {first17!r} must have 17 characters, has {len(first17)}")
    bad = [c for c in first17 if c not in _USCC_VALUE]
    if bad:
        raise ValueError(f"USCC prefix {first17!r} has characters outside the USCC set: {bad}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def _uscc_structure_problem(code: str) -> str | None:
    authority, category, region = code[0], code[1], code[2:8]
    if authority not in USCC_CATEGORIES:
        return f"unknown registration authority code {authority!r}"
    if category not in USCC_CATEGORIES[authority]:
        return f"entity category {category!r} does not exist for authority {authority!r}"
    if not set(region) <= _DIGITS:
        return f"region code {region!r} (positions 3-8) must be 6 digits"
    return None


def validate_uscc(code: str, *, strict: bool = False) -> str:
    """Return ``code`` if it is a well-formed USCC, else raise ``ValueError`` with the reason.

    Always checked: length, alphabet, structure (authority, category, 6-digit region) and the
    GB 32100 check character. The inner GB 11714 organisation-code check character is only
    enforced with ``strict=True``: codes issued by registries in the transition years do not
    always satisfy it, yet they are the enterprise's legal identifier, and rejecting them would
    quarantine real enterprises. The outer check character already catches transcription errors.
    """
    if len(code) != 18:
        raise ValueError(f"USCC {code!r} must have 18 characters, has {len(code)}")
    bad = sorted({c for c in code if c not in _USCC_VALUE})
    if bad:
        raise ValueError(f"USCC {code!r} has characters outside the USCC set: {bad}")
    problem = _uscc_structure_problem(code)
    if problem is not None:
        raise ValueError(f"USCC {code!r}: {problem}")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValueError(f"USCC {code!r}: check character is {code[17]!r}, expected {expected!r}")
    if strict:
        inner = gb11714_check_char(code[8:16])
        if code[16] != inner:
            raise ValueError(
                f"USCC {code!r}: organisation code check character is {code[16]!r}, "
                f"expected {inner!r} (GB 11714)"
            )
    return code


def is_valid_uscc(code: str, *, strict: bool = False) -> bool:
    """True if ``code`` is a valid USCC (see ``validate_uscc`` for what ``strict`` adds)."""
    try:
        validate_uscc(code, strict=strict)
    except (ValueError, TypeError):
        return False
    return True


def make_uscc(authority: str, category: str, region6: str, org_body8: str) -> str:
    """Build a fully valid USCC: organisation-code check character, then the USCC one.

    ``org_body8`` must use the USCC alphabet (the inner check may be 'X', which it contains).
    """
    if len(authority) != 1 or len(category) != 1 or len(region6) != 6:
        raise ValueError(
            f"USCC parts authority={authority!r} category={category!r} region6={region6!r} "
            "must have 1, 1 and 6 characters"
        )
    problem = _uscc_structure_problem(f"{authority}{category}{region6}")
    if problem is not None:
        raise ValueError(f"bad USCC parts: {problem}")
    bad = [c for c in org_body8 if c not in _USCC_VALUE]
    if len(org_body8) != 8 or bad:
        raise ValueError(
            f"organisation code body {org_body8!r} must be 8 characters of the USCC set"
        )
    first17 = f"{authority}{category}{region6}{org_body8}{gb11714_check_char(org_body8)}"
    return first17 + uscc_check_char(first17)


# --- Legacy 15-digit registration number ----------------------------------------------------


def legacy_regno_check_digit(first14: str) -> str:
    """ISO 7064 MOD 11,10 check digit of a 15-digit registration number's first 14 digits."""
    if len(first14) != 14 or not set(first14) <= _DIGITS:
        raise ValueError(f"registration number prefix {first14!r} must be 14 digits")
    product = 10
    for char in first14:
        remainder = (product + int(char)) % 10 or 10
        product = remainder * 2 % 11
    return str((11 - product) % 10)


def validate_legacy_regno(code: str) -> str:
    """Return ``code`` if it is a valid 15-digit 注册号, else raise ``ValueError``."""
    if len(code) != 15 or not set(code) <= _DIGITS:
        raise ValueError(f"registration number {code!r} must be 15 digits")
    expected = legacy_regno_check_digit(code[:14])
    if code[14] != expected:
        raise ValueError(
            f"registration number {code!r}: check digit is {code[14]!r}, expected {expected!r}"
        )
    return code


def is_valid_legacy_regno(code: str) -> bool:
    """True if ``code`` is a 15-digit registration number with a correct check digit."""
    try:
        validate_legacy_regno(code)
    except (ValueError, TypeError):
        return False
    return True


# --- Resident identity number ---------------------------------------------------------------


def gb11643_check_char(first17: str) -> str:
    """Check character of an 18-character resident identity number from its first 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"identity number prefix {first17!r} must be 17 digits")
    # ASCII codes minus '0' times the weights: no int() per character (hashing IDs is hot).
    total = sum(map(operator.mul, first17.encode("ascii"), ID_WEIGHTS)) - _ZERO_WEIGHTED
    return ID_CHECK_MAP[total % 11]


def _birth_date_problem(yyyymmdd: str, today: dt.date) -> str | None:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return f"birth date {yyyymmdd!r} is not a calendar date"
    if not _EARLIEST_BIRTH <= born <= today:
        return f"birth date {born.isoformat()} is outside {_EARLIEST_BIRTH.isoformat()}..today"
    return None


def validate_id_number(code: str, *, today: dt.date | None = None) -> str:
    """Return ``code`` if it is a valid 18-character resident ID number, else raise.

    Checks 17 digits plus a digit or upper-case 'X', a real birth date not after ``today``
    (default: the system date) and the GB 11643 check character.
    """
    if len(code) != 18:
        raise ValueError(f"identity number must have 18 characters, has {len(code)}")
    first17 = code[:17]
    if not (first17.isascii() and first17.isdigit()) or code[17] not in "0123456789X":
        raise ValueError("identity number must be 17 digits then a digit or 'X'")
    problem = _birth_date_problem(code[6:14], today or dt.date.today())
    if problem is not None:
        raise ValueError(f"identity number: {problem}")
    if code[17] != gb11643_check_char(code[:17]):
        raise ValueError("identity number: check character does not match")
    return code


def is_valid_id_number(code: str, *, today: dt.date | None = None) -> bool:
    """True if ``code`` is a valid 18-character resident identity number."""
    try:
        validate_id_number(code, today=today)
    except (ValueError, TypeError):
        return False
    return True


def hash_person_id(id_number: str, key: bytes) -> str:
    """Keyed pseudonym of an identity number: HMAC-SHA256 hex of the normalised number.

    The key matters: the ID space is small enough to enumerate, so an unkeyed hash would be
    reversible. Lower-case 'x' and blanks are normalised first so that every spelling of the
    same person maps to one pseudonym; an invalid number raises instead of being hashed.
    """
    if not key:
        raise ValueError("hash_person_id needs a non-empty key")
    number = normalise_code(id_number)
    validate_id_number(number)
    return hmac.new(key, number.encode("ascii"), hashlib.sha256).hexdigest()


class PersonPseudonyms:
    """:func:`hash_person_id` under one key, remembered: a person recurs across a
    delivery's records (holdings, legal representative, officer roles), and validating
    plus hashing each occurrence dominated ingestion."""

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("PersonPseudonyms needs a non-empty key")
        self.key = key
        # HMAC-SHA256 spelled out (RFC 2104: H(K^opad || H(K^ipad || m))) over two keyed
        # SHA-256 states that each number copies: a third of hmac.HMAC's per-call cost.
        block = (hashlib.sha256(key).digest() if len(key) > _SHA256_BLOCK else key).ljust(
            _SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in block))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in block))
        self._known: dict[str, str] = {}

    def _hashed(self, number: str) -> str:
        inner = self._inner.copy()
        inner.update(number.encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __call__(self, id_number: str) -> str:
        pseudonym = self._known.get(id_number)
        if pseudonym is None:
            number = normalise_code(id_number)
            validate_id_number(number)
            pseudonym = self._known[id_number] = self._hashed(number)
        return pseudonym

    def many(self, id_numbers: Sequence[str]) -> list[str]:
        """The pseudonym of each number: the ones not seen before are checked together, by
        the vectorised form of the same checks (:func:`ingestion.columnar.checked_id_numbers`),
        then hashed. One invalid number raises, and none of them is remembered."""
        # Imported here: ingestion.columnar builds on this module.
        from ingestion.columnar import checked_id_numbers

        known = self._known
        new = list(dict.fromkeys(itertools.compress(
            id_numbers, map(operator.not_, map(known.__contains__, id_numbers)))))
        if new:
            known.update(zip(new, map(self._hashed, checked_id_numbers(new)), strict=True))
        return list(map(known.__getitem__, id_numbers))


def mask_id_number(id_number: str) -> str:
    """Mask an 18-character ID as regulators publish it: region and last 4 kept.

    ``330102199001011234`` -> ``330102********1234``: the 8 birth-date digits are hidden. Only
    the shape is checked (a malformed number still must not leak), not the check character.
    """
    number = normalise_code(id_number)
    if len(number) != 18 or not set(number[:17]) <= _DIGITS or number[17] not in "0123456789X":
        raise ValueError("identity number to mask must be 17 digits then a digit or 'X'")
    return number[:6] + "*" * 8 + number[14:]
