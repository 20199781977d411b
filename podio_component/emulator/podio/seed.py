"""The shape of a seed file: what the emulator reads from each table, checked up front, so
a wrong seed is one clear error instead of a traceback from deep inside a request."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class Client(_Row):
    client_id: str
    client_secret: str


class User(_Row):
    user_id: int
    profile_id: int
    mail: str
    password: str
    name: str


class Org(_Row):
    org_id: int
    name: str
    url_label: str


class Space(_Row):
    space_id: int
    org_id: int
    name: str
    url_label: str


class Option(_Row):
    id: int
    text: str


class AppField(_Row):
    field_id: int
    external_id: str | None = None  # Podio allows a field without one
    type: str
    label: str
    options: list[Option] = []


class App(_Row):
    app_id: int
    space_id: int
    name: str
    item_name: str
    app_token: str
    fields: list[AppField]


class Item(_Row):
    item_id: int
    app_id: int
    created_by: int
    fields: dict[str, Any] = {}


class File(_Row):
    file_id: int
    name: str
    mimetype: str


class Seed(_Row):
    clients: list[Client] = Field(min_length=1)
    users: list[User] = Field(min_length=1)
    orgs: list[Org] = []
    spaces: list[Space] = []
    apps: list[App] = []
    items: list[Item] = []
    files: list[File] = []


def check_seed(seed: object) -> None:
    """ValueError naming the first thing wrong with a seed, by its place in the file."""
    try:
        parsed = Seed.model_validate(seed)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the seed"
        raise ValueError(f"{where}: {error['msg']}") from None
    known = {
        "org": {o.org_id for o in parsed.orgs},
        "space": {s.space_id for s in parsed.spaces},
        "app": {a.app_id for a in parsed.apps},
    }
    references = [
        *((f"spaces.{i}.org_id", "org", s.org_id) for i, s in enumerate(parsed.spaces)),
        *((f"apps.{i}.space_id", "space", a.space_id) for i, a in enumerate(parsed.apps)),
        *((f"items.{i}.app_id", "app", t.app_id) for i, t in enumerate(parsed.items)),
    ]
    for where, table, key in references:
        if key not in known[table]:
            raise ValueError(f"{where}: no {table} with id {key} in the seed")
