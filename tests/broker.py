"""The RabbitMQ broker the runtime tests need: `python -m tests.broker` makes sure one answers.

It uses AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/). When nothing answers there it
starts Debian's rabbitmq-server if it is installed, installs it with apt-get (after
`apt-get update`) when it can (root on Debian/Ubuntu), and otherwise fails with the exact
commands to run: a broker test fails, it is never passed over.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from podio_component.emulator.platform.broker import (
    DEFAULT_URL,
    INSTALL,
    answers,
    how_to_start,
    start_installed,
)
from podio_component.redaction import without_password

AMQP_URL = os.environ.get("AMQP_URL", DEFAULT_URL)
START = "rabbitmq-server -detached"


def ensure(url: str = AMQP_URL, wait: float = 90) -> None:
    """A broker answers at url, or SystemExit with what to do."""
    if answers(url):
        return
    shown = without_password(url)
    apt = shutil.which("apt-get")
    if shutil.which("rabbitmq-server") is None and os.geteuid() == 0 and apt:
        print(f"no RabbitMQ at {shown}; installing it: {INSTALL}", file=sys.stderr)
        subprocess.run([apt, "update"], check=False)
        subprocess.run([apt, "install", "-y", "rabbitmq-server"], check=False)
    if shutil.which("rabbitmq-server") is not None:
        print(f"no RabbitMQ at {shown}; starting it: {START}", file=sys.stderr)
        if start_installed(url, wait):
            return
    raise SystemExit(
        f"The runtime tests need RabbitMQ at {shown} and none answers: {how_to_start(url)}."
    )


if __name__ == "__main__":
    ensure()
    print(f"RabbitMQ answers at {without_password(AMQP_URL)}")
