"""Authentication: OAuth2 password flow, JWT bearer tokens (HS256), login throttling.

A token is sent as ``Authorization: Bearer <token>``, or as the password of HTTP Basic
authentication (``Basic base64(<user name>:<token>)``) for clients that can send no
bearer header, such as QGIS 3.22 (Debian 12): its OGC API – Features provider sends
only Basic credentials or an authentication configuration's, and Debian's build has no
API Header method. The password itself is never accepted there: it is checked only at
``POST /auth/token``, behind the login limiter.
"""

import base64
import binascii
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel

from pasture.store import Store

from .deps import StoreDep, get_store
from .errors import TooManyRequests, Unauthorized
from .users import Account, Role, authenticate, get_account

__all__ = [
    "ALGORITHM",
    "CurrentUser",
    "LoginLimiter",
    "Principal",
    "TokenService",
    "auth_router",
    "basic_token",
    "current_user",
    "live_principal",
    "oauth2_scheme",
]

ALGORITHM = "HS256"
_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as the token says."""

    username: str
    role: Role
    union_id: str | None = None
    #: The account's token version the token was issued at (see :func:`live_principal`).
    token_version: int = 0

    @classmethod
    def from_account(cls, account: Account) -> "Principal":
        return cls(account.username, account.role, account.union_id, account.token_version)


class TokenService:
    """Issues and checks signed access tokens; any failure is the same 401."""

    def __init__(self, secret: str, *, minutes: int) -> None:
        self._secret = secret
        self.minutes = minutes

    def issue(self, principal: Principal, *, now: datetime | None = None) -> str:
        """A token for a principal, valid for ``minutes``."""
        now = now or datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": principal.username,
            "role": principal.role.value,
            "union": principal.union_id,
            "ver": principal.token_version,
            "iat": now,
            "exp": now + timedelta(minutes=self.minutes),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def check(self, token: str) -> Principal:
        """The principal of a valid token; Unauthorized otherwise."""
        try:
            # algorithms pinned: "none" and RS/HS confusion are refused by PyJWT
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub", "role", "ver"]},
            )
            role = Role(claims["role"])
            union = claims.get("union")
            if (role is Role.UNION) != isinstance(union, str) or not isinstance(claims["sub"], str):
                raise ValueError("inconsistent claims")
            if not isinstance(claims["ver"], int) or isinstance(claims["ver"], bool):
                raise ValueError("no token version")
        except (jwt.PyJWTError, ValueError, KeyError):
            raise Unauthorized(
                "the access token is invalid or expired; get a new one from POST /auth/token",
                headers=_BEARER,
            ) from None
        return Principal(claims["sub"], role, union if role is Role.UNION else None, claims["ver"])


def live_principal(store: Store, claimed: Principal) -> Principal:
    """The caller as the store has it now; Unauthorized when its tokens have ended.

    A signed token only says who the caller was when it was issued: an account
    disabled, deleted, changed or signed out since then has another token
    version (or none), so its tokens stop working on the next request. One
    primary-key read per request (the dependency is cached per request only).
    """
    account = get_account(store, claimed.username)
    if account is None or account.disabled or account.token_version != claimed.token_version:
        raise Unauthorized(
            "this access token no longer counts: the account was changed, disabled, deleted "
            "or signed out; get a new token from POST /auth/token",
            headers=_BEARER,
        )
    return Principal.from_account(account)


class LoginLimiter:
    """At most ``attempts`` failed logins per key (user name and client) in a sliding minute."""

    def __init__(self, attempts: int, *, window_s: float = 60.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window_s:
            times.popleft()
        return times

    def check(self, key: str) -> None:
        """Raise TooManyRequests (with Retry-After) when the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.attempts:
                wait = max(1, int(self.window_s - (now - times[0])) + 1)
                raise TooManyRequests(
                    f"too many failed logins; wait {wait} s before trying again",
                    headers={"Retry-After": str(wait)},
                )

    def failed(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # bound memory under a spray of names
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token", auto_error=False)


def basic_token(request: Request) -> tuple[str, str] | None:
    """User name and token of ``Authorization: Basic``, whose password is the token."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, colon, token = (
            base64.b64decode(credentials, validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        username, colon, token = "", "", ""
    if not (colon and username and token):
        raise Unauthorized(
            "HTTP Basic authentication takes your user name and, as the password, an "
            "access token from POST /auth/token (not your password)",
            headers=_BEARER,
        )
    return username, token


def _basic_principal(tokens: TokenService, username: str, token: str) -> Principal:
    """The principal of a token sent as a Basic password, which must be ``username``'s."""
    try:
        principal = tokens.check(token)
    except Unauthorized:
        raise Unauthorized(
            "the password of HTTP Basic authentication must be a valid access token, not "
            "your password: get one from POST /auth/token (they expire)",
            headers=_BEARER,
        ) from None
    if principal.username != username:
        raise Unauthorized(
            f"the access token is not {username!r}'s: send your own user name with your own token",
            headers=_BEARER,
        )
    return principal


def current_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller of a protected route; 401 without a valid token (bearer or Basic)."""
    tokens: TokenService = request.app.state.tokens
    basic = None if token else basic_token(request)
    if token:
        claimed = tokens.check(token)
    elif basic:
        claimed = _basic_principal(tokens, *basic)
    else:
        raise Unauthorized(
            "this resource needs an access token: POST your user name and password to "
            "/auth/token and send the token as 'Authorization: Bearer <token>' (or as "
            "the password of HTTP Basic authentication)",
            headers=_BEARER,
        )
    return live_principal(get_store(request), claimed)


CurrentUser = Annotated[Principal, Depends(current_user)]


class Token(BaseModel):
    """An OAuth2 access token response."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int
    role: Role
    union: str | None = None


def _login(store: Store, request: Request, form: OAuth2PasswordRequestForm) -> Token:
    limiter: LoginLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "unknown"
    key = f"{form.username}\x00{client}"
    limiter.check(key)
    account = authenticate(store, form.username, form.password)
    if account is None:
        limiter.failed(key)
        raise Unauthorized("wrong user name or password", headers=_BEARER)
    limiter.succeeded(key)
    tokens: TokenService = request.app.state.tokens
    principal = Principal.from_account(account)
    return Token(
        access_token=tokens.issue(principal),
        expires_in=tokens.minutes * 60,
        role=principal.role,
        union=principal.union_id,
    )


def auth_router(*, store_dependency: Any = StoreDep, responses: dict[Any, Any]) -> APIRouter:
    """``POST /auth/token`` (OAuth2 password flow)."""
    router = APIRouter(tags=["auth"])

    @router.post(
        "/auth/token",
        response_model=Token,
        summary="Get an access token",
        responses={k: v for k, v in responses.items() if k in (400, 401, 413, 422, 429, 503)},
    )
    def token(
        request: Request,
        form: Annotated[OAuth2PasswordRequestForm, Depends()],
        store: Annotated[Store, store_dependency],
    ) -> Token:
        """OAuth2 password flow: user name and password in, a bearer token out."""
        return _login(store, request, form)

    return router


def generated_secret() -> str:
    """A random key for a demo store (tokens die with the process)."""
    return secrets.token_urlsafe(48)
