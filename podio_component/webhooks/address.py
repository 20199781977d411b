"""Where a flow's hooks point, and the secret that proves a delivery came through them.

Podio signs nothing, so the hook URL carries a secret in its query string (Podio moves it
into the body of each delivery). The secret is derived, not stored: an HMAC of the flow's id
under a key only the flow's containers hold (`PODIO_HOOK_KEY`, else the platform's
`ELASTICIO_API_KEY`). Every container and every restart of the flow computes the same one
at once, without a call and without the snapshot, which a user can reset and which is kept
unencrypted; a flow whose key changed gets a new secret, and its startup replaces the hooks.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

from podio_component.errors import PodioComponentError
from podio_component.redaction import register_secret
from podio_component.settings import environment

SECRET_PARAM = "flow_secret"  # noqa: S105 (the name of the query parameter)
_PURPOSE = b"podio-component item hooks of flow "


class FlowAddressError(PodioComponentError):
    """The flow's webhook address or key is not known."""


class FlowAddress(NamedTuple):
    uri: str  # the flow's webhook URI (ELASTICIO_FLOW_WEBHOOK_URI)
    secret: str

    @property
    def hook_url(self) -> str:
        """The URL given to Podio: the flow's URI with the secret in its query."""
        joiner = "&" if urlsplit(self.uri).query else "?"
        return f"{self.uri}{joiner}{urlencode({SECRET_PARAM: self.secret})}"


def derive_secret(key: str, flow_id: str) -> str:
    secret = hmac.new(key.encode(), _PURPOSE + flow_id.encode(), hashlib.sha256).hexdigest()[:32]
    register_secret(secret)
    return secret


def flow_address() -> FlowAddress:
    """This flow's address and secret, from the environment the platform (or `listen`) sets."""
    env = environment()
    if not env.flow_webhook_uri:
        raise FlowAddressError(
            "ELASTICIO_FLOW_WEBHOOK_URI is not set: the platform sets it for a flow that "
            "starts with a webhook trigger (on a laptop, `podio-component listen` sets it)"
        )
    key = env.hook_key or env.platform_api_key
    if not env.flow_id or not key:
        raise FlowAddressError(
            "ELASTICIO_FLOW_ID and ELASTICIO_API_KEY (or PODIO_HOOK_KEY) must be set: the "
            "hook secret is derived from them"
        )
    return FlowAddress(env.flow_webhook_uri, derive_secret(key, env.flow_id))


def same_target(url: str, uri: str) -> bool:
    """Whether a hook's URL points at the flow's URI: the same scheme, host (and port) and
    path, whatever the query."""
    one, other = urlsplit(url), urlsplit(uri)
    return (
        one.scheme.lower() == other.scheme.lower()
        and one.netloc.lower() == other.netloc.lower()
        and one.path.rstrip("/") == other.path.rstrip("/")
    )


def carries_secret(url: str, secret: str) -> bool:
    """Whether a hook's URL carries this secret (a hook made under another key does not)."""
    given = dict(parse_qsl(urlsplit(url).query)).get(SECRET_PARAM, "")
    return hmac.compare_digest(given.encode(), secret.encode())
