"""`pip install podio-component` gives the actions with the core packages only; a command
whose extra is missing says which install to run. Proved in a venv that sees only the core
packages (linked from this test environment through a .pth file), so no network is needed."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import venv
from pathlib import Path

import pytest
import requests

from podio_component.emulator import Emulator
from tests.helpers import ROOT

# requests, tenacity and pydantic, with what they need in turn
CORE = (
    "requests",
    "charset-normalizer",
    "idna",
    "urllib3",
    "certifi",
    "tenacity",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "tzdata",
    "simplejson",
    "requests-toolbelt",
)


@pytest.fixture(scope="module")
def core_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python whose only packages are the core ones and this checkout."""
    return python_with(tmp_path_factory.mktemp("core"), CORE)


@pytest.fixture(scope="module")
def emulator_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The core packages and the [emulator] extra, without the [runtime] one."""
    return python_with(tmp_path_factory.mktemp("emulator"), (*CORE, "werkzeug", "markupsafe"))


def python_with(home: Path, packages: tuple[str, ...]) -> Path:
    """A Python whose only packages are `packages` and this checkout."""
    venv.create(home / "venv", with_pip=False)
    python = home / "venv" / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    linked = home / "core-packages"
    linked.mkdir()
    wanted = {name.replace("-", "_").lower() for name in packages}
    site_packages = Path(requests.__file__).parent.parent
    for top, dists in importlib.metadata.packages_distributions().items():
        if any(d.replace("-", "_").lower() in wanted for d in dists):
            for source in site_packages.glob(f"{top}*"):
                kept = source.name in (top, f"{top}.py") or source.suffix in (".so", ".dist-info")
                if kept and not (linked / source.name).exists():
                    (linked / source.name).symlink_to(source)
    (site / "core.pth").write_text(f"{linked}\n{ROOT}\n")
    return python


def command(python: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "podio_component", *args],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PODIO_CREDENTIALS_DIR": "/nonexistent", **env},
        check=False,
    )


def test_the_core_venv_really_lacks_the_extras(core_python: Path) -> None:
    names = ("pika", "cryptography", "werkzeug", "filelock", "platformdirs")
    probe = f"import importlib.util as u; print([m for m in {names} if u.find_spec(m)])"
    done = subprocess.run([core_python, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "extra"),
    [
        (("sailor",), "runtime"),
        (("service", "verifyCredentials"), "runtime"),
        (("login", "work"), "signin"),
        (("credentials", "list"), "signin"),
        (("emulator",), "emulator"),
        (("demo",), "emulator"),
        (
            (
                "run",
                "makeRawRequest",
                "--credential",
                "work",
                "--msg",
                '{"body": {"method": "GET", "url": "/x"}}',
            ),
            "signin",
        ),
    ],
)
def test_a_command_whose_extra_is_missing_names_the_install_and_exits_2(
    core_python: Path, args: tuple[str, ...], extra: str
) -> None:
    done = command(core_python, *args)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ")
    assert line.endswith(f"install it with: pip install 'podio-component[{extra}]'")
    assert "Traceback" not in done.stderr


def test_the_core_alone_runs_the_actions_with_an_inline_token(
    core_python: Path, emulator: Emulator
) -> None:
    token = emulator.issue_token()["access_token"]
    cfg = json.dumps({"oauth": {"access_token": token}})
    msg = json.dumps({"body": {"method": "GET", "url": "/user/status"}})
    done = command(
        core_python,
        "run",
        "makeRawRequest",
        "--cfg",
        cfg,
        "--msg",
        msg,
        PODIO_API_URL=emulator.podio_url,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["body"]["statusCode"] == 200
    assert command(core_python, "describe").returncode == 0
    assert command(core_python, "--version").returncode == 0


def test_the_platform_wing_needs_no_extra(core_python: Path) -> None:
    """Actions may call the platform (its API, Secrets, results) with the core alone."""
    probe = (
        "import podio_component.platform.api, podio_component.platform.secrets, "
        "podio_component.platform.results"
    )
    done = subprocess.run([core_python, "-c", probe], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_webhook_gateway_without_the_runtime_extra_names_the_install(
    emulator_python: Path,
) -> None:
    script = """
import requests
from podio_component.emulator import Emulator
from podio_component.emulator.platform.gateway import Route
with Emulator() as emulator:
    emulator.platform.gateway.register("f1", Route("amqp://localhost", "q", None))
    answer = requests.post(emulator.platform_url + "/hook/f1", json={}, timeout=10)
    print(answer.status_code, answer.json()["error"])
"""
    done = subprocess.run(
        [emulator_python, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("503 the emulator's webhook gateway needs the [runtime] extra")
    assert done.stdout.strip().endswith("pip install 'podio-component[runtime]'")
