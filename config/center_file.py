"""Load a center file (TOML) into a `Center`, reporting every problem at once.

Every message names the file and the dotted key path, e.g.
`center.toml: queues.sales.overflow: unknown queue 'salse'`, so a person can fix the whole file in
one pass. The format itself is described in `config/CENTER_FILE.md`; the shipped sample
`config/samples/center.toml` shows every key with a comment.
"""

from __future__ import annotations

import copy
import re
import tomllib
import zoneinfo
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from config.center import DESTINATION_FORMS, Center, Destination

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_NUMBER = re.compile(r"^\+?[0-9]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TOML_POSITION = re.compile(
    r"^(?P<what>.*) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)
_DESTINATION_KINDS = ("queue", "menu", "voicemail", "hangup", "callback")
# Validation rounds: each can uncover checks that earlier errors kept from running.
_MAX_ROUNDS = 4
# Sections whose loss would turn every reference to them into a false "unknown ..." error.
_REFERENCED_SECTIONS = ("skills", "queues", "menus")
# Stand-ins for required menu keys, so the rest of a broken file can still be cross-checked.
_MENU_STAND_IN = {"prompt": "", "default": "hangup"}
_REF_LOCS = [(section,) for section in _REFERENCED_SECTIONS]
_ENTRY_STAND_INS: dict[str, Any] = {"queues": {}, "menus": _MENU_STAND_IN, "skills": ""}


class CenterFileError(Exception):
    """A center file cannot be used; `messages` lists every problem as 'file: key.path: what'."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages))


def sample_center_path() -> Path:
    """The documented sample center shipped with Hotline."""
    return Path(__file__).with_name("samples") / "center.toml"


def load_center(path: Path) -> Center:
    """Parse, validate and cross-check a center file; `CenterFileError` lists every problem."""
    data = _read_toml(path)
    _holidays_as_text(data)
    center, problems = _validate(data)
    if center is not None:
        problems += _cross_problems(center)
    if problems or center is None:
        problems.sort(key=lambda problem: _file_order(data, problem[0]))
        raise CenterFileError([_format(path.name, loc, text) for loc, text in problems])
    return center


def check_center(center: Center, filename: str) -> list[str]:
    """Cross-reference errors in a center that is valid key by key (empty when it is usable)."""
    return [_format(filename, loc, text) for loc, text in _cross_problems(center)]


def center_warnings(center: Center, filename: str | None = None) -> list[str]:
    """Non-fatal findings: the center loads, but some calls may never reach an agent."""
    problems = [*_unstaffed_queues(center), *_overflow_loops(center), *_unreachable_menus(center)]
    if not center.numbers:
        no_numbers = "no numbers are defined, so no inbound call reaches the center"
        problems.append((("numbers",), no_numbers))
    if filename is None:
        return [f"{key_path(loc)}: {text}" for loc, text in problems]
    return [_format(filename, loc, text) for loc, text in problems]


def key_path(loc: Loc) -> str:
    """A pydantic location as a TOML dotted key: `queues.sales.overflow`, `hours.holidays[1]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            key = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
            text += f".{key}" if text else key
    return text


def _format(filename: str, loc: Loc, text: str) -> str:
    return f"{filename}: {key_path(loc)}: {text}" if loc else f"{filename}: {text}"


# --- reading -------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML table, or `CenterFileError` with the file (and line, column) at fault."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CenterFileError([f"{path.name}: cannot read {path}: {exc.strerror}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8")) + 1  # valid up to the error
        where = f"line {line}, column {column}"
        raise CenterFileError([f"{path.name}: {where}: not UTF-8 text; save it as UTF-8"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CenterFileError([_syntax_message(path.name, str(exc), text)]) from None


def _syntax_message(filename: str, error: str, text: str) -> str:
    """'center.toml: line 3, column 5: invalid TOML: ...'; 'end of document' becomes a position."""
    match = _TOML_POSITION.match(error)
    if not match:
        return f"{filename}: invalid TOML: {error}"
    if match["line"]:
        line, column = int(match["line"]), int(match["col"])
    else:
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return f"{filename}: line {line}, column {column}: invalid TOML: {match['what']}"


def _holidays_as_text(data: dict[str, Any]) -> None:
    """Accept TOML dates (`2025-10-01` unquoted) for holidays as well as quoted text."""
    hours = data.get("hours")
    if isinstance(hours, dict) and isinstance(hours.get("holidays"), list):
        hours["holidays"] = [d.isoformat() if isinstance(d, date) else d for d in hours["holidays"]]


def _readable(err: ErrorDetails) -> str:
    """A pydantic error in the words of someone editing a TOML file."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx", {})
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "missing required key"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "enum":
        return f"{_show(value)} is not valid; expected {ctx['expected']}"
    if kind == "model_type" and ctx.get("class_name") == "Destination":
        return f"must be a destination ({DESTINATION_FORMS}), got {_show(value)}"
    if kind == "string_pattern_mismatch" and err["loc"][-1] == "extension":
        return f"must be 2 to 8 digits, got {_show(value)}"
    text = err["msg"].replace("Input should be", "must be").replace("String should", "must")
    text = re.sub(r"a valid dictionary( or instance of \w+)?", "a table", text)
    return f"{text.replace('a valid list', 'an array')}, got {_show(value)}"


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return str(value).lower()
    return f"'{value}'" if isinstance(value, str) else str(value)


# --- keeping going after a key-level error -------------------------------------------------------


def _validate(data: dict[str, Any]) -> tuple[Center | None, list[Problem]]:
    """Validate key by key; after errors, repair and validate again to find the errors hidden
    behind them (pydantic skips a table's own checks once a value inside it failed).

    Returns the center (with faulty values removed or stood in for, when there were errors, so
    cross-references can still be checked) or None, and the problems found.
    """
    problems: list[Problem] = []
    for _ in range(_MAX_ROUNDS):
        try:
            return Center.model_validate(data), problems
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        new = [(err["loc"], _readable(err)) for err in errors]
        new = [problem for problem in new if problem not in problems]
        problems += new
        if not new or any(len(err["loc"]) < 2 and err["loc"][:1] in _REF_LOCS for err in errors):
            break  # no progress, or a whole section is unusable: cross-checks would be noise
        data = copy.deepcopy(data)
        for err in errors:
            _repair(data, err)
    return None, problems


def _file_order(data: dict[str, Any], loc: Loc) -> tuple[int, int]:
    """Sort key putting problems in file order by section, then by entry (the sort is stable)."""
    sections = list(data)
    section = sections.index(loc[0]) if loc and loc[0] in sections else len(sections)
    entries = data.get(str(loc[0])) if loc else None
    if len(loc) < 2 or not isinstance(entries, dict) or loc[1] not in entries:
        return section, -1
    return section, list(entries).index(loc[1])


def _repair(data: dict[str, Any], err: ErrorDetails) -> None:
    loc = err["loc"]
    first_index = next((i for i, part in enumerate(loc) if isinstance(part, int)), len(loc))
    loc = loc[:first_index]  # an error inside an array drops the whole array
    section, key = str(loc[0]), str(loc[-1])
    if section == "agents":
        _delete(data, loc[:2])  # nothing refers to an agent by name, so it can simply go
    elif section == "menus" and len(loc) == 3 and key in _MENU_STAND_IN:
        _entry(data, loc[:2])[key] = _MENU_STAND_IN[key]
    elif len(loc) == 2 and section in _ENTRY_STAND_INS:
        _entry(data, loc[:1])[key] = copy.deepcopy(_ENTRY_STAND_INS[section])
    else:
        _delete(data, loc)


def _entry(data: dict[str, Any], loc: Loc) -> dict[str, Any]:
    node: Any = data
    for part in loc:
        node = node[part]
    return node  # type: ignore[no-any-return]


def _delete(data: dict[str, Any], loc: Loc) -> None:
    node: Any = data
    for part in loc[:-1]:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict):
        node.pop(loc[-1], None)


# --- cross-reference checks ----------------------------------------------------------------------


def _cross_problems(center: Center) -> list[Problem]:
    checks = [_check_info, _check_names, _check_skills, _check_queues, _check_agents]
    checks += [_check_destinations, _check_numbers, _check_holidays]
    return [problem for check in checks for problem in check(center)]


def _check_info(center: Center) -> Iterator[Problem]:
    zone, region = center.center.timezone, center.center.default_region
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        hint = "use an IANA name like 'Asia/Shanghai'"
        yield ("center", "timezone"), f"unknown time zone '{zone}'; {hint}"
    if region not in phonenumbers.SUPPORTED_REGIONS:
        yield ("center", "default_region"), f"unknown phone region '{region}'; use a code like 'CN'"


def _check_names(center: Center) -> Iterator[Problem]:
    for section, names in (("queues", center.queues), ("menus", center.menus)):
        for name in names:
            if not _NAME.match(name):
                yield (section, name), "name may use only letters, digits, '_', '.' and '-'"


def _check_skills(center: Center) -> Iterator[Problem]:
    owners = [("queues", n, q.skills) for n, q in center.queues.items()]
    owners += [("agents", n, a.skills) for n, a in center.agents.items()]
    for section, name, skills in owners:
        for skill in skills:
            if skill not in center.skills:
                yield (section, name, "skills", skill), f"unknown skill '{skill}'"


def _check_queues(center: Center) -> Iterator[Problem]:
    for name, queue in center.queues.items():
        if queue.overflow.kind == "queue" and queue.overflow.name == name:
            yield ("queues", name, "overflow"), "a queue may not overflow to itself"


def _check_agents(center: Center) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for name, agent in center.agents.items():
        if agent.extension in seen:
            owner = key_path(("agents", seen[agent.extension]))
            yield ("agents", name, "extension"), f"extension '{agent.extension}' is also {owner}'s"
        seen.setdefault(agent.extension, name)


def _destinations(center: Center) -> Iterator[tuple[Loc, Destination]]:
    """Every place a center file names a destination, with its key path."""
    for name, queue in center.queues.items():
        yield ("queues", name, "overflow"), queue.overflow
    for name, menu in center.menus.items():
        for key, dest in menu.options.items():
            yield ("menus", name, "options", key), dest
        yield ("menus", name, "default"), menu.default
    for number, dest in center.numbers.items():
        yield ("numbers", number), dest
    yield ("hours", "after_hours"), center.hours.after_hours


def _check_destinations(center: Center) -> Iterator[Problem]:
    known: dict[str, Mapping[str, object]] = {"queue": center.queues, "menu": center.menus}
    for loc, dest in _destinations(center):
        if dest.kind not in _DESTINATION_KINDS:
            yield loc, f"'{dest}' is not a destination; expected {DESTINATION_FORMS}"
        elif dest.kind in known and dest.name not in known[dest.kind]:
            yield loc, f"unknown {dest.kind} '{dest.name}'"
        elif dest.kind == "callback" and loc[0] != "queues":
            yield loc, "'callback' is only a queue overflow: the caller must have a place in line"


def _check_numbers(center: Center) -> Iterator[Problem]:
    for number in center.numbers:
        if not _NUMBER.match(number):
            hint = "digits only, optionally a leading +"
            yield ("numbers", number), f"'{number}' is not a phone number: {hint}"


def _check_holidays(center: Center) -> Iterator[Problem]:
    for index, day in enumerate(center.hours.holidays):
        if not _is_iso_date(day):
            yield ("hours", "holidays", index), f"'{day}' is not a date like '2025-10-01'"


def _is_iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


# --- warnings ------------------------------------------------------------------------------------


def _unstaffed_queues(center: Center) -> Iterator[Problem]:
    for name, queue in center.queues.items():
        staffed = any(
            all(agent.skills.get(skill, 0) >= level for skill, level in queue.skills.items())
            for agent in center.agents.values()
        )
        if not staffed:
            needs = ", ".join(f"{skill}>={level}" for skill, level in queue.skills.items())
            who = f"no agent has {needs}" if needs else "there are no agents"
            yield ("queues", name, "skills"), f"{who}, so no call in this queue can be answered"


def _overflow_loops(center: Center) -> Iterator[Problem]:
    reported: set[str] = set()
    for start in center.queues:
        path, current = [start], center.queues[start].overflow
        while current.kind == "queue" and current.name in center.queues:
            if current.name in path:
                loop = path[path.index(current.name) :]
                if not reported & set(loop):
                    reported.update(loop)
                    shown = " -> ".join([*loop, current.name])
                    yield ("queues", loop[0], "overflow"), f"overflow loop {shown}"
                break
            path.append(current.name)
            current = center.queues[current.name].overflow


def _unreachable_menus(center: Center) -> Iterator[Problem]:
    reached = {
        dest.name
        for loc, dest in _destinations(center)
        if dest.kind == "menu" and loc[:2] != ("menus", dest.name)  # a menu repeating itself
    }
    for name in center.menus:
        if name not in reached:
            yield ("menus", name), "no number or other menu leads to this menu"
