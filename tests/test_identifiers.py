"""Identifier codes: known examples worked by hand, and error-detection properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.columnar import masked_id_numbers
from ingestion.identifiers import (
    USCC_CATEGORIES,
    USCC_CHARSET,
    PersonPseudonyms,
    gb11643_check_char,
    gb11714_check_char,
    hash_person_id,
    is_valid_id_number,
    is_valid_legacy_regno,
    is_valid_uscc,
    legacy_regno_check_digit,
    make_uscc,
    mask_id_number,
    normalise_code,
    uscc_check_char,
    validate_id_number,
    validate_legacy_regno,
    validate_uscc,
)

DIGITS = "0123456789"
KEY = b"test-key"

# --- known examples -----------------------------------------------------------------------------


def test_uscc_example_of_the_standard_worked_by_hand() -> None:
    # 91350100M000100Y43: character values 9,1,3,5,0,1,0,0,21(M),0,0,0,1,0,0,30(Y),4 times
    # weights 3^i mod 31 = 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 sum to 1640;
    # 1640 mod 31 = 28, 31 - 28 = 3 -> '3'.
    assert uscc_check_char("91350100M000100Y4") == "3"
    # inner organisation code M000100Y-4: 22*3 + 1*5 + 34*2 = 139, 139 mod 11 = 7, 11 - 7 = 4
    assert gb11714_check_char("M000100Y") == "4"
    assert is_valid_uscc("91350100M000100Y43", strict=True)


@pytest.mark.parametrize(
    "code",
    # codes as printed on business licences of large companies (public registration data)
    ["91330100799655058B", "914403001922038216", "91440300708461136T"],
)
def test_published_usccs_validate_strictly(code: str) -> None:
    assert is_valid_uscc(code, strict=True)


def test_id_number_example_of_the_standard_worked_by_hand() -> None:
    # 11010519491231002X: digits times weights 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2 sum to 167;
    # 167 mod 11 = 2 -> "10X98765432"[2] = 'X'.
    assert gb11643_check_char("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("11010519491231002x")  # exact; normalise_code first
    assert is_valid_id_number(normalise_code(" 11010519491231002x "))


def test_legacy_regno_worked_by_hand() -> None:
    # ISO 7064 MOD 11,10 over 11010800000001 leaves product 5; check = (11 - 5) mod 10 = 6
    assert legacy_regno_check_digit("11010800000001") == "6"
    assert is_valid_legacy_regno("110108000000016")
    assert not is_valid_legacy_regno("110108000000017")


def test_make_uscc_examples() -> None:
    assert make_uscc("9", "1", "330106", "MA2H0000") == "91330106MA2H00006X"
    assert make_uscc("9", "2", "330782", "MA000001") == "92330782MA0000015H"


# --- validation and its messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("9133010679965505", "18 characters"),
        ("91330100799655058I", "outside the USCC set"),
        ("Z1330100799655058B", "outside the USCC set"),
        ("B1330100799655058B", "unknown registration authority"),
        ("94330100799655058B", "category '4' does not exist"),
        ("9133A100799655058B", "region code"),
        ("91330100799655058C", "expected 'B'"),
    ],
)
def test_validate_uscc_names_the_problem(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_uscc(code)
    assert not is_valid_uscc(code)


def test_inner_organisation_check_only_when_strict() -> None:
    good = make_uscc("9", "1", "330106", "MA2H0000")
    wrong_inner = good[:16] + ("0" if good[16] != "0" else "1")
    code = wrong_inner[:17] + uscc_check_char(wrong_inner[:17])
    assert is_valid_uscc(code)
    assert not is_valid_uscc(code, strict=True)
    with pytest.raises(ValueError, match="GB 11714"):
        validate_uscc(code, strict=True)


def test_make_uscc_rejects_bad_parts() -> None:
    with pytest.raises(ValueError, match="must have 1, 1 and 6"):
        make_uscc("9", "1", "33010", "MA2H0000")
    with pytest.raises(ValueError, match="category"):
        make_uscc("9", "5", "330106", "MA2H0000")
    with pytest.raises(ValueError, match="USCC set"):
        make_uscc("9", "1", "330106", "MA2H000O")


def test_id_number_birth_date_and_messages() -> None:
    first17 = "33010220000230001"  # 30 February
    with pytest.raises(ValueError, match="not a calendar date"):
        validate_id_number(first17 + gb11643_check_char(first17))
    future = "33010230000101001"
    with pytest.raises(ValueError, match="outside"):
        validate_id_number(future + gb11643_check_char(future), today=dt.date(2026, 10, 31))
    with pytest.raises(ValueError, match="18 characters"):
        validate_id_number("3301021990")
    with pytest.raises(ValueError, match="check character"):
        validate_id_number("110105194912310021")


def test_messages_do_not_leak_the_identity_number() -> None:
    with pytest.raises(ValueError) as raised:
        validate_id_number("110105194912310021")
    assert "1101051949" not in str(raised.value)


def test_legacy_regno_messages() -> None:
    with pytest.raises(ValueError, match="15 digits"):
        validate_legacy_regno("11010800000001A")
    with pytest.raises(ValueError, match="expected '6'"):
        validate_legacy_regno("110108000000019")


# --- privacy helpers -----------------------------------------------------------------------------


def test_hash_person_id_is_keyed_and_normalised() -> None:
    digest = hash_person_id("11010519491231002X", KEY)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert hash_person_id("11010519491231002x", KEY) == digest
    assert hash_person_id(" 11010519491231002X", KEY) == digest
    assert hash_person_id("11010519491231002X", b"other-key") != digest
    with pytest.raises(ValueError, match="non-empty key"):
        hash_person_id("11010519491231002X", b"")
    with pytest.raises(ValueError, match="check character"):
        hash_person_id("110105194912310021", KEY)


def test_person_pseudonyms_are_hash_person_id_remembered() -> None:
    pseudonyms = PersonPseudonyms(KEY)
    for number in ("11010519491231002X", "11010519491231002x", " 11010519491231002X"):
        assert pseudonyms(number) == hash_person_id(number, KEY)
        assert pseudonyms(number) == pseudonyms(number)  # the remembered answer
    assert PersonPseudonyms(b"other-key")("11010519491231002X") != pseudonyms(
        "11010519491231002X")
    with pytest.raises(ValueError, match="check character"):
        pseudonyms("110105194912310021")  # invalid numbers are never hashed
    with pytest.raises(ValueError, match="non-empty key"):
        PersonPseudonyms(b"")


@pytest.mark.parametrize("key", [KEY, b"k" * 64, b"long key " * 20])  # short, block, hashed
def test_many_pseudonyms_at_once_are_the_same_pseudonyms(key: bytes) -> None:
    numbers = ["11010519491231002X", "11010519491231002x", " 11010519491231002X",
               "110105198001010016", "11010519491231002X"]
    assert PersonPseudonyms(key).many(numbers) == [hash_person_id(n, key) for n in numbers]
    pseudonyms = PersonPseudonyms(key)
    with pytest.raises(ValueError, match=r"identity number 2 of 2: .*check character"):
        pseudonyms.many(["110105198001010016", "110105194912310021"])
    assert pseudonyms._known == {}  # one invalid number: none of them is remembered
    assert pseudonyms.many(["110105198001010016"]) == [hash_person_id("110105198001010016", key)]


def test_masked_id_numbers_are_mask_id_number() -> None:
    numbers = ["11010519491231002x", "110105198001010016", " 110105198001010016 "]
    assert masked_id_numbers(numbers) == [mask_id_number(n) for n in numbers]
    with pytest.raises(ValueError, match="identity number 1 of 1"):
        masked_id_numbers(["1101051949"])


def test_mask_id_number_hides_the_birth_date() -> None:
    assert mask_id_number("11010519491231002x") == "110105********002X"
    with pytest.raises(ValueError):
        mask_id_number("1101051949")


# --- properties -----------------------------------------------------------------------------------

authorities = st.sampled_from(sorted(USCC_CATEGORIES))
regions = st.text(DIGITS, min_size=6, max_size=6)
bodies = st.text(USCC_CHARSET, min_size=8, max_size=8)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(authorities)
    category = draw(st.sampled_from(sorted(USCC_CATEGORIES[authority])))
    return make_uscc(authority, category, draw(regions), draw(bodies))


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text(DIGITS, min_size=6, max_size=6).filter(lambda r: r[0] != "0"))
    born = draw(st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)))
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + gb11643_check_char(first17)


@given(usccs())
def test_every_made_uscc_validates_strictly(code: str) -> None:
    assert is_valid_uscc(code, strict=True)


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_CHARSET))
def test_any_single_substitution_in_a_uscc_is_detected(code: str, pos: int, char: str) -> None:
    if char == code[pos]:
        return
    mutated = code[:pos] + char + code[pos + 1 :]
    assert not is_valid_uscc(mutated)
    if pos < 17:  # not just structure: the MOD 31 check character itself catches it
        assert uscc_check_char(mutated[:17]) != code[17]


@given(usccs(), st.integers(0, 16))
def test_adjacent_transpositions_in_a_uscc_are_detected(code: str, pos: int) -> None:
    if code[pos] == code[pos + 1] or pos == 16:  # position 17/18 swap moves the check itself
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert uscc_check_char(swapped[:17]) != code[17]


@given(id_numbers())
def test_every_made_id_number_validates(code: str) -> None:
    assert is_valid_id_number(code)
    assert mask_id_number(code) == code[:6] + "********" + code[14:]


@given(id_numbers(), st.integers(0, 17), st.sampled_from(DIGITS + "X"))
def test_any_single_substitution_in_an_id_number_is_detected(
    code: str, pos: int, char: str
) -> None:
    if char == code[pos] or (char == "X" and pos < 17):
        return
    mutated = code[:pos] + char + code[pos + 1 :]
    assert not is_valid_id_number(mutated)
    if pos < 17:
        assert gb11643_check_char(mutated[:17]) != code[17]


@given(st.text(DIGITS, min_size=14, max_size=14), st.integers(0, 14), st.sampled_from(DIGITS))
def test_legacy_regno_detects_single_substitutions(first14: str, pos: int, digit: str) -> None:
    code = first14 + legacy_regno_check_digit(first14)
    assert is_valid_legacy_regno(code)
    if digit != code[pos]:
        assert not is_valid_legacy_regno(code[:pos] + digit + code[pos + 1 :])
