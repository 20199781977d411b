"""Message encryption, as every platform runtime does it (AES-256-CBC, PKCS#7 padding).

The key is the SHA-256 of ELASTICIO_MESSAGE_CRYPTO_PASSWORD, the IV the 16 bytes of
ELASTICIO_MESSAGE_CRYPTO_IV, the plaintext the message as JSON in UTF-8. Protocol 1 carries
the ciphertext as base64 text, protocol 2 as raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from podio_component.json_text import dumps
from podio_component.redaction import register_secret


class UndecryptableError(ValueError):
    """The content is not a message encrypted with this runtime's key."""


def to_json(message: Any) -> bytes:
    """JSON as JavaScript's JSON.stringify writes it: no spaces, non-ASCII as UTF-8."""
    try:
        return dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate: escape it, as JSON.stringify does
        return dumps(message, separators=(",", ":")).encode()


class MessageCipher:
    def __init__(self, password: str, iv: str) -> None:
        register_secret(password)
        key = hashlib.sha256(password.encode()).digest()
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(iv.encode()))  # one per process

    def encrypt(self, message: Any, protocol_version: int = 1) -> bytes:
        padder = padding.PKCS7(128).padder()
        data = padder.update(to_json(message)) + padder.finalize()
        encryptor = self._cipher.encryptor()
        ciphertext = encryptor.update(data) + encryptor.finalize()
        return base64.b64encode(ciphertext) if protocol_version < 2 else ciphertext

    def decrypt(self, content: bytes, protocol_version: int = 1) -> Any:
        """The message in content; None for an empty body, as the Node.js runtime has it."""
        if not content:
            return None
        try:
            ciphertext = (
                base64.b64decode(content, validate=True) if protocol_version < 2 else content
            )
            decryptor = self._cipher.decryptor()
            data = decryptor.update(ciphertext) + decryptor.finalize()
            unpadder = padding.PKCS7(128).unpadder()
            return json.loads(unpadder.update(data) + unpadder.finalize())
        except (binascii.Error, ValueError, RecursionError) as exc:
            raise UndecryptableError(f"cannot decrypt the message: {type(exc).__name__}") from None
