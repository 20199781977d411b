"""connect(): the Podio client for one message, from the credential its cfg names.

Three token sources, in this order of precedence: the platform Secrets API (`cfg.secretId`),
a credential in the local store (`cfg.credential`; never on the platform) and an inline
token (`cfg.oauth.access_token`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from podio_component.context import Context, current
from podio_component.credentials.cache import (
    Credential,
    CredentialKey,
    CredentialTokens,
    cached,
    fingerprint,
)
from podio_component.credentials.inline import InlineToken
from podio_component.credentials.names import checked_name
from podio_component.credentials.platform_secret import PlatformSecret
from podio_component.deadline import Cooldown, Deadline
from podio_component.errors import CredentialsError, InputError
from podio_component.extras import require
from podio_component.http import Timeouts, new_session
from podio_component.podio.client import PodioClient
from podio_component.podio.retry_policy import RetryPolicy
from podio_component.settings import Environment, RetrySettings, environment
from podio_component.validation import given_text, parse

RETRY_FIELDS = ("retries", "retriesDelay")
Maker = Callable[[], CredentialTokens]


def connect(cfg: object, deadline: Deadline | None = None) -> PodioClient:
    """The Podio client for one message: cfg's credential, its retry settings, the
    message's deadline (a new one unless given) and the host context bound for it.

    For a platform secret this reads the secret on the credential's first use, since the
    secret holds the retry settings; a bad setting fails here, before Podio is called.
    """
    env = environment()
    host = current()
    if not isinstance(cfg, Mapping):
        raise InputError("cfg", "expected an object")
    deadline = deadline or Deadline(env.deadline, clock=host.clock)
    key, credential = credential_for(cfg, env, host)
    fields = {name: cfg[name] for name in RETRY_FIELDS if name in cfg}
    fields.update(credential.tokens.stored_fields(deadline, host))  # a secret's fields win
    return PodioClient(
        key,
        credential.session,
        credential.tokens,
        credential.cooldown,
        env.api_url,
        Timeouts(env.connect_timeout, env.read_timeout),
        retry_policy_for(fields, env),
        deadline,
        host,
    )


def credential_for(
    cfg: Mapping[str, Any], env: Environment, host: Context
) -> tuple[CredentialKey, Credential]:
    """The shared credential that cfg names, and the key it is kept under."""
    key, make_tokens = _token_source(cfg, env, host.on_platform)
    return key, cached(
        key, lambda: Credential(make_tokens(), new_session(env.api_url), Cooldown(host.clock))
    )


def _token_source(
    cfg: Mapping[str, Any], env: Environment, on_platform: bool
) -> tuple[CredentialKey, Maker]:
    secret_id = given_text(cfg.get("secretId"))
    if secret_id is not None:
        if not isinstance(secret_id, str):
            raise InputError("cfg.secretId", "expected a string", secret_id)
        key: CredentialKey = (
            "secret",
            env.platform_api_uri or "",
            env.workspace_id or "",
            env.platform_username or "",
            fingerprint(env.platform_api_key or ""),
            secret_id,
        )
        return key, lambda: PlatformSecret(secret_id, env)
    name = given_text(cfg.get("credential"))
    if name is not None:
        if on_platform:
            raise CredentialsError(
                "cfg.credential names a credential in a local store, which the platform "
                "runtime never reads; select a platform credential (secretId) for this step"
            )
        return _stored(name, env)
    oauth = cfg.get("oauth")
    if oauth is not None and not isinstance(oauth, Mapping):
        raise InputError("cfg.oauth", "expected an object holding access_token")
    raw_token = oauth.get("access_token") if oauth is not None else None
    if not isinstance(raw_token, str) or not raw_token.strip():
        raise CredentialsError(
            "no credential: cfg has no secretId, credential or oauth.access_token; "
            "select a Podio credential for this step"
        )
    assert oauth is not None
    return ("inline", fingerprint(raw_token.strip())), lambda: InlineToken(oauth, env)


def _stored(name: object, env: Environment) -> tuple[CredentialKey, Maker]:
    checked = checked_name(name, "cfg.credential")
    require("signin", "cfg.credential (a credential in the local store)")
    # Imported on use: the store needs filelock and platformdirs, which nothing else does.
    from podio_component.credentials.store import CredentialStore
    from podio_component.credentials.stored import StoredToken

    store = CredentialStore.from_environment(env)
    key = ("stored", str(store.directory), env.api_url, checked)
    return key, lambda: StoredToken(store, checked, env)


@lru_cache(maxsize=256)
def _policy(retries: int, delay_ms: int, max_wait: float) -> RetryPolicy:
    return RetryPolicy(retries, delay_ms / 1000, max_wait)


def retry_policy_for(fields: Mapping[str, Any], env: Environment) -> RetryPolicy:
    """The policy for a credential's retry fields; one object per distinct setting."""
    settings = parse(RetrySettings, fields)
    return _policy(settings.retries, settings.retries_delay_ms, env.max_retry_wait)
