"""Phone normalising (pure): typed forms, trunk forms, extensions, bad input; Hypothesis checks."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crm_core.phones import (
    RAW_MAX,
    InvalidPhone,
    PhoneNumber,
    PhoneProblem,
    lookup_keys,
    normalize_phone,
    parse_phone,
)

pytestmark = pytest.mark.unit

MOBILE = "+8613800138000"
BEIJING = "+861012345678"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", PhoneNumber(MOBILE)),
        ("+86 138 0013 8000", PhoneNumber(MOBILE)),
        ("0086 138-0013-8000", PhoneNumber(MOBILE)),
        ("１３８００１３８０００", PhoneNumber(MOBILE)),  # full-width digits
        ("＋８６ １３８ ００１３ ８０００", PhoneNumber(MOBILE)),
        ("138.0013.8000", PhoneNumber(MOBILE)),
        ("138、0013、8000", PhoneNumber(MOBILE)),
        ("138，0013，8000", PhoneNumber(MOBILE)),
        ("010-12345678", PhoneNumber(BEIJING)),
        ("(010) 1234 5678", PhoneNumber(BEIJING)),
        ("０１０－１２３４５６７８", PhoneNumber(BEIJING)),
        ("+86 (0)10 12345678", PhoneNumber(BEIJING)),
        ("010-12345678 转 808", PhoneNumber(BEIJING, "808")),
        ("010-12345678转808", PhoneNumber(BEIJING, "808")),
        ("010-12345678 分机 9", PhoneNumber(BEIJING, "9")),
        ("010-12345678 ext. 12", PhoneNumber(BEIJING, "12")),
        ("010-12345678 EXT 12", PhoneNumber(BEIJING, "12")),
        ("010-12345678x12", PhoneNumber(BEIJING, "12")),
        ("010-12345678#12", PhoneNumber(BEIJING, "12")),
        ("+1 (650) 253-0000", PhoneNumber("+16502530000")),
        ("+44 20 7946 0958", PhoneNumber("+442079460958")),
    ],
)
def test_typed_forms_normalise_to_e164_with_extension(raw: str, expected: PhoneNumber):
    assert normalize_phone(raw, "CN") == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12345", "invalid-number"),
        ("+86 1380013800", "invalid-number"),
        ("call me", "not-a-number"),
        ("138 0013 8000 ext", "not-a-number"),
        ("x12", "not-a-number"),
        ("1" * (RAW_MAX + 1), "too-long"),
        ("++8613800138000", "not-a-number"),
    ],
)
def test_bad_input_gets_a_reason(raw: str, reason: str):
    result = normalize_phone(raw, "CN")
    assert result == PhoneProblem(reason)  # type: ignore[arg-type]
    assert isinstance(result, PhoneProblem)
    assert result.message


def test_unknown_region_is_a_problem_not_a_crash():
    assert normalize_phone("13800138000", "ZZ") == PhoneProblem("invalid-region")


def test_default_region_decides_numbers_without_country_code():
    assert normalize_phone("(650) 253-0000", "US") == PhoneNumber("+16502530000")
    assert normalize_phone("0086 10 12345678", "US") == PhoneNumber(BEIJING)


def test_parse_phone_raises_with_the_reason():
    assert parse_phone("13800138000", "CN").e164 == MOBILE
    with pytest.raises(InvalidPhone, match="not a valid number") as caught:
        parse_phone("12345", "CN")
    assert caught.value.problem.reason == "invalid-number"


@pytest.mark.parametrize(
    ("ani", "keys"),
    [
        ("13800138000", (MOBILE,)),
        ("8613800138000", (MOBILE,)),
        ("+8613800138000", (MOBILE,)),
        ("008613800138000", (MOBILE,)),
        ("01012345678", (BEIJING,)),
        ("1012345678", (BEIJING,)),
        ("sip:+8613800138000@trunk.example;user=phone", (MOBILE,)),
        ("tel:+86-10-1234-5678", (BEIJING,)),
        ("anonymous", ()),
        ("", ()),
        ("+", ()),
        ("9" * 200, ()),
    ],
)
def test_trunk_anis_give_the_keys_to_look_up(ani: str, keys: tuple[str, ...]):
    assert lookup_keys(ani, "CN") == keys


# --- properties ---------------------------------------------------------------------------------

_MOBILE_PREFIXES = ("130", "133", "135", "138", "139", "150", "158", "186", "189", "199")
_FULL_WIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")

mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(_MOBILE_PREFIXES),
    st.text("0123456789", min_size=8, max_size=8),
)
separators = st.sampled_from([" ", "-", ".", "、", "，", "  ", " - ", "(", ")"])


def _e164(national: str) -> str:
    parsed = phonenumbers.parse(national, "CN")
    assume(phonenumbers.is_valid_number(parsed))
    return f"+86{national}"


@st.composite
def spelled(draw: st.DrawFn, national: str) -> str:
    """The national number written as people do: a prefix, separators, maybe full width."""
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "(+86) "]))
    digits = list(national)
    out = ""
    for digit in digits:
        out += digit + (draw(separators) if draw(st.booleans()) and draw(st.booleans()) else "")
    text = prefix + out
    return text.translate(_FULL_WIDTH) if draw(st.booleans()) else text


@given(data=st.data(), national=mobiles)
def test_every_spelling_of_a_mobile_gives_one_e164(data: st.DataObject, national: str):
    e164 = _e164(national)
    raw = data.draw(spelled(national))
    assert normalize_phone(raw, "CN") == PhoneNumber(e164), raw


@given(
    national=mobiles,
    ext=st.text("0123456789", min_size=1, max_size=6),
    marker=st.sampled_from([" ext ", " ext. ", "x", "#", " 转 ", "转", " 分机 "]),
)
def test_extensions_are_kept_apart(national: str, ext: str, marker: str):
    e164 = _e164(national)
    assert normalize_phone(national + marker + ext, "CN") == PhoneNumber(e164, ext)


@given(national=mobiles)
def test_e164_output_is_a_fixed_point_and_its_own_lookup_key(national: str):
    e164 = _e164(national)
    assert normalize_phone(e164, "CN") == PhoneNumber(e164)
    for ani in (national, e164, e164[1:], "00" + e164[1:]):
        assert lookup_keys(ani, "CN")[0] == e164


@given(st.text(max_size=40))
def test_any_text_gives_a_number_or_a_reason_never_an_exception(text: str):
    result = normalize_phone(text, "CN")
    assert isinstance(result, PhoneNumber | PhoneProblem)
    if isinstance(result, PhoneNumber):
        assert result.e164.startswith("+")
        assert result.e164[1:].isdigit()
    assert all(key.startswith("+") for key in lookup_keys(text, "CN"))
