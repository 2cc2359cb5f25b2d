"""IVR menus: what to play, and what a caller's keys lead to. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from acd.commands import CollectDigits, Command, PlayPrompt
from config.center import Destination, MenuDef


@dataclass(frozen=True, slots=True)
class Retry:
    """Ask the menu again, after `prefix` (the invalid-choice prompt, or nothing on silence)."""

    prefix: str


def ask(menu: MenuDef, call_id: str, *, prefix: str = "") -> list[Command]:
    """Commands that play the menu (after an optional prefix prompt) and collect one key."""
    commands: list[Command] = []
    if prefix:
        commands.append(PlayPrompt(call_id=call_id, prompt=prefix))
    commands.append(
        CollectDigits(call_id=call_id, prompt=menu.prompt, max_digits=1, timeout_s=menu.timeout_s)
    )
    return commands


def choose(menu: MenuDef, digits: str, tries: int) -> Destination | Retry:
    """Where the keys lead; a retry while tries remain; the menu's default after that."""
    choice = menu.options.get(digits)
    if choice is not None:
        return choice
    if tries < menu.retries:
        return Retry(menu.invalid_prompt if digits else "")
    return menu.default
