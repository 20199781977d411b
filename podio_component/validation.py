"""Input validation: pydantic models turned into one clear InputError, and shared field rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from podio_component.errors import InputError

Model = TypeVar("Model", bound=BaseModel)

_PROBLEMS = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
}
_YES = frozenset({"true", "on"})
_NO = frozenset({"false", "off", ""})
_DIGITS = re.compile(r"[0-9]+")


def parse(model: type[Model], data: Mapping[str, Any]) -> Model:
    """Validate data into model; pydantic's report becomes one InputError naming the field.

    Field validators raise InputError themselves, in the component's own wording; what is
    left here is pydantic's structural checks (missing, unknown or mistyped fields).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "input"
        raise InputError(field, _PROBLEMS.get(first["type"], first["msg"])) from None


def yes_no(value: object, field: str) -> bool:
    """One rule for checkboxes and boolean inputs.

    True for true, "true" and "on" (a checked CheckBoxView); false for false, "false", "off",
    "" and null or absent; case and surrounding spaces are ignored. Anything else is refused.
    """
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise InputError(field, 'expected true or false ("on"/"off" for a checkbox)', given=value)


def choice(field: str, value: object, choices: Sequence[str], default: str) -> str:
    """An optional select: blank or absent means the default; anything else must be one of
    the choices, which the refusal names."""
    given = given_text(value)
    if given is None:
        return default
    if given not in choices:
        raise InputError(field, f"expected one of {', '.join(choices)}", given=value)
    return str(given)


def given_text(value: object) -> object:
    """An optional text field with blanks meaning "not given": "" and "  " become None.

    The platform sends an untouched optional text field as "" (or leaves it out).
    """
    if isinstance(value, str):
        return value.strip() or None
    return value


def whole_number(field: str, value: object, lowest: int, highest: int) -> int:
    """A whole number given as plain decimal digits or a JSON integer, within bounds."""
    expected = f"expected a whole number from {lowest} to {highest}"
    number: int | None = None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not lowest <= number <= highest:
        raise InputError(field, expected, given=value)
    return number


def whole_number_or(default: int, field: str, value: object, lowest: int, highest: int) -> int:
    """An optional whole-number field: blank or absent means `default`."""
    given = given_text(value)
    return default if given is None else whole_number(field, given, lowest, highest)
