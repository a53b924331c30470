"""Who sees what: the access policy of every role, in one place (deny by default)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pasture.disclosure import DisclosureRules
from pasture.errors import InvalidInput, NotFound
from pasture.model import LAYERS, Layer
from pasture.store import Record, Store

from .auth import Principal
from .errors import Forbidden
from .settings import Settings
from .users import Role

__all__ = [
    "PUBLIC_LAYERS",
    "check_household_field",
    "check_union_fields",
    "disclosure_rules",
    "hidden_fields",
    "not_found",
    "plan_summary",
    "read_filter",
    "require_role",
    "require_union",
    "scoped_where",
    "sees_all_unions",
    "sees_households",
    "sees_personal_data",
    "union_scope",
    "union_where",
    "visible_plots",
]

#: Map layers every signed-in role reads in full (plots and boundaries are public map data).
PUBLIC_LAYERS = frozenset({"okrugs", "settlements", "unions", "plots", "water_points", "routes"})
#: Layers scoped to the caller's union for union accounts.
UNION_SCOPED_LAYERS = frozenset({"households", "census", "herds"})


def require_role(principal: Principal, *roles: Role) -> None:
    """Forbidden unless the caller has one of ``roles``."""
    if principal.role not in roles:
        allowed = " or ".join(r.value for r in roles)
        raise Forbidden(
            f"only {allowed} accounts may do this; you are signed in as {principal.role.value}"
        )


def read_filter(principal: Principal, layer: Layer) -> dict[str, Any]:
    """Conditions added to every read of ``layer`` by this caller."""
    if layer.name in PUBLIC_LAYERS:
        return {}
    if layer.name not in UNION_SCOPED_LAYERS:
        raise Forbidden(f"{layer.name} is not served")  # deny by default
    if principal.role is Role.UNION:
        assert layer.union_field is not None
        return {layer.union_field: principal.union_id}
    return {}


def scoped_where(
    principal: Principal, layer: Layer, where: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The caller's filter narrowed to its scope; None when the two cannot both hold."""
    scope = read_filter(principal, layer)
    if any(k in where and where[k] != v for k, v in scope.items()):
        return None
    return {**where, **scope}


#: Roles that read personal data (households' names, a household's head counts): the
#: akimat, and a union within its own union. Analysts and the maslikhat's secretariat read
#: everything else, and census aggregates only.
PERSONAL_DATA_ROLES = frozenset({Role.AKIMAT, Role.UNION})

#: Fields that name one household, per layer. Roles without personal data read households
#: and census only as anonymous rows (docs/domain.md "Census disclosure control"): with an
#: id, a row could be linked to other rows, to a census group and its total, or to a person.
HOUSEHOLD_IDENTIFIERS: Mapping[str, frozenset[str]] = {
    "households": frozenset({"id"}),
    "census": frozenset({"id", "household_id"}),
}


def sees_personal_data(principal: Principal) -> bool:
    """Whether the caller reads personal fields (within its scope)."""
    return principal.role in PERSONAL_DATA_ROLES


def hidden_fields(principal: Principal, layer: Layer) -> frozenset[str]:
    """Fields this caller must not see: for analysts and the maslikhat, personal data and
    household ids."""
    if not sees_personal_data(principal):
        personal = frozenset(f.name for f in layer.fields if f.personal)
        return personal | HOUSEHOLD_IDENTIFIERS.get(layer.name, frozenset())
    return frozenset()


def sees_households(principal: Principal, layer: Layer) -> bool:
    """Whether the caller may ask for one household's record of ``layer`` by its id."""
    return not (hidden_fields(principal, layer) & HOUSEHOLD_IDENTIFIERS.get(layer.name, set()))


def disclosure_rules(settings: Settings) -> DisclosureRules:
    """The census disclosure rules this server applies to every published total."""
    return DisclosureRules(
        min_group=settings.census_min_group,
        dominance_n=settings.census_dominance_n,
        dominance_k=settings.census_dominance_k,
    )


def in_scope(principal: Principal, layer: Layer, properties: Mapping[str, Any]) -> bool:
    """Whether one stored record is visible to the caller."""
    conditions = read_filter(principal, layer)
    return all(properties.get(k) == v for k, v in conditions.items())


def union_scope(principal: Principal) -> str | None:
    """The one union a caller's reads are confined to; None for roles that see every union."""
    return principal.union_id if principal.role is Role.UNION else None


def sees_all_unions(principal: Principal) -> bool:
    """Whether the caller may see every union (akimat, analysts, the maslikhat)."""
    return union_scope(principal) is None


def union_where(principal: Principal) -> dict[str, Any]:
    """Conditions on rows that carry a ``union_id`` (assignments, herds, deficits)."""
    scope = union_scope(principal)
    return {} if scope is None else {"union_id": scope}


def require_union(principal: Principal, union_id: str) -> None:
    """The same 404 as a missing union when the caller may not see this one."""
    scope = union_scope(principal)
    if scope is not None and scope != union_id:
        raise NotFound(f"no union {union_id!r}")


def plan_summary(principal: Principal, summary: Any) -> Any:
    """A plan's summary as the caller may see it: none for a union (it describes every union)."""
    return summary if sees_all_unions(principal) else None


def visible_plots(principal: Principal, plots: Any, assignments: Any) -> Any:
    """Plots of a rotation map: a union's own and those its herds graze; all for other roles."""
    scope = union_scope(principal)
    if scope is None:
        return plots
    used = set(assignments["plot_id"].dropna().astype(str))
    return plots[(plots["union_id"] == scope) | plots["id"].isin(used)]


def not_found(layer: Layer, record_id: str) -> NotFound:
    """The same 404 as a missing record, so scope does not leak existence."""
    return NotFound(f"no {layer.name} record with id {record_id!r}")


def check_household_field(
    store: Store,
    principal: Principal,
    layer: Layer,
    record: Record,
    changes: Mapping[str, Any],
) -> None:
    """A union account may point a record only at a household of its own union.

    Another union's household answers as a missing one (scope does not leak existence);
    the store itself refuses, for every role, a record whose union is not its household's.
    """
    wanted = changes.get("household_id")
    if principal.role is not Role.UNION or wanted in (None, record.properties.get("household_id")):
        return
    try:
        household = store.get("households", str(wanted))
    except NotFound:
        household = None
    if household is None or household.properties.get("union_id") != principal.union_id:
        raise InvalidInput(
            f"{layer.name} {record.id!r}", [f"no household {wanted!r} in your union"]
        )


def check_union_fields(principal: Principal, layer: Layer, changes: Mapping[str, Any]) -> None:
    """A union account may not move a record to another union through any field."""
    if principal.role is not Role.UNION or layer.union_field is None:
        return
    if layer.union_field in changes and changes[layer.union_field] != principal.union_id:
        raise Forbidden(
            f"a union account may set {layer.union_field} only to its own union "
            f"({principal.union_id})"
        )


assert set(LAYERS) >= UNION_SCOPED_LAYERS | PUBLIC_LAYERS
