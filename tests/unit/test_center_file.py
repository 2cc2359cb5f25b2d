"""Center files: the sample loads; every kind of mistake is reported with file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.center import Center, Destination, Strategy
from config.center_file import (
    CenterFileError,
    center_warnings,
    check_center,
    key_path,
    load_center,
    sample_center_path,
)

pytestmark = pytest.mark.unit

# A small, valid center; tests add to it or replace parts of it.
BASE = """\
[center]
timezone = "Asia/Shanghai"
default_region = "CN"

[skills]
sales = "Sales"
support = "Support"
french = "French"

[queues.sales]
strategy = "longest-idle"
skills = { sales = 1 }
overflow = "queue:support"
max_wait_s = 60

[queues.support]
strategy = "fewest-calls"
skills = { support = 2 }
overflow = "voicemail:support"

[agents.1001]
name = "Li Na"
extension = "8001"
skills = { sales = 3, support = 2, french = 1 }

[menus.main]
prompt = "welcome"
default = "queue:support"
options = { 1 = "queue:sales", 2 = "queue:support" }

[numbers]
"4008001000" = "menu:main"

[hours]
holidays = ["2026-10-01"]
after_hours = "voicemail"
weekly = { mon = ["09:00-18:00"] }
"""


def write(tmp_path: Path, text: str, name: str = "center.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(CenterFileError) as caught:
        load_center(path)
    assert str(caught.value) == "\n".join(caught.value.messages)
    return caught.value.messages


def test_base_center_is_valid(tmp_path):
    center = load_center(write(tmp_path, BASE))
    assert set(center.queues) == {"sales", "support"}
    assert center.queues["sales"].overflow == Destination(kind="queue", name="support")
    assert center_warnings(center) == []


def test_sample_center_loads_cleanly():
    center = load_center(sample_center_path())
    assert center.center.timezone == "Asia/Shanghai"
    assert center.center.default_region == "CN"
    assert set(center.skills) == {"sales", "support", "billing", "english"}
    assert set(center.queues) == {"sales", "support", "billing", "english"}
    assert len({q.strategy for q in center.queues.values()}) == 4
    assert all(q.service_level_s == 20 for q in center.queues.values())
    assert all(10 <= q.wrap_up_s <= 30 for q in center.queues.values())
    overflow_kinds = {q.overflow.kind for q in center.queues.values()}
    assert {"queue", "voicemail"} <= overflow_kinds
    assert len(center.agents) == 8
    assert all(len(a.extension) == 4 for a in center.agents.values())
    main = center.menus["main"]
    assert main.prompt == "welcome"
    assert {k: str(d) for k, d in main.options.items()} == {
        "1": "queue:sales",
        "2": "queue:support",
        "3": "queue:billing",
        "9": "menu:english",
    }
    assert str(main.default) == "queue:support"
    assert {n: str(d) for n, d in center.numbers.items()} == {
        "4008001000": "menu:main",
        "4008001001": "queue:support",
        "4008009000": "menu:english",
    }
    assert center.hours.weekly["sat"] == ["09:00-12:00"]
    assert center.hours.holidays
    assert center.hours.after_hours.kind == "voicemail"


def test_sample_center_has_no_warnings():
    assert center_warnings(load_center(sample_center_path())) == []


def test_every_section_of_the_sample_is_explained():
    """A comment block comes before each section's first table, so the sample documents it."""
    lines = sample_center_path().read_text(encoding="utf-8").splitlines()
    previous_table, seen = 0, set()
    for number, line in enumerate(lines):
        if not line.startswith("["):
            continue
        section = line.strip("[]").split(".")[0]
        if section not in seen:
            between = lines[previous_table:number]
            assert any(text.startswith("#") for text in between), f"[{section}] is unexplained"
            seen.add(section)
        previous_table = number + 1
    assert seen == {"center", "skills", "queues", "agents", "menus", "numbers", "hours"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'overflow = "queue:support"',
            'overflow = "queue:salse"',
            "center.toml: queues.sales.overflow: unknown queue 'salse'",
        ),
        (
            "support = 2, french = 1",
            "support = 2, frensh = 1",
            "center.toml: agents.1001.skills.frensh: unknown skill 'frensh'",
        ),
        (
            'strategy = "longest-idle"',
            'strategyy = "longest-idle"',
            "center.toml: queues.sales.strategyy: unknown key",
        ),
        (
            'overflow = "queue:support"',
            'overflow = "queue:sales"',
            "center.toml: queues.sales.overflow: a queue may not overflow to itself",
        ),
        (
            'strategy = "longest-idle"',
            'strategy = "longest-idel"',
            "center.toml: queues.sales.strategy: 'longest-idel' is not valid; expected "
            "'longest-idle', 'least-talk-time', 'fewest-calls', 'skill-level-weighted', "
            "'round-robin', 'random' or 'ring-all'",
        ),
        (
            "skills = { support = 2 }",
            "skills = { suport = 2 }",
            "center.toml: queues.support.skills.suport: unknown skill 'suport'",
        ),
        (
            "skills = { sales = 1 }",
            "skills = { sales = 7 }",
            "center.toml: queues.sales.skills.sales: must be less than or equal to 5, got 7",
        ),
        (
            "max_wait_s = 60",
            "max_wait_s = -5",
            "center.toml: queues.sales.max_wait_s: must be greater than 0, got -5",
        ),
        (
            "max_wait_s = 60",
            'max_wait_s = "soon"',
            "center.toml: queues.sales.max_wait_s: must be a valid number, unable to parse "
            "string as a number, got 'soon'",
        ),
        (
            'options = { 1 = "queue:sales"',
            'options = { 1 = "menu:mian"',
            "center.toml: menus.main.options.1: unknown menu 'mian'",
        ),
        (
            'options = { 1 = "queue:sales"',
            'options = { 1 = "queue:"',
            "center.toml: menus.main.options.1: 'queue:' is not a destination; expected "
            "'queue:NAME', 'menu:NAME', 'voicemail', 'voicemail:BOX', 'callback' or 'hangup'",
        ),
        (
            'options = { 1 = "queue:sales"',
            'options = { 12 = "queue:sales"',
            "center.toml: menus.main.options: option '12' is not a single key (0-9, * or #)",
        ),
        (
            'default = "queue:support"',
            'default = "queue:nobody"',
            "center.toml: menus.main.default: unknown queue 'nobody'",
        ),
        (
            'default = "queue:support"',
            "",
            "center.toml: menus.main.default: missing required key",
        ),
        (
            'default = "queue:support"',
            "default = 3",
            "center.toml: menus.main.default: must be a destination ('queue:NAME', 'menu:NAME', "
            "'voicemail', 'voicemail:BOX', 'callback' or 'hangup'), got 3",
        ),
        (
            '"4008001000" = "menu:main"',
            '"4008001000" = "menu:mian"',
            "center.toml: numbers.4008001000: unknown menu 'mian'",
        ),
        (
            '"4008001000" = "menu:main"',
            '"400-800-1000" = "menu:main"',
            "center.toml: numbers.400-800-1000: '400-800-1000' is not a phone number: digits "
            "only, optionally a leading +",
        ),
        (
            'after_hours = "voicemail"',
            'after_hours = "queue:night"',
            "center.toml: hours.after_hours: unknown queue 'night'",
        ),
        (
            'holidays = ["2026-10-01"]',
            'holidays = ["2026-10-01", "2026-13-01"]',
            "center.toml: hours.holidays[1]: '2026-13-01' is not a date like '2025-10-01'",
        ),
        (
            'holidays = ["2026-10-01"]',
            'holidays = ["20261001"]',
            "center.toml: hours.holidays[0]: '20261001' is not a date like '2025-10-01'",
        ),
        (
            'weekly = { mon = ["09:00-18:00"] }',
            'weekly = { monday = ["09:00-18:00"] }',
            "center.toml: hours.weekly: 'monday' is not a weekday; use one of mon, tue, wed, "
            "thu, fri, sat, sun",
        ),
        (
            'weekly = { mon = ["09:00-18:00"] }',
            'weekly = { mon = ["18:00-09:00"] }',
            "center.toml: hours.weekly: '18:00-09:00' ends before it starts",
        ),
        (
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia/Shanghia"',
            "center.toml: center.timezone: unknown time zone 'Asia/Shanghia'; use an IANA name "
            "like 'Asia/Shanghai'",
        ),
        (
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia"',
            "center.toml: center.timezone: unknown time zone 'Asia'; use an IANA name like "
            "'Asia/Shanghai'",
        ),
        (
            'default_region = "CN"',
            'default_region = "XX"',
            "center.toml: center.default_region: unknown phone region 'XX'; use a code like 'CN'",
        ),
        (
            'default_region = "CN"',
            'default_region = "C"',
            "center.toml: center.default_region: must have at least 2 characters, got 'C'",
        ),
        (
            'extension = "8001"',
            'extension = "80a1"',
            "center.toml: agents.1001.extension: must be 2 to 8 digits, got '80a1'",
        ),
        (
            'name = "Li Na"',
            "",
            "center.toml: agents.1001.name: missing required key",
        ),
        (
            "[queues.support]",
            "[queues.support]\nmax_length = 0",
            "center.toml: queues.support.max_length: must be greater than or equal to 1, got 0",
        ),
        (
            "[numbers]",
            '[queues."sup port"]\n\n[numbers]',
            "center.toml: queues.\"sup port\": name may use only letters, digits, '_', '.' and '-'",
        ),
        (
            "[skills]",
            "[skill]",
            "center.toml: skill: unknown key",
        ),
    ],
)
def test_one_mistake_gives_one_exact_message(tmp_path, old, new, expected):
    assert old in BASE
    path = write(tmp_path, BASE.replace(old, new, 1))
    messages = errors_of(path)
    assert expected in messages
    if new != "[skill]":  # losing [skills] also makes every skill unknown
        assert messages == [expected]


def test_duplicate_extension_names_both_agents(tmp_path):
    text = BASE + '\n[agents.1002]\nname = "Wang Wei"\nextension = "8001"\n'
    assert errors_of(write(tmp_path, text)) == [
        "center.toml: agents.1002.extension: extension '8001' is also agents.1001's"
    ]


def test_messages_name_the_files_basename(tmp_path):
    path = write(tmp_path, BASE.replace("queue:support", "queue:nope"), name="shanghai.toml")
    assert all(message.startswith("shanghai.toml: ") for message in errors_of(path))


def test_all_mistakes_are_reported_at_once_in_file_order(tmp_path):
    text = (
        BASE.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"')
        .replace('strategy = "longest-idle"', 'strategyy = "longest-idle"')
        .replace('overflow = "queue:support"', 'overflow = "queue:salse"')
        .replace("french = 1", "frensh = 9")
        .replace('extension = "8001"', 'extension = "x"')
        .replace('options = { 1 = "queue:sales"', 'options = { 1 = "queue:", x = "menu:nope"')
        .replace('"4008001000" = "menu:main"', '"4008001000" = "menu:mian"\n"12a" = "hangup"')
        .replace('after_hours = "voicemail"', 'after_hours = "queue:night"')
    )
    assert errors_of(write(tmp_path, text)) == [
        "center.toml: center.timezone: unknown time zone 'Mars/Base'; use an IANA name like "
        "'Asia/Shanghai'",
        "center.toml: queues.sales.strategyy: unknown key",
        "center.toml: queues.sales.overflow: unknown queue 'salse'",
        "center.toml: agents.1001.extension: must be 2 to 8 digits, got 'x'",
        "center.toml: agents.1001.skills.frensh: must be less than or equal to 5, got 9",
        "center.toml: menus.main.options.1: 'queue:' is not a destination; expected "
        "'queue:NAME', 'menu:NAME', 'voicemail', 'voicemail:BOX', 'callback' or 'hangup'",
        "center.toml: menus.main.options: option 'x' is not a single key (0-9, * or #)",
        "center.toml: numbers.4008001000: unknown menu 'mian'",
        "center.toml: numbers.12a: '12a' is not a phone number: digits only, optionally a "
        "leading +",
        "center.toml: hours.after_hours: unknown queue 'night'",
    ]


def test_a_section_of_the_wrong_type_does_not_flood_with_false_references(tmp_path):
    text = BASE.replace("[queues.sales]", "[ignored.sales]").replace(
        "[queues.support]", "[ignored.support]"
    )
    messages = errors_of(write(tmp_path, 'queues = "none"\n' + text))
    assert messages == [
        "center.toml: queues: must be a table, got 'none'",
        "center.toml: ignored: unknown key",
    ]


def test_queue_of_wrong_type_is_reported_and_still_known_as_a_name(tmp_path):
    text = BASE.replace(
        '[queues.support]\nstrategy = "fewest-calls"\nskills = { support = 2 }\n'
        'overflow = "voicemail:support"\n',
        "[queues]\nsupport = 5\n",
    )
    assert errors_of(write(tmp_path, text)) == [
        "center.toml: queues.support: must be a table, got 5"
    ]


def test_toml_syntax_error_gives_line_and_column(tmp_path):
    text = BASE.replace('name = "Li Na"', 'name = "Li Na')
    line = text.splitlines().index('name = "Li Na') + 1
    assert errors_of(write(tmp_path, text)) == [
        f"center.toml: line {line}, column 14: invalid TOML: Illegal character '\\n'"
    ]


def test_toml_syntax_error_at_end_of_document_gives_the_last_position(tmp_path):
    assert errors_of(write(tmp_path, "[center]\nname = ")) == [
        "center.toml: line 2, column 8: invalid TOML: Invalid value"
    ]


def test_duplicate_table_is_a_syntax_error(tmp_path):
    messages = errors_of(write(tmp_path, BASE + "\n[queues.sales]\n"))
    assert len(messages) == 1
    assert messages[0].startswith("center.toml: line ")
    assert "invalid TOML: Cannot declare ('queues', 'sales') twice" in messages[0]


def test_missing_file_is_reported(tmp_path):
    missing = tmp_path / "center.toml"
    assert errors_of(missing) == [f"center.toml: cannot read {missing}: No such file or directory"]


def test_directory_is_reported(tmp_path):
    folder = tmp_path / "centers"
    folder.mkdir()
    assert errors_of(folder) == [f"centers: cannot read {folder}: Is a directory"]


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "center.toml"
    path.write_bytes('[center]\nname = "上海caf'.encode() + b'\xe9"\n')
    assert errors_of(path) == ["center.toml: line 2, column 14: not UTF-8 text; save it as UTF-8"]


def test_holidays_may_be_toml_dates(tmp_path):
    text = BASE.replace('holidays = ["2026-10-01"]', "holidays = [2026-10-01, 2027-01-01]")
    assert load_center(write(tmp_path, text)).hours.holidays == ["2026-10-01", "2027-01-01"]


def test_plus_prefixed_numbers_are_accepted_and_quoted_in_key_paths(tmp_path):
    text = BASE.replace('"4008001000" = "menu:main"', '"+862150001000" = "menu:main"')
    assert list(load_center(write(tmp_path, text)).numbers) == ["+862150001000"]
    assert key_path(("numbers", "+86 21", "x")) == 'numbers."+86 21".x'
    assert key_path(("hours", "holidays", 2)) == "hours.holidays[2]"


def test_empty_file_is_a_valid_always_open_center(tmp_path):
    center = load_center(write(tmp_path, ""))
    assert center.queues == {}
    assert center.hours.is_always_open()


def test_check_center_on_a_model_built_in_code():
    center = Center.model_validate(
        {
            "skills": {"sales": ""},
            "queues": {"sales": {"strategy": "ring-all", "skills": {"french": 2}}},
            "numbers": {"100": "queue:sales", "101": "menu:none"},
        }
    )
    assert check_center(center, "built") == [
        "built: queues.sales.skills.french: unknown skill 'french'",
        "built: numbers.101: unknown menu 'none'",
    ]


def test_destination_given_as_a_table_with_an_unknown_kind_is_refused():
    center = Center.model_validate({"numbers": {"100": {"kind": "fax", "name": "x"}}})
    assert check_center(center, "c.toml") == [
        "c.toml: numbers.100: 'fax:x' is not a destination; expected 'queue:NAME', "
        "'menu:NAME', 'voicemail', 'voicemail:BOX', 'callback' or 'hangup'"
    ]


def test_warning_for_a_queue_no_agent_can_serve(tmp_path):
    text = BASE.replace("skills = { support = 2 }", "skills = { support = 3, french = 1 }")
    center = load_center(write(tmp_path, text))
    assert center_warnings(center, "center.toml") == [
        "center.toml: queues.support.skills: no agent has support>=3, french>=1, so no call in "
        "this queue can be answered"
    ]
    assert center_warnings(center) == [
        "queues.support.skills: no agent has support>=3, french>=1, so no call in this queue "
        "can be answered"
    ]


def test_warnings_for_overflow_loop_unreachable_menu_and_no_numbers():
    center = Center.model_validate(
        {
            "agents": {"1": {"name": "A", "extension": "11"}},
            "queues": {
                "a": {"overflow": "queue:b"},
                "b": {"overflow": "queue:c"},
                "c": {"overflow": "queue:a"},
            },
            "menus": {"lost": {"prompt": "p", "default": "menu:lost"}},
        }
    )
    assert center_warnings(center) == [
        "queues.a.overflow: overflow loop a -> b -> c -> a",
        "menus.lost: no number or other menu leads to this menu",
        "numbers: no numbers are defined, so no inbound call reaches the center",
    ]


def test_center_without_agents_warns_for_each_queue():
    center = Center.model_validate({"queues": {"q": {}}, "numbers": {"1": "queue:q"}})
    assert center_warnings(center) == [
        "queues.q.skills: there are no agents, so no call in this queue can be answered"
    ]


def test_strategy_enum_still_parses_every_declared_strategy():
    """Every strategy the engine offers can be named in a center file."""
    assert {s.value for s in Strategy} >= {"longest-idle", "ring-all"}
