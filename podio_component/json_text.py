"""JSON text of what the component emits. The standard library writes it; a message that holds
an exact decimal (a Podio number with more digits than a float keeps: items.fields.number) is
written by simplejson, which writes a Decimal as the exact JSON number it is."""

from __future__ import annotations

import json
from typing import Any

import simplejson


def dumps(value: Any, **options: Any) -> str:
    try:
        return json.dumps(value, **options)
    except TypeError:  # a Decimal (or something JSON cannot hold: simplejson says so too)
        return str(simplejson.dumps(value, use_decimal=True, **options))
