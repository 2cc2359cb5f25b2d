"""SIP secrets: agents' phone passwords, trunk passwords and the digest nonce key.

They never live in the repository or the center file. Sources, later ones winning:

1. a secrets file (TOML, readable by its owner only, like an SSH key), named by
   `[telephony.sip] secrets_file` or the `HOTLINE_SIP_SECRETS_FILE` environment variable:

       nonce_secret = "long random text"      # optional; shared by nodes behind one proxy
       [extensions]
       "1001" = "phone password of extension 1001"
       [trunks]
       carrier-a = "password of the trunk's username"

2. the environment: `HOTLINE_SIP_PASSWORD_1001=...`, `HOTLINE_SIP_TRUNK_PASSWORD_CARRIER_A=...`
   (trunk names upper-cased, '-' and '.' as '_'), `HOTLINE_SIP_NONCE_SECRET=...`.

Without a nonce secret a random one is made per process: nonces then do not survive a restart,
and phones simply authenticate again.
"""

from __future__ import annotations

import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECRETS_FILE_ENV = "HOTLINE_SIP_SECRETS_FILE"
PASSWORD_ENV = "HOTLINE_SIP_PASSWORD_"
TRUNK_PASSWORD_ENV = "HOTLINE_SIP_TRUNK_PASSWORD_"
NONCE_ENV = "HOTLINE_SIP_NONCE_SECRET"
MIN_PASSWORD_LENGTH = 8
NONCE_BYTES = 32


class SecretsError(ValueError):
    """The secrets cannot be used; the message says what to fix (never quoting a secret)."""


@dataclass(frozen=True, slots=True)
class SipSecrets:
    """Passwords by extension and by trunk name, and the nonce key."""

    extensions: dict[str, str] = field(default_factory=dict)
    trunks: dict[str, str] = field(default_factory=dict)
    nonce_secret: bytes = field(default_factory=lambda: secrets.token_bytes(NONCE_BYTES))


def load_sip_secrets(path: Path | None, environ: Mapping[str, str] | None = None) -> SipSecrets:
    """The secrets from the file (`path`, else the file named in the environment) and the
    environment; `SecretsError` for a file others can read, bad TOML, or a short password."""
    env = os.environ if environ is None else environ
    if path is None and env.get(SECRETS_FILE_ENV):
        path = Path(env[SECRETS_FILE_ENV])
    data = _read_file(path) if path is not None else {}
    extensions = {str(k): str(v) for k, v in _table(data, "extensions", path).items()}
    trunks = {str(k): str(v) for k, v in _table(data, "trunks", path).items()}
    for name, value in env.items():
        if name.startswith(PASSWORD_ENV):
            extensions[name.removeprefix(PASSWORD_ENV)] = value
    nonce = env.get(NONCE_ENV) or str(data.get("nonce_secret") or "")
    result = SipSecrets(extensions, trunks)
    if nonce:
        result = SipSecrets(extensions, trunks, nonce.encode("utf-8"))
    _check_lengths(result)
    return result


def trunk_password(secrets_: SipSecrets, trunk: str, environ: Mapping[str, str]) -> str | None:
    """A trunk's password: the environment's `HOTLINE_SIP_TRUNK_PASSWORD_<NAME>`, else the
    file's."""
    key = TRUNK_PASSWORD_ENV + trunk.upper().replace("-", "_").replace(".", "_")
    return environ.get(key) or secrets_.trunks.get(trunk)


def _read_file(path: Path) -> dict[str, object]:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SecretsError(f"{path}: cannot read the SIP secrets file: {error.strerror}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise SecretsError(f"{path}: others can read the SIP secrets file; run: chmod 600 {path}")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SecretsError(f"{path}: invalid TOML: {error}") from None


def _table(data: dict[str, object], name: str, path: Path | None) -> dict[str, object]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise SecretsError(f'{path}: [{name}] must be a table of name = "password"')
    return value


def _check_lengths(result: SipSecrets) -> None:
    for kind, table in (("extension", result.extensions), ("trunk", result.trunks)):
        for name, password in table.items():
            if len(password) < MIN_PASSWORD_LENGTH:
                raise SecretsError(
                    f"the SIP password of {kind} {name} is shorter than {MIN_PASSWORD_LENGTH} "
                    "characters; phones and trunks exposed to a network need long passwords"
                )
