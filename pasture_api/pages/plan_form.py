"""The 'new plan' form, drawn from the parameter models themselves.

Every field of :class:`~grazing_models.rotation.RotationParams` and
:class:`~pasture.planning.PlanningParams` becomes an input with its default
(from :func:`pasture.planning.service.default_params`, the defaults the API
and the CLI also get) and its description (the model's numpydoc
``Attributes`` section), so a field added to either model shows up here
without a change to this module.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

__all__ = ["DOC_CONTEXT", "FormField", "attribute_docs", "form_fields", "parse_form", "plain"]

#: The gettext context of the fields' descriptions in the catalogues: their message ids
#: are the English texts of the docstrings, markup removed (see :func:`plain`).
DOC_CONTEXT = "parameter"

#: The two parameter groups of a plan: (form prefix, PlanRequest field).
GROUPS: tuple[tuple[str, str], ...] = (("params", "params"), ("planning", "planning"))


@dataclass(frozen=True)
class FormField:
    """One input of the form: its name, kind, the default shown and what it means."""

    group: str
    name: str
    kind: str  # "number", "integer", "text", "checkbox" or "json"
    default: str
    optional: bool
    doc: str

    @property
    def key(self) -> str:
        """The input's name in the form: ``group.field``."""
        return f"{self.group}.{self.name}"


def plain(text: str) -> str:
    """A docstring's text without its reST markup: ``code``, :role:`name` and *emphasis*."""
    text = re.sub(r":[\w:]+:`~?([^`]+)`", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    return re.sub(r"\*([^*\s][^*]*)\*", r"\1", text)


def attribute_docs(model: type) -> dict[str, str]:
    """Field name → plain text, from the numpydoc ``Attributes`` section of a class's
    docstring (the message id of its translations, context :data:`DOC_CONTEXT`)."""
    doc = inspect.getdoc(model) or ""
    match = re.search(r"^Attributes\n-+\n(.*?)(?:\n\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M)
    if not match:
        return {}
    docs: dict[str, str] = {}
    names: list[str] = []
    for line in match.group(1).splitlines():
        if line and not line.startswith(" "):
            if not re.fullmatch(r"\w+(\s*,\s*\w+)*", line.strip()):
                break  # prose after the section (a note to the class): not a field
            names = [n.strip() for n in line.split(",") if n.strip()]
            for n in names:
                docs[n] = ""
        elif names:
            for n in names:
                docs[n] = (docs[n] + " " + line.strip()).strip()
    return {n: plain(d) for n, d in docs.items()}


def _kind(annotation: Any) -> tuple[str, bool]:
    """The input kind of a type annotation and whether ``None`` is allowed."""
    args = get_args(annotation)
    optional = get_origin(annotation) in (Union, UnionType) and NoneType in args
    if optional:
        rest = [a for a in args if a is not NoneType]
        annotation = rest[0] if len(rest) == 1 else annotation
    kinds = {bool: "checkbox", int: "integer", float: "number", str: "text"}
    return kinds.get(annotation, "json"), optional


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if kind == "checkbox":
        return "on" if value else ""
    return str(value)


def form_fields(defaults: dict[str, BaseModel]) -> list[FormField]:
    """The form's inputs for each group's model, with the defaults in ``defaults``."""
    fields = []
    for group, _ in GROUPS:
        model = defaults[group]
        docs = attribute_docs(type(model))
        values = model.model_dump(mode="json")
        for name, info in type(model).model_fields.items():
            kind, optional = _kind(info.annotation)
            fields.append(
                FormField(
                    group, name, kind, _shown(values[name], kind), optional, docs.get(name, "")
                )
            )
    return fields


def _value(field: FormField, text: str) -> Any:
    text = text.strip()
    if text == "" and field.kind != "checkbox":
        if field.optional:
            return None
        raise ValueError("a value is needed")
    if field.kind == "checkbox":
        return text == "on"
    if field.kind == "integer":
        return int(text)
    if field.kind == "number":
        return float(text.replace(",", "."))
    if field.kind == "json":
        return json.loads(text)
    return text


def parse_form(
    fields: list[FormField], form: dict[str, str], models: dict[str, type[BaseModel]]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The changed values per group, and the errors per input (empty when all are valid).

    Only values that differ from the default shown are sent on, so a plan's stored
    parameters say what was changed; each group is validated by its model.
    """
    changed: dict[str, dict[str, Any]] = {g: {} for g, _ in GROUPS}
    errors: dict[str, str] = {}
    for field in fields:
        if field.key not in form:  # not sent: the default stands
            continue
        text = form[field.key]
        if text.strip() == field.default:
            continue
        try:
            changed[field.group][field.name] = _value(field, text)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            errors[field.key] = str(exc)
    for group, values in changed.items():
        try:
            models[group].model_validate(values)
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                name = str(e["loc"][0]) if e["loc"] else ""
                key = f"{group}.{name}" if name else group
                errors[key] = f"{errors.get(key, '')} {e['msg']}".strip()
    return changed, errors
