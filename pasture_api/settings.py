"""Settings of the web API, read from the environment (``PASTURE_`` prefix) at the edge only."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["DEFAULT_SECRET", "Settings"]

#: A placeholder that must never sign tokens of a production store.
DEFAULT_SECRET = "change-me"  # noqa: S105 - the refused default, not a secret


class Settings(BaseSettings):
    """Everything the API reads from the environment; tests build it with ``_env_file=None``."""

    model_config = SettingsConfigDict(env_prefix="PASTURE_", env_file=".env", extra="ignore")

    store: str = Field(
        default="demo/enbekshikazakh.gpkg",
        description="GeoPackage path or postgresql:// URL of the store (PASTURE_STORE)",
    )
    accounts: str | None = Field(
        default=None,
        description="SQLite file of a GeoPackage store's accounts (PASTURE_ACCOUNTS); "
        "default <store>.accounts.sqlite beside it",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="key that signs access tokens (HS256); at least 32 characters; "
        "required unless the store is the demo",
    )
    public_base_url: str | None = Field(
        default=None,
        description="URL the API is reached at from outside (behind a proxy), "
        "e.g. https://jailym.example.kz; links use the request URL when unset",
    )
    # a client that sends no limit pages with the default: GDAL before 3.7 used 10 a page
    # when the API advertised none (275 requests for the 2741 demo plots); 1000 reads them
    # in 3, and a page of 10000 plots is ~10 MB of GeoJSON, still one quick response
    default_limit: int = Field(
        default=1000, ge=1, description="features per page when limit is not given"
    )
    max_limit: int = Field(
        default=10_000, ge=1, description="largest page; a larger limit is clamped to it"
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1, description="largest request body accepted"
    )
    login_attempts_per_minute: int = Field(
        default=10, ge=1, description="failed logins allowed per user name and client per minute"
    )
    token_minutes: int = Field(default=60, ge=1, description="lifetime of an access token")
    basemap_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="XYZ URL template of the map background (OpenStreetMap by default, "
        "with its attribution); empty: no basemap, the pages work fully offline",
    )
    plan_workers: int = Field(default=1, ge=1, description="plans solved at the same time")
    db_pool_size: int = Field(
        default=8, ge=1, description="PostGIS connections a server process keeps at most"
    )
    db_connect_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="seconds to wait for a PostGIS connection before answering 503 "
        "(docs/deployment.md)",
    )
    db_statement_timeout_s: float = Field(
        default=60.0,
        ge=0,
        description="seconds a PostGIS statement may run before the server cancels it "
        "(503); 0: no limit",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For "
        "is believed, e.g. 127.0.0.1,10.0.0.0/8; empty: the header is ignored and the "
        "client is the connecting peer (PASTURE_TRUSTED_PROXIES, comma-separated)",
    )

    census_min_group: int = Field(
        default=3,
        ge=1,
        description="fewest households a census total may sum; smaller groups are "
        "suppressed (threshold rule, docs/domain.md 'Census disclosure control')",
    )
    census_dominance_n: int = Field(
        default=1,
        ge=1,
        description="(n, k) dominance rule: a census count is suppressed when its n largest "
        "households hold more than k % of it (docs/domain.md 'Census disclosure control')",
    )
    census_dominance_k: float = Field(
        default=75.0,
        gt=0,
        le=100,
        description="(n, k) dominance rule: the share, in per cent, that the n largest "
        "households of a census count may hold at most",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        """A comma-separated environment value becomes a list; each must be an address."""
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            for item in value:
                try:
                    ipaddress.ip_network(str(item), strict=False)
                except ValueError:
                    raise ValueError(
                        f"trusted_proxies: {item!r} is not an IP address or CIDR network "
                        "(e.g. 127.0.0.1 or 10.0.0.0/8)"
                    ) from None
        return value
