"""The local credential store: one JSON file per named credential, private to its owner.

The directory is PODIO_CREDENTIALS_DIR or `credentials` under the user's config directory
(platformdirs). It is 0700 and every file in it, lock files included, is 0600; a file or
directory that others can read is refused rather than used. A credential is written
atomically (a temporary file in the same directory, fsync, rename), so a reader sees the
old credential or the new one, never half of one. Refresh and sign-in hold the credential's
lock file while they read, ask Podio and write, so two processes never refresh at once.

A file holds the token response as Podio sent it, its absolute expiry, the grant it came
from, the Podio it belongs to and the client id; the client secret only when the person
asked for it to be kept. Never a password or an app token.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, ValidationError

from podio_component.credentials.names import NAME, checked_name
from podio_component.errors import CredentialsError
from podio_component.redaction import register_secret
from podio_component.settings import Environment

SUFFIX = ".json"
Grant = Literal["authorization_code", "client_side", "password", "app"]
GRANT_NAMES: dict[str, str] = {
    "authorization_code": "server-side flow",
    "client_side": "client-side flow",
    "password": "username and password",
    "app": "app authentication",
}
_PRIVATE = stat.S_IRWXG | stat.S_IRWXO


class StoreNotWritable(CredentialsError):
    """Nothing can be saved in the store: a read-only directory or file system."""


class StoredCredential(BaseModel):
    """What one store file holds."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    grant: Grant
    api_url: str
    client_id: str
    client_secret: str | None = None
    token: dict[str, Any]
    expires_at: float  # seconds since the epoch
    obtained_at: float

    @property
    def access_token(self) -> str:
        return str(self.token["access_token"])

    @property
    def refresh_token(self) -> str | None:
        value = self.token.get("refresh_token")
        return value if isinstance(value, str) and value else None

    def expires_in(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)

    def renewed(self, response: dict[str, Any], asked_at: float) -> StoredCredential:
        """This credential with a new token response; a response without a refresh token
        keeps the current one (Podio need not send it again)."""
        token = dict(response)
        if not token.get("refresh_token") and self.refresh_token:
            token["refresh_token"] = self.refresh_token
        return self.model_copy(
            update={
                "token": token,
                "expires_at": expiry(token, asked_at),
                "obtained_at": asked_at,
            }
        )

    def summary(self) -> dict[str, Any]:
        """What `credentials show` prints: everything but the secrets, which are masked."""
        left = self.expires_in()
        ref = self.token.get("ref")
        if self.grant == "client_side":
            renewal = "sign in again before it expires: Podio offers no refresh for this flow"
        elif self.refresh_token and self.client_secret:
            renewal = "refreshed automatically"
        elif self.refresh_token:
            renewal = "refreshed automatically when PODIO_CLIENT_SECRET is set"
        else:
            renewal = "sign in again when it expires"
        return {
            "name": self.name,
            "grant": GRANT_NAMES[self.grant],
            "api_url": self.api_url,
            "client_id": self.client_id,
            "client_secret": "saved" if self.client_secret else "not saved",
            "access_token": masked(self.access_token),
            "refresh_token": masked(self.refresh_token) if self.refresh_token else None,
            "scope": self.token.get("scope"),
            "ref": ref if isinstance(ref, dict) else None,
            "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expires_at)),
            "expired": left <= 0,
            "renewal": renewal,
        }


def masked(secret: str) -> str:
    """Enough of a secret to tell two apart, never enough to use: its first 4 characters
    and its length."""
    shown = secret[:4] if len(secret) >= 16 else ""
    return f"{shown}… ({len(secret)} characters)"


def expiry(token: dict[str, Any], asked_at: float) -> float:
    """The absolute expiry of a token response, counted from when it was asked for."""
    expires_in = token.get("expires_in")
    try:
        seconds = float(expires_in) if expires_in is not None else 0.0
    except (TypeError, ValueError):
        seconds = 0.0
    if not seconds > 0:
        raise CredentialsError("Podio's token response has no usable expires_in")
    return asked_at + seconds


class CredentialStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_environment(cls, env: Environment) -> CredentialStore:
        if env.credentials_dir:
            return cls(Path(env.credentials_dir).expanduser())
        import platformdirs  # only sign-in and stored credentials need it

        return cls(platformdirs.user_config_path("podio-component") / "credentials")

    def path(self, name: str) -> Path:
        return self.directory / (checked_name(name) + SUFFIX)

    @contextlib.contextmanager
    def locked(self, name: str, timeout: float) -> Iterator[None]:
        """Hold the credential's lock file (0600) for a read-ask-write sequence."""
        self._directory(create=True)
        lock = FileLock(str(self.path(name)) + ".lock", mode=0o600, timeout=timeout)
        try:
            lock.acquire()
        except Timeout:
            raise CredentialsError(
                f"credential {name} is being refreshed or saved by another process, which "
                f"has held its lock for more than {timeout:.0f} s; try again"
            ) from None
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            yield
        finally:
            lock.release()

    def check_writable(self) -> None:
        """StoreNotWritable unless a credential can be saved here (checked before a person
        goes through a sign-in whose result could not be kept)."""
        directory = self._directory(create=True)
        if directory is None or not os.access(directory, os.W_OK):
            raise self._unwritable(PermissionError(errno.EACCES, "not writable"))

    def _unwritable(self, exc: OSError) -> StoreNotWritable:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        return StoreNotWritable(
            f"the credential store {self.directory} cannot be written ({reason}); make it "
            "writable, or set PODIO_CREDENTIALS_DIR to a directory that is"
        )

    def names(self) -> list[str]:
        directory = self._directory(create=False)
        if directory is None:
            return []
        return sorted(
            entry.name[: -len(SUFFIX)]
            for entry in os.scandir(directory)
            if entry.name.endswith(SUFFIX) and NAME.fullmatch(entry.name[: -len(SUFFIX)])
        )

    def load(self, name: str) -> StoredCredential:
        path = self.path(name)
        self._directory(create=False)
        try:
            # O_NONBLOCK: a FIFO in the store must not hang the read; it is refused below.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            raise CredentialsError(
                f"no credential named {name} in {self.directory}; sign in first: "
                f"podio-component login {name}"
            ) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise CredentialsError(f"{path} is a symbolic link; refused") from None
            raise CredentialsError(f"cannot read {path} ({exc.strerror})") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise CredentialsError(f"{path} is not a regular file; refused")
        with os.fdopen(fd, "rb") as file:
            _check_private(path, info, "600")
            try:
                content = file.read()
            except OSError as exc:
                raise CredentialsError(f"cannot read {path} ({exc.strerror})") from None
        try:
            data = json.loads(content)
            credential = StoredCredential.model_validate(data)
        except (ValueError, ValidationError, RecursionError):
            raise CredentialsError(
                f"{path} is not a readable credential file; delete it with "
                f"`podio-component credentials delete {name}` and sign in again"
            ) from None
        if credential.name != name or not isinstance(credential.token.get("access_token"), str):
            raise CredentialsError(
                f"{path} does not hold credential {name}; delete it with "
                f"`podio-component credentials delete {name}` and sign in again"
            )
        for secret in (credential.access_token, credential.refresh_token, credential.client_secret):
            register_secret(secret)
        return credential

    def save(self, credential: StoredCredential) -> None:
        """Write a credential atomically; the caller holds its lock."""
        directory = self._directory(create=True)
        assert directory is not None
        target = self.path(credential.name)
        content = credential.model_dump_json(indent=2).encode()
        temporary = directory / f".{credential.name}{SUFFIX}.{os.getpid()}.{time.monotonic_ns()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_directory(directory)

    def delete(self, name: str) -> None:
        """Forget a credential; an unknown name leaves the store untouched."""
        path = self.path(name)
        if self._directory(create=False) is None or not _exists(path):
            raise CredentialsError(f"no credential named {name} in {self.directory}")
        with self.locked(name, timeout=10):
            try:
                info = os.lstat(path)
                if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
                    raise CredentialsError(
                        f"{path} is not a credential file; refused (remove it by hand)"
                    )
                os.unlink(path)
            except FileNotFoundError:
                raise CredentialsError(f"no credential named {name} in {self.directory}") from None
            except OSError as exc:
                raise self._unwritable(exc) from None
        with contextlib.suppress(OSError):
            os.unlink(str(path) + ".lock")

    def _directory(self, *, create: bool) -> Path | None:
        """The store directory, checked to be private; created (0700) when asked."""
        directory = self.directory
        try:
            if create:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.stat(directory)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CredentialsError(
                f"cannot use the credential store {directory} ({exc.strerror})"
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise CredentialsError(f"the credential store {directory} is not a directory")
        _check_private(directory, info, "700")
        return directory


def _exists(path: Path) -> bool:
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def _check_private(path: Path, info: os.stat_result, mode: str) -> None:
    if info.st_uid != os.getuid():
        raise CredentialsError(f"{path} belongs to another user; refused")
    if info.st_mode & _PRIVATE:
        raise CredentialsError(
            f"{path} can be read or changed by other users (mode "
            f"{stat.S_IMODE(info.st_mode):o}); refused. Fix it with: chmod {mode} {path}"
        )


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, so a crash cannot bring the old file back.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
