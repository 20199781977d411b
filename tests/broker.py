"""The RabbitMQ broker the runtime tests need: `python -m tests.broker` makes sure one answers.

It uses AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/). When nothing answers there it
starts Debian's rabbitmq-server if it is installed, installs it with apt-get when it can
(root on Debian/Ubuntu), and otherwise fails with the exact command to run. It never lets a
broker test skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pika
import pika.exceptions

from podio_component.redaction import without_password

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
START = "rabbitmq-server -detached"
INSTALL = "apt-get install -y rabbitmq-server"


def answers(url: str = AMQP_URL) -> bool:
    parameters = pika.URLParameters(url)
    parameters.socket_timeout = 2
    parameters.connection_attempts = 1
    try:
        pika.BlockingConnection(parameters).close()
    except pika.exceptions.AMQPError:
        return False
    return True


def ensure(url: str = AMQP_URL, wait: float = 90) -> None:
    """A broker answers at url, or SystemExit with what to do."""
    if answers(url):
        return
    shown = without_password(url)
    if shutil.which("rabbitmq-server") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"no RabbitMQ at {shown}; installing it: {INSTALL}", file=sys.stderr)
        subprocess.run([str(shutil.which("apt-get")), *INSTALL.split()[1:]], check=False)
    if shutil.which("rabbitmq-server") is not None:
        print(f"no RabbitMQ at {shown}; starting it: {START}", file=sys.stderr)
        subprocess.run([str(shutil.which("rabbitmq-server")), "-detached"], check=False)
        until = time.monotonic() + wait
        while time.monotonic() < until:
            if answers(url):
                return
            time.sleep(1)
    raise SystemExit(
        f"The runtime tests need RabbitMQ at {shown} and none answers. Start one with "
        f"`sudo {START}` (install it first with `sudo {INSTALL}`), or set AMQP_URL to a broker "
        "that answers."
    )


if __name__ == "__main__":
    ensure()
    print(f"RabbitMQ answers at {without_password(AMQP_URL)}")
