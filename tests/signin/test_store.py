"""The local credential store: private files, atomic writes, names that never become paths,
clear errors for anything it cannot use."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from podio_component.credentials.names import checked_name
from podio_component.credentials.store import CredentialStore, StoreNotWritable
from podio_component.emulator import Emulator
from podio_component.errors import CredentialsError, InputError
from tests.helpers import ROOT, read_only, save_credential


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_store_is_private_whatever_the_umask(
    store: CredentialStore, emulator: Emulator
) -> None:
    old = os.umask(0)
    try:
        save_credential(store, emulator, "work")
        with store.locked("work", timeout=5):
            pass
    finally:
        os.umask(old)
    assert mode(store.directory) == 0o700
    files = sorted(p.name for p in store.directory.iterdir())
    assert files == ["work.json", "work.json.lock"]
    assert all(mode(store.directory / f) == 0o600 for f in files)


def test_a_saved_credential_reads_back(store: CredentialStore, emulator: Emulator) -> None:
    saved = save_credential(store, emulator, "work")
    assert store.load("work") == saved
    assert store.names() == ["work"]
    on_disk = json.loads((store.directory / "work.json").read_text())
    assert set(on_disk) == {
        "name",
        "grant",
        "api_url",
        "client_id",
        "client_secret",
        "token",
        "expires_at",
        "obtained_at",
    }


@pytest.mark.parametrize(
    "name", ["../escape", "a/b", ".hidden", "-dash", "", "x" * 65, "bad name", "ä", "a\x00b"]
)
def test_a_name_that_could_become_a_path_is_refused(name: str, store: CredentialStore) -> None:
    with pytest.raises(InputError, match="Invalid credential name"):
        store.path(name)
    assert not store.directory.exists()


def test_names_at_the_limits_are_accepted() -> None:
    assert checked_name("a") == "a"
    assert checked_name("A" + "b.-_9" * 12 + "xyz") == "A" + "b.-_9" * 12 + "xyz"


def test_a_group_readable_file_is_refused_with_the_fix(
    store: CredentialStore, emulator: Emulator
) -> None:
    save_credential(store, emulator, "work")
    path = store.directory / "work.json"
    os.chmod(path, 0o640)
    with pytest.raises(CredentialsError) as caught:
        store.load("work")
    assert caught.value.message == (
        f"{path} can be read or changed by other users (mode 640); refused. "
        f"Fix it with: chmod 600 {path}"
    )


def test_a_world_readable_directory_is_refused_with_the_fix(
    store: CredentialStore, emulator: Emulator
) -> None:
    save_credential(store, emulator, "work")
    os.chmod(store.directory, 0o755)  # noqa: S103 (the mistake under test)
    with pytest.raises(CredentialsError, match=r"\(mode 755\); refused. Fix it with: chmod 700"):
        store.load("work")
    with pytest.raises(CredentialsError, match="chmod 700"):
        save_credential(store, emulator, "other")
    assert not (store.directory / "other.json").exists()


def test_a_symbolic_link_is_refused(store: CredentialStore, emulator: Emulator) -> None:
    save_credential(store, emulator, "work")
    os.symlink(store.directory / "work.json", store.directory / "alias.json")
    with pytest.raises(CredentialsError, match=r"alias\.json is a symbolic link; refused"):
        store.load("alias")


def test_an_unknown_name_says_how_to_sign_in(store: CredentialStore) -> None:
    with pytest.raises(CredentialsError) as caught:
        store.load("nobody")
    assert caught.value.message == (
        f"no credential named nobody in {store.directory}; sign in first: "
        "podio-component login nobody"
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"name": "work"}',
        b"\xff\xfe",
        b'{"name": "work", "grant": "magic"}',
    ],
)
def test_a_corrupt_file_is_a_clear_error_and_is_left_alone(
    store: CredentialStore, content: bytes
) -> None:
    store.directory.mkdir(mode=0o700)
    path = store.directory / "work.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)
    with pytest.raises(CredentialsError) as caught:
        store.load("work")
    assert caught.value.message == (
        f"{path} is not a readable credential file; delete it with "
        "`podio-component credentials delete work` and sign in again"
    )
    assert path.read_bytes() == content


def test_something_other_than_a_file_is_refused(store: CredentialStore) -> None:
    (store.directory / "work.json").mkdir(parents=True)
    os.chmod(store.directory, 0o700)
    with pytest.raises(CredentialsError, match=r"work\.json is not a regular file; refused"):
        store.load("work")


def test_a_file_renamed_to_another_name_is_refused(
    store: CredentialStore, emulator: Emulator
) -> None:
    save_credential(store, emulator, "work")
    os.rename(store.directory / "work.json", store.directory / "home.json")
    with pytest.raises(CredentialsError, match="does not hold credential home"):
        store.load("home")


def test_a_failed_write_leaves_the_old_credential_and_no_stray_file(
    store: CredentialStore, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = save_credential(store, emulator, "work")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space left"):
        store.save(old.model_copy(update={"client_id": "changed"}))
    monkeypatch.undo()
    assert store.load("work") == old
    assert sorted(p.name for p in store.directory.iterdir()) == ["work.json"]


def test_a_process_killed_while_writing_leaves_a_readable_store(
    store: CredentialStore, emulator: Emulator
) -> None:
    old = save_credential(store, emulator, "work")
    script = (
        "import os, signal, sys\n"
        "from podio_component.credentials.store import CredentialStore\n"
        "from pathlib import Path\n"
        "store = CredentialStore(Path(sys.argv[1]))\n"
        "new = store.load('work').model_copy(update={'client_id': 'changed'})\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "store.save(new)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(store.directory)], cwd=ROOT, timeout=30, check=False
    )
    assert done.returncode == -9
    assert store.load("work") == old  # the half-done temporary file is not the credential
    assert store.names() == ["work"]


def test_delete_removes_the_file_and_its_lock(store: CredentialStore, emulator: Emulator) -> None:
    save_credential(store, emulator, "work")
    with store.locked("work", timeout=5):
        pass
    store.delete("work")
    assert list(store.directory.iterdir()) == []
    with pytest.raises(CredentialsError, match="no credential named work"):
        store.delete("work")


def test_the_default_store_is_under_the_users_config_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from podio_component.settings import reload_environment

    monkeypatch.delenv("PODIO_CREDENTIALS_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    store = CredentialStore.from_environment(reload_environment())
    assert store.directory == tmp_path / "config" / "podio-component" / "credentials"


def test_show_masks_every_secret(store: CredentialStore, emulator: Emulator) -> None:
    saved = save_credential(store, emulator, "work")
    summary = json.dumps(saved.summary())
    for secret in (saved.access_token, saved.refresh_token, saved.client_secret):
        assert secret is not None
        assert secret not in summary
    assert saved.summary()["access_token"] == f"{saved.access_token[:4]}… (64 characters)"
    assert saved.summary()["client_secret"] == "saved"


def test_a_fifo_in_the_store_is_refused_at_once_not_waited_on(store: CredentialStore) -> None:
    store.directory.mkdir(mode=0o700)
    os.mkfifo(store.directory / "work.json", 0o600)
    started = time.monotonic()
    with pytest.raises(CredentialsError, match="is not a regular file; refused"):
        store.load("work")
    assert time.monotonic() - started < 1


def test_credentials_list_show_and_run_refuse_a_fifo_at_once(store: CredentialStore) -> None:
    store.directory.mkdir(mode=0o700)
    os.mkfifo(store.directory / "work.json", 0o600)
    env = {**os.environ, "PODIO_CREDENTIALS_DIR": str(store.directory), "PODIO_DEADLINE": "2"}
    for args in (
        ["credentials", "list"],
        ["credentials", "show", "work"],
        [
            "run",
            "makeRawRequest",
            "--credential",
            "work",
            "--msg",
            '{"body": {"method": "GET", "url": "/x"}}',
        ],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "podio_component", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert "is not a regular file; refused" in done.stdout + done.stderr, args


def test_a_read_only_store_is_one_clear_error_naming_the_directory(
    store: CredentialStore, emulator: Emulator
) -> None:
    save_credential(store, emulator, "work")
    with read_only(store.directory):
        with pytest.raises(StoreNotWritable) as caught:
            store.check_writable()
        assert str(store.directory) in caught.value.message
        assert "PODIO_CREDENTIALS_DIR" in caught.value.message
        with pytest.raises(StoreNotWritable), store.locked("work", timeout=5):
            pass
        assert store.load("work").name == "work"  # reading still works


def test_delete_of_an_unknown_name_leaves_the_store_untouched(store: CredentialStore) -> None:
    with pytest.raises(CredentialsError, match="no credential named nobody"):
        store.delete("nobody")
    assert not store.directory.exists()
    store.directory.mkdir(mode=0o700)
    with pytest.raises(CredentialsError, match="no credential named nobody"):
        store.delete("nobody")
    assert list(store.directory.iterdir()) == []


def test_delete_of_a_directory_in_place_of_a_credential_is_refused(
    store: CredentialStore,
) -> None:
    (store.directory / "work.json").mkdir(parents=True)
    store.directory.chmod(0o700)
    with pytest.raises(CredentialsError, match="is not a credential file; refused"):
        store.delete("work")
    assert (store.directory / "work.json").is_dir()


def test_delete_in_a_read_only_store_is_a_clear_error(
    store: CredentialStore, emulator: Emulator
) -> None:
    save_credential(store, emulator, "work")
    with read_only(store.directory), pytest.raises(StoreNotWritable):
        store.delete("work")
    assert store.load("work").name == "work"
