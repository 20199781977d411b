"""The runtime's settings: the platform's ELASTICIO_* environment, read once at start.

Names, defaults and the boolean rule follow the Node.js runtime (sailor-nodejs
lib/settings.js). Unlike it, a malformed number is an error rather than a silent default,
and every missing or malformed variable is reported at once. Kept free of pydantic: this
runs before the runtime starts consuming, and start-up time is measured.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from podio_component.errors import PodioComponentError
from podio_component.redaction import register_secret

PREFIX = "ELASTICIO_"
MANDATORY = (
    "FLOW_ID",
    "EXEC_ID",
    "STEP_ID",
    "CONTAINER_ID",
    "WORKSPACE_ID",
    "USER_ID",
    "COMP_ID",
    "FUNCTION",
    "API_URI",
    "API_USERNAME",
    "API_KEY",
)
# Mandatory unless HOOK_SHUTDOWN: a shutdown container never touches RabbitMQ.
MESSAGING = (
    "AMQP_URI",
    "LISTEN_MESSAGES_ON",
    "PUBLISH_MESSAGES_TO",
    "DATA_ROUTING_KEY",
    "ERROR_ROUTING_KEY",
    "REBOUND_ROUTING_KEY",
    "SNAPSHOT_ROUTING_KEY",
    "MESSAGE_CRYPTO_IV",
    "MESSAGE_CRYPTO_PASSWORD",
)
# Settings for features this runtime does not have: refused at start, never ignored.
UNSUPPORTED = {"EMIT_LIGHTWEIGHT_MESSAGE": "lightweight messages (object storage)"}


class SettingsError(PodioComponentError):
    """The environment the platform gave is missing something or malformed."""


class SailorSettings(NamedTuple):
    flow_id: str
    exec_id: str
    step_id: str
    container_id: str
    workspace_id: str
    user_id: str
    comp_id: str
    function: str
    api_uri: str
    api_username: str
    api_key: str
    amqp_uri: str
    listen_messages_on: str
    publish_messages_to: str
    data_routing_key: str
    error_routing_key: str
    rebound_routing_key: str
    snapshot_routing_key: str
    message_crypto_iv: str
    message_crypto_password: str
    component_path: str
    prefetch: int
    worker_threads: int
    rebound_initial_expiration: int  # ms
    rebound_limit: int
    api_request_retry_attempts: int
    api_request_retry_delay: int  # ms
    data_rate_limit: int
    error_rate_limit: int
    snapshot_rate_limit: int
    rate_interval: int  # ms
    amqp_publish_retry_delay: int  # ms
    amqp_publish_retry_attempts: float  # infinite by default
    amqp_publish_max_retry_delay: int  # ms
    amqp_persistent_messages: bool
    outgoing_message_size_limit: int
    no_self_passthrough: bool
    protocol_version: int
    no_error_replies: bool
    amqp_reconnect_attempts: int
    amqp_reconnect_timeout: int  # ms
    shutdown_timeout: float  # seconds
    additional_headers: dict[str, str]
    pin_cpu: bool  # PODIO_PIN_CPU: one core when the prefetch is above 1
    startup_required: bool  # run the trigger's startup and keep its data (the flow starts)
    hook_shutdown: bool  # a shutdown container: the trigger's shutdown, then exit


# name: (default, lowest); numbers are whole, as the platform sends them
_NUMBERS: dict[str, tuple[float, int]] = {
    "RABBITMQ_PREFETCH_SAILOR": (1, 1),
    "REBOUND_INITIAL_EXPIRATION": (15_000, 1),
    "REBOUND_LIMIT": (20, 0),
    "API_REQUEST_RETRY_ATTEMPTS": (3, 0),
    "API_REQUEST_RETRY_DELAY": (100, 0),
    "DATA_RATE_LIMIT": (10, 1),
    "ERROR_RATE_LIMIT": (2, 1),
    "SNAPSHOT_RATE_LIMIT": (2, 1),
    "RATE_INTERVAL": (100, 1),
    "AMQP_PUBLISH_RETRY_DELAY": (100, 1),
    "AMQP_PUBLISH_RETRY_ATTEMPTS": (math.inf, 1),
    "AMQP_PUBLISH_MAX_RETRY_DELAY": (300_000, 1),
    "OUTGOING_MESSAGE_SIZE_LIMIT": (10_485_760, 1),
    "PROTOCOL_VERSION": (1, 1),
    "AMQP_RECONNECT_ATTEMPTS": (3, 0),
    "AMQP_RECONNECT_TIMEOUT": (100, 0),
}
_BOOLEANS = {
    "AMQP_PERSISTENT_MESSAGES": False,
    "NO_SELF_PASSTRHOUGH": False,  # spelled as the platform spells it
    "NO_ERROR_REPLIES": False,
    "STARTUP_REQUIRED": False,
    "HOOK_SHUTDOWN": False,
    **dict.fromkeys(UNSUPPORTED, False),
}
_DIGITS = re.compile(r"[0-9]+")
_WORD = re.compile(r"[A-Za-z0-9]+")


def camel_case(name: str) -> str:
    """FLOW_ID -> flowId, as the Node.js runtime names its additional headers."""
    words = [word.lower() for word in _WORD.findall(name)]
    return words[0] + "".join(word.capitalize() for word in words[1:]) if words else ""


def flag(value: str | None, default: bool) -> bool:
    """The platform's boolean rule: unset takes the default; "" or "false" is false."""
    if value is None:
        return default
    return value not in ("", "false")


def _amqp_problem(uri: str) -> str | None:
    """Why pika could not connect to uri, or None; the password is registered as a secret
    first, and the address itself is never echoed."""
    if not uri:
        return None  # reported as missing
    try:
        parts = urlsplit(uri)
        register_secret(parts.password)
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("amqp", "amqps"):
        return "the scheme must be amqp or amqps"
    if not parts.hostname:
        return "it names no host"
    import pika  # the runtime loads it next anyway

    try:
        pika.URLParameters(uri)
    except Exception as exc:  # pika raises ValueError, IndexError, TypeError alike
        return str(exc) or type(exc).__name__
    return None


def read(environ: Mapping[str, str] | None = None) -> SailorSettings:
    """The settings from the environment, or one SettingsError naming every problem."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def mandatory(name: str) -> str:
        return env.get(PREFIX + name) or ""

    hook_shutdown = flag(env.get(PREFIX + "HOOK_SHUTDOWN"), False)
    required = MANDATORY if hook_shutdown else MANDATORY + MESSAGING
    missing = [PREFIX + name for name in required if not mandatory(name)]
    if missing:
        problems.append(f"missing {', '.join(missing)}")

    numbers: dict[str, float] = {}
    for name, (default, lowest) in _NUMBERS.items():
        raw = env.get(PREFIX + name)
        if not raw:
            numbers[name] = default
        elif _DIGITS.fullmatch(raw.strip()) and int(raw) >= lowest:
            numbers[name] = int(raw)
        else:
            problems.append(
                f"{PREFIX}{name} must be a whole number of at least {lowest}, got {raw!r}"
            )
    flags = {name: flag(env.get(PREFIX + name), default) for name, default in _BOOLEANS.items()}
    for name, feature in UNSUPPORTED.items():
        if flags[name]:
            problems.append(
                f"{PREFIX}{name} asks for {feature}, which this runtime does not support"
            )
    if env.get(PREFIX + "INPUT_FORMAT", "default") not in ("", "default"):
        problems.append(
            f"{PREFIX}INPUT_FORMAT={env[PREFIX + 'INPUT_FORMAT']!r} is not supported "
            "(only the default input format is)"
        )
    amqp_problem = _amqp_problem(mandatory("AMQP_URI"))
    if amqp_problem:
        problems.append(
            f"{PREFIX}AMQP_URI must be an address such as amqp://USER:PASSWORD@HOST:5672/VHOST "
            f"({amqp_problem})"
        )
    api_uri = mandatory("API_URI")
    if api_uri and urlsplit(api_uri).scheme not in ("http", "https"):
        problems.append(f"{PREFIX}API_URI must be an http(s) URL, got {api_uri!r}")
    iv = mandatory("MESSAGE_CRYPTO_IV")
    if iv and len(iv.encode()) != 16:
        problems.append(f"{PREFIX}MESSAGE_CRYPTO_IV must be 16 bytes, got {len(iv.encode())}")
    pool = env.get(PREFIX + "CONSUMER_THREAD_POOL_SIZE")
    if pool and not (_DIGITS.fullmatch(pool.strip()) and int(pool) >= 1):
        problems.append(f"{PREFIX}CONSUMER_THREAD_POOL_SIZE must be a whole number of at least 1")
    shutdown = env.get("PODIO_SHUTDOWN_TIMEOUT", "30")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", shutdown.strip()):
        problems.append(f"PODIO_SHUTDOWN_TIMEOUT must be a number of seconds, got {shutdown!r}")
    if problems:
        raise SettingsError("the runtime's environment is not usable: " + "; ".join(problems))

    prefetch = int(numbers["RABBITMQ_PREFETCH_SAILOR"])
    additional = {
        camel_case(name.strip().removeprefix(PREFIX)): env[name.strip()]
        for name in env.get(PREFIX + "ADDITIONAL_VARS_FOR_HEADERS", "").split(",")
        if name.strip() and env.get(name.strip()) is not None
    }
    values = {name.lower(): mandatory(name) for name in MANDATORY + MESSAGING}
    return SailorSettings(
        **values,
        component_path=env.get(PREFIX + "COMPONENT_PATH", ""),
        prefetch=prefetch,
        worker_threads=int(pool) if pool else prefetch,
        rebound_initial_expiration=int(numbers["REBOUND_INITIAL_EXPIRATION"]),
        rebound_limit=int(numbers["REBOUND_LIMIT"]),
        api_request_retry_attempts=int(numbers["API_REQUEST_RETRY_ATTEMPTS"]),
        api_request_retry_delay=int(numbers["API_REQUEST_RETRY_DELAY"]),
        data_rate_limit=int(numbers["DATA_RATE_LIMIT"]),
        error_rate_limit=int(numbers["ERROR_RATE_LIMIT"]),
        snapshot_rate_limit=int(numbers["SNAPSHOT_RATE_LIMIT"]),
        rate_interval=int(numbers["RATE_INTERVAL"]),
        amqp_publish_retry_delay=int(numbers["AMQP_PUBLISH_RETRY_DELAY"]),
        amqp_publish_retry_attempts=numbers["AMQP_PUBLISH_RETRY_ATTEMPTS"],
        amqp_publish_max_retry_delay=int(numbers["AMQP_PUBLISH_MAX_RETRY_DELAY"]),
        amqp_persistent_messages=flags["AMQP_PERSISTENT_MESSAGES"],
        outgoing_message_size_limit=int(numbers["OUTGOING_MESSAGE_SIZE_LIMIT"]),
        no_self_passthrough=flags["NO_SELF_PASSTRHOUGH"],
        protocol_version=int(numbers["PROTOCOL_VERSION"]),
        no_error_replies=flags["NO_ERROR_REPLIES"],
        amqp_reconnect_attempts=int(numbers["AMQP_RECONNECT_ATTEMPTS"]),
        amqp_reconnect_timeout=int(numbers["AMQP_RECONNECT_TIMEOUT"]),
        shutdown_timeout=float(shutdown),
        additional_headers=additional,
        pin_cpu=flag(env.get("PODIO_PIN_CPU"), True),
        startup_required=flags["STARTUP_REQUIRED"],
        hook_shutdown=hook_shutdown,
    )
