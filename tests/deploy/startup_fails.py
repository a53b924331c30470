"""An app factory for tests/deploy/test_serve.py: the real app, whose store fails to open in
every worker, as when the database goes away after `pasture serve` checked it."""

from __future__ import annotations

from fastapi import FastAPI

from pasture.errors import StoreUnavailable
from pasture.store import Store
from pasture_api.main import create_app
from pasture_api.settings import Settings

MESSAGE = "the database went away after the check"


def _refuse(url: str) -> Store:
    raise StoreUnavailable(MESSAGE)


def app_whose_store_fails() -> FastAPI:
    return create_app(Settings(), open_store=_refuse)
