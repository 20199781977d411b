"""The layers hold, read from the package's own imports: every room is placed, none imports a
room of a higher layer, no two modules import each other in a circle, and the rules of
docs/architecture.md that name a room stand."""

from __future__ import annotations

from tests.architecture import circles, imports, room_arrows, room_of, unplaced, upward


def test_every_room_has_a_layer() -> None:
    assert unplaced() == []


def test_no_room_imports_a_higher_one() -> None:
    assert upward() == []


def test_no_circles_between_rooms_or_between_modules() -> None:
    assert circles(room_arrows()) == []
    assert circles({module: set(targets) for module, targets in imports().items()}) == []


def test_side_by_side_rooms_do_not_import_each_other() -> None:
    arrows = room_arrows()
    for left, right in (("credentials", "contract"), ("podio", "platform")):
        assert right not in arrows[left] and left not in arrows[right]


def test_actions_and_triggers_never_need_the_runtime_extra() -> None:
    for module, targets in imports().items():
        if room_of(module) in ("actions", "triggers", "platform"):
            assert not {room_of(t) for t in targets} & {"runtime", "emulator", "signin"}, module


def test_items_speak_only_podio() -> None:
    """items/ takes a Podio client, never a cfg or a message: it stands below credentials/,
    contract/ and forms/, and imports none of them."""
    assert not room_arrows()["items"] & {"credentials", "contract", "forms", "settings.py"}
