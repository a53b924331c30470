"""Settings of the web API, read from the environment (``PASTURE_`` prefix) at the edge only."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
