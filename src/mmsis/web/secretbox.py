"""Secrets kept in the web database (DHIS2 access tokens), encrypted with Fernet.

The key comes from the environment: MMSIS_ENCRYPTION_KEY (a Fernet key, `python -c "from
cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`), else one derived
(HKDF-SHA256) from MMSIS_SECRET_KEY, the key that signs the session cookies. A server started
without either has a random key per start: tokens saved then cannot be read after a restart.
"""

from __future__ import annotations

import base64
import os

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mmsis.errors import InputError


def fernet(secret: str) -> Fernet:
    """The Fernet of MMSIS_ENCRYPTION_KEY, else of a key derived from the app's secret."""
    explicit = os.environ.get("MMSIS_ENCRYPTION_KEY", "").strip()
    if explicit:
        try:
            return Fernet(explicit.encode())
        except ValueError as exc:
            raise InputError(
                "MMSIS_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes)",
                field="MMSIS_ENCRYPTION_KEY",
            ) from exc
    if not secret:
        raise InputError("set MMSIS_SECRET_KEY or MMSIS_ENCRYPTION_KEY to store tokens",
                         field="MMSIS_SECRET_KEY")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"mmsis-secretbox",
               info=b"dhis2-token").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(secret: str, plain: str) -> str:
    """Encrypt a secret for storage (authenticated: a changed byte fails to decrypt)."""
    return fernet(secret).encrypt(plain.encode()).decode()


def decrypt(secret: str, stored: str) -> str:
    """Decrypt a stored secret; a clear error when the key changed since it was saved."""
    try:
        return fernet(secret).decrypt(stored.encode()).decode()
    except InvalidToken as exc:
        raise InputError(
            "the saved DHIS2 token cannot be decrypted with this server's key "
            "(MMSIS_ENCRYPTION_KEY or MMSIS_SECRET_KEY changed): enter the token again",
            field="token",
        ) from exc
