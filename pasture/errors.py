"""Domain exceptions. The API maps each class to an HTTP status in one table."""

from __future__ import annotations

from grazing_models.errors import InvalidInput as InvalidInput
from grazing_models.errors import PastureError
from grazing_models.errors import Problem as Problem


class StoreError(PastureError):
    """The store cannot be opened or used (bad URL, unreachable server, wrong schema)."""


class StoreUnavailable(StoreError):
    """The database went away; the same call may succeed later."""


class NotFound(PastureError):
    """A record, layer or file that was asked for does not exist."""


class AlreadyExists(PastureError):
    """A record with this id is already stored."""


class VersionConflict(PastureError):
    """An edit was based on a version that is no longer the current one."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class PlanStateConflict(InvalidInput):
    """A plan is not in the state this step needs (e.g. only a draft can be approved).

    A subclass of InvalidInput so that callers catching that (the CLI's exit
    code 3) keep working; the API answers it with 409 Conflict.
    """
