"""Announcements: numbers in English and Chinese, position and wait prompts, the prompt library."""

from __future__ import annotations

import pytest

from telephony.media.prompts import (
    PromptError,
    PromptLibrary,
    announcement,
    chinese_number,
    english_number,
)
from telephony.media.tones import tone
from telephony.media.wav import encode_wav

pytestmark = pytest.mark.unit

ZH = dict(zip([str(d) for d in range(10)], "零一二三四五六七八九", strict=True))
ZH.update({"liang": "两", "10": "十", "100": "百", "1000": "千", "10000": "万"})


def said(names: list[str]) -> str:
    return "".join(ZH[n] for n in names)


@pytest.mark.parametrize(
    ("n", "names"),
    [
        (0, ["0"]),
        (7, ["7"]),
        (13, ["13"]),
        (20, ["20"]),
        (21, ["20", "1"]),
        (99, ["90", "9"]),
        (100, ["1", "hundred"]),
        (105, ["1", "hundred", "5"]),
        (342, ["3", "hundred", "40", "2"]),
        (2001, ["2", "thousand", "1"]),
        (12_345, ["12", "thousand", "3", "hundred", "40", "5"]),
        (1_000_000, ["1", "million"]),
    ],
)
def test_given_number_when_said_in_english_then_words_compose(n, names):
    assert english_number(n) == names


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "零"),
        (1, "一"),
        (2, "两"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (21, "二十一"),
        (22, "二十二"),
        (100, "一百"),
        (105, "一百零五"),
        (110, "一百一十"),
        (200, "两百"),
        (222, "两百二十二"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (2000, "两千"),
        (10_000, "一万"),
        (20_000, "两万"),
        (100_010, "十万零一十"),
        (120_000, "十二万"),
        (1_000_100, "一百万零一百"),
    ],
)
def test_given_number_when_said_in_chinese_then_reading_is_idiomatic(n, text):
    assert said(chinese_number(n)) == text


def test_given_bare_two_without_measure_word_when_said_in_chinese_then_er():
    assert said(chinese_number(2, measure=False)) == "二"


@pytest.mark.parametrize("n", [-1, 100_000_000])
def test_given_number_out_of_range_when_said_then_prompt_error(n):
    with pytest.raises(PromptError, match="cannot say"):
        english_number(n)
    with pytest.raises(PromptError, match="cannot say"):
        chinese_number(n)


def test_given_english_position_3_and_2_minutes_when_announced_then_prompt_names():
    assert announcement("en", 3, 120) == [
        "you-are-number", "3", "in-the-queue", "expected-wait-about", "2", "minutes",
    ]  # fmt: skip


def test_given_english_one_minute_or_less_when_announced_then_singular_or_under_a_minute():
    assert announcement("en", 21, 75)[-3:] == ["expected-wait-about", "1", "minute"]
    assert announcement("en", 21, 20)[1:3] == ["20", "1"]
    assert announcement("en", 1, 20)[-1] == "expected-wait-under-a-minute"
    assert announcement("en", 1, None) == ["you-are-number", "1", "in-the-queue"]


def test_given_chinese_position_3_and_2_minutes_when_announced_then_two_ahead_liang_minutes():
    names = announcement("zh", 3, 120)
    assert names == [
        "ahead-of-you", "liang", "people", "expected-wait-about", "liang", "minutes",
    ]  # fmt: skip


def test_given_chinese_first_in_line_when_announced_then_you_are_next():
    assert announcement("zh", 1, 20) == ["you-are-next", "expected-wait-under-a-minute"]
    assert announcement("zh", 22, None) == ["ahead-of-you", "2", "10", "1", "people"]


@pytest.mark.parametrize(("language", "position"), [("fr", 1), ("en", 0)])
def test_given_unknown_language_or_bad_position_when_announced_then_prompt_error(
    language, position
):
    with pytest.raises(PromptError):
        announcement(language, position, 60)


def test_given_prompt_files_when_assembled_then_pcm_is_joined_and_cached(tmp_path):
    (tmp_path / "en").mkdir()
    beep = tone(500.0, 0.05)
    for name in ["you-are-number", "3", "in-the-queue"]:
        (tmp_path / "en" / f"{name}.wav").write_bytes(encode_wav(beep))
    library = PromptLibrary(tmp_path)
    names = announcement("en", 3, None)
    assert library.missing("en", names) == []
    assert library.assemble("en", names) == beep * 3
    (tmp_path / "en" / "3.wav").unlink()
    assert library.load("en", "3") == beep  # cached


def test_given_missing_prompt_when_loaded_then_error_names_it(tmp_path):
    library = PromptLibrary(tmp_path)
    assert library.missing("zh", ["you-are-next", "you-are-next"]) == ["you-are-next"]
    with pytest.raises(PromptError, match="missing prompt zh/you-are-next"):
        library.assemble("zh", ["you-are-next"])
