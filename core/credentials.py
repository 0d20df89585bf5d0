"""API credentials: secrets that cannot leak through a repr, and service-account JWTs.

The bearer token is either given ready (`token`) or minted from the service-account JSON key
file exactly as ComboCurve's official client does: RS256, `kid` = private_key_id, `iss` = `sub`
= client_email, `aud` = the API base URL, valid one hour, renewed a minute before it expires.
"""

import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectError

log = logging.getLogger(__name__)

TOKEN_LIFETIME = 3600  # seconds, as the official client
RENEW_BEFORE = 60  # seconds before expiry at which a new token is minted
SHORT_SECRET = 8  # characters: a shorter secret is masked only where it stands as a word


class Secret:
    """A string that shows as '***' in reprs, logs and f-strings; `.reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Redactor:
    """Masks secrets in outgoing text (messages, rejects, reports): `redactor(text)`.

    A secret of SHORT_SECRET characters or more is masked wherever it appears. A shorter one
    is masked only as a whole word: a database password "in" must not turn every "joining"
    into "jo***ing", yet it cannot be told apart from the word "in" either, so a warning
    says so once, when the redactor is made.
    """

    def __init__(self, named_secrets: dict[str, str]):
        patterns = []
        for name, value in sorted(named_secrets.items(), key=lambda item: -len(item[1])):
            if not value:
                continue
            if len(value) >= SHORT_SECRET:
                patterns.append(re.escape(value))
                continue
            log.warning("the %s is shorter than %d characters: messages mask it only where it "
                        "stands as a whole word; a longer one is safer", name, SHORT_SECRET)
            before = r"(?<!\w)" if re.match(r"\w", value[0]) else ""
            after = r"(?!\w)" if re.match(r"\w", value[-1]) else ""
            patterns.append(before + re.escape(value) + after)
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub("***", text) if self._pattern else text


@dataclass(frozen=True)
class ServiceAccount:
    """The parts of a service-account key file that sign tokens."""

    file: Path
    client_email: str
    private_key_id: Secret
    private_key: Secret

    @classmethod
    def load(cls, file: Path) -> "ServiceAccount":
        """Read and check a key file; every problem is a ProjectError naming the file."""
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ProjectError(f"{file}: service account key file not found") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = type(exc).__name__ if isinstance(exc, ValueError) else exc.strerror
            raise ProjectError(
                f"{file}: not a service account JSON key file ({reason}); download it again "
                "from ComboCurve's API & Sync page") from None
        if not isinstance(data, dict):
            raise ProjectError(f"{file}: a service account key file holds a JSON object")
        missing = [k for k in ("client_email", "private_key_id", "private_key")
                   if not isinstance(data.get(k), str) or not data[k]]
        if missing:
            raise ProjectError(f"{file}: service account key file lacks {', '.join(missing)}")
        account = cls(file, data["client_email"], Secret(data["private_key_id"]),
                      Secret(data["private_key"]))
        account.signing_key()  # fail now, not at the first request
        return account

    def signing_key(self):
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            return load_pem_private_key(self.private_key.reveal().encode(), password=None)
        except (ValueError, TypeError):
            raise ProjectError(
                f"{self.file}: private_key is not a readable PEM RSA private key") from None

    def mint(self, audience: str, now: float) -> str:
        """A signed bearer JWT for `audience`, valid TOKEN_LIFETIME seconds from `now`."""
        import jwt

        claims = {"iss": self.client_email, "sub": self.client_email, "aud": audience,
                  "iat": int(now), "exp": int(now) + TOKEN_LIFETIME}
        return jwt.encode(claims, self.signing_key(), algorithm="RS256",
                          headers={"kid": self.private_key_id.reveal()})


class BearerToken:
    """Gives the current bearer token: the ready one, or a minted one renewed before expiry."""

    def __init__(self, *, token: Secret | None = None, account: ServiceAccount | None = None,
                 audience: str = "", clock=time.time):
        if (token is None) == (account is None):
            raise ValueError("give exactly one of token and account")
        self._token, self._account, self._audience, self._clock = token, account, audience, clock
        self._expires = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def value(self) -> str:
        if self._account is None:
            return self._token.reveal()
        with self._lock:
            now = self._clock()
            if now >= self._expires - RENEW_BEFORE:
                self._token = Secret(self._account.mint(self._audience, now))
                self._expires = int(now) + TOKEN_LIFETIME
            return self._token.reveal()
