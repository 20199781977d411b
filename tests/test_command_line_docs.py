"""docs/configuration.md lists every command and option of `podio-component`, as the parser
itself knows them."""

from __future__ import annotations

import argparse

from podio_component.cli import parser
from tests.helpers import ROOT

SECTION = (
    (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8").split("## Command line", 1)[1]
)


def commands(root: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every command the parser takes ("credentials list" included), with its parser."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in root._actions:  # argparse keeps its subparsers here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix}{name}"] = sub
                found |= commands(sub, f"{prefix}{name} ")
    return found


def test_every_command_is_listed() -> None:
    for name in commands(parser()):
        assert f"`{name}" in SECTION, name


def test_every_option_is_listed() -> None:
    for name, command in commands(parser()).items():
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in SECTION, f"{name} {option}"
    assert "`podio-component --version`" in SECTION
