"""A local RabbitMQ for the demo and the tests: does one answer, and can one be started.

Only Debian's rabbitmq-server, already installed, is started here; installing it is left to
the person (or to the test helper, which may run apt-get).
"""

from __future__ import annotations

import shutil
import subprocess
import time

from podio_component.redaction import without_password

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/"
START = "rabbitmq-server -detached"
INSTALL = "apt-get update && apt-get install -y rabbitmq-server"


def answers(url: str) -> bool:
    import pika
    import pika.exceptions

    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 2
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError:
        return False
    return True


def start_installed(url: str, wait: float) -> bool:
    """Start the installed rabbitmq-server; True once url answers, within wait seconds."""
    server = shutil.which("rabbitmq-server")
    if server is None:
        return False
    subprocess.run([server, "-detached"], check=False, capture_output=True)  # noqa: S603
    until = time.monotonic() + wait
    while time.monotonic() < until:
        if answers(url):
            return True
        time.sleep(0.5)
    return False


def how_to_start(url: str) -> str:
    """What a person runs to get a broker at url (shown without its password)."""
    return (
        f"start RabbitMQ at {without_password(url)} (`sudo {START}`; to install it: "
        f"`sudo {INSTALL.replace('&& ', '&& sudo ')}`), or set AMQP_URL to one that answers"
    )
