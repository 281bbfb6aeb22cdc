"""Secrets never enter event state in clear: tokens are sealed with AES-GCM, passwords are hashed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from Crypto.Cipher import AES

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class SecretBox:
    """Seal and open short secrets (gateway tokens) with a key derived from SECRET_KEY."""

    def __init__(self, secret_key: str) -> None:
        self._key = hashlib.sha256(b"taf-secret-box|" + secret_key.encode()).digest()

    def seal(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=nonce)
        body, tag = cipher.encrypt_and_digest(plaintext.encode())
        return base64.b64encode(nonce + tag + body).decode()

    def open(self, sealed: str) -> str:
        raw = base64.b64decode(sealed)
        cipher = AES.new(self._key, AES.MODE_GCM, nonce=raw[:12])
        return cipher.decrypt_and_verify(raw[28:], raw[12:28]).decode()


def mask(secret: str) -> str:
    """What the UI may show of a secret: its first and last few characters."""
    if not secret:
        return ""
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:4]}…{secret[-4:]}"


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)
