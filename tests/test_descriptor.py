"""component.json: the platform's dialect, the names the contract fixes, loadable actions."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import re
from typing import Any

import pytest
from jsonschema import Draft3Validator

import podio_component
from podio_component.contract import descriptor
from podio_component.contract.object_types import DELETE_TYPES, LOOKUP_TYPES, PATHS

# elastic.io metadata puts `required: true` on each property, which is JSON Schema draft 3.
COMPONENT = descriptor.load()
ACTIONS = COMPONENT["actions"]
VIEW_CLASSES = {
    "TextFieldView",
    "TextAreaView",
    "CheckBoxView",
    "SelectView",
    "MultiSelectView",
    "PasswordFieldView",
    "OAuthFieldView",
    "HTTPAuthView",
    "CodeFieldView",
    "TextFieldWithNoteView",
}


def test_version_equals_the_package_version() -> None:
    assert COMPONENT["version"] == podio_component.__version__
    assert COMPONENT["version"] == importlib.metadata.version("podio-component")


def test_top_level_keys() -> None:
    assert COMPONENT["title"] and COMPONENT["description"]
    assert COMPONENT["authClientTypes"] == ["oauth2"]


def test_credential_fields_state_their_real_defaults() -> None:
    fields = COMPONENT["credentials"]["fields"]
    assert fields["oauth"] == {**fields["oauth"], "viewClass": "HTTPAuthView", "required": True}
    assert fields["retries"]["placeholder"] == "5"
    assert fields["retriesDelay"]["placeholder"] == "10000"
    assert "default 5" in fields["retries"]["help"]["description"]
    assert "0 means one attempt only" in fields["retries"]["note"]
    assert "default 10000" in fields["retriesDelay"]["help"]["description"]
    for field in fields.values():
        assert field["viewClass"] in VIEW_CLASSES
        assert field["label"]


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_is_valid_and_its_main_exposes_process(name: str) -> None:
    assert re.fullmatch(r"[A-Za-z]+\w*", name)
    action = ACTIONS[name]
    assert action["title"] and action["description"] and action["help"]["description"]
    module = importlib.import_module(action["main"])
    assert list(inspect.signature(module.process).parameters) == ["msg", "cfg", "snapshot"]
    if action.get("dynamicMetadata"):  # the platform asks getMetaModel; no static metadata
        assert "metadata" not in action and callable(module.getMetaModel)
        return
    for side in ("in", "out"):
        Draft3Validator.check_schema(action["metadata"][side])


def test_make_raw_request_metadata_titles() -> None:
    action = ACTIONS["makeRawRequest"]
    assert action["title"] == "Make Raw Request"
    assert action["main"] == "podio_component.actions.make_raw_request"
    props_in = action["metadata"]["in"]["properties"]
    assert {k: v["title"] for k, v in props_in.items()} == {
        "method": "Method",
        "url": "URL",
        "data": "Request Body",
        "params": "Query Parameters",
        "headers": "Request Headers",
        "returnHttpErrors": "Return HTTP errors as output",
        "multipart": "Multipart parts (upload)",
        "responseAs": "Response as",
    }
    assert props_in["method"]["required"] is True and props_in["url"]["required"] is True
    props_out = action["metadata"]["out"]["properties"]
    assert props_out["statusCode"]["title"] == "Status Code"
    assert props_out["headers"]["title"] == "HTTP headers"
    assert props_out["responseBody"]["title"] == "Response Body"


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"method": "GET", "url": "/user/status"}, True),
        ({"method": "POST", "url": "/item/app/1/", "data": {"fields": {"title": "x"}}}, True),
        ({"method": "PUT", "url": "/item/1", "data": [1]}, True),
        ({"url": "/user/status"}, False),
        ({"method": "PATCH", "url": "/x"}, False),
        ({"method": "GET"}, False),
    ],
)
def test_example_messages_against_the_in_schema(body: dict[str, Any], valid: bool) -> None:
    validator = Draft3Validator(ACTIONS["makeRawRequest"]["metadata"]["in"])
    assert validator.is_valid(body) is valid


@pytest.mark.parametrize(
    ("name", "types"), [("lookupObjectById", LOOKUP_TYPES), ("deleteObjectById", DELETE_TYPES)]
)
def test_by_id_actions_offer_exactly_the_supported_object_types(
    name: str, types: frozenset[str]
) -> None:
    action = ACTIONS[name]
    select = action["fields"]["objectType"]
    assert select["viewClass"] == "SelectView"
    assert select["required"] is True
    assert set(select["model"]) == types
    assert types <= set(PATHS)
    assert all(label.strip() for label in select["model"].values())
    assert {"item", "app", "task", "comment", "file"} <= set(select["model"])
    id_field = action["metadata"]["in"]["properties"]["id"]
    assert (id_field["title"], id_field["required"]) == ("Object ID", True)
    for field in action["fields"].values():
        assert field["viewClass"] in VIEW_CLASSES


def test_lookup_has_the_allow_zero_results_checkbox() -> None:
    field = ACTIONS["lookupObjectById"]["fields"]["allowZeroResults"]
    assert field["viewClass"] == "CheckBoxView"


def test_options_that_default_to_yes_can_be_turned_off() -> None:
    """A checkbox left unticked is absent from cfg, so "absent means yes" could never say
    no: such options are Yes/No selects, blank meaning the default."""
    for name in ("createItem", "updateItem", "upsertItem"):
        hook = ACTIONS[name]["fields"]["hook"]
        assert hook["viewClass"] == "SelectView" and set(hook["model"]) == {"yes", "no"}
