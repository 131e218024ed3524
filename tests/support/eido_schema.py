"""NENA's official EIDO and STA-024 schemas (vendored in tests/data/eido), as validators.

The schemas are OpenAPI 3.0 documents; their components are validated with
openapi-schema-validator's OAS 3.0 dialect. References are resolved from the vendored files
only: a reference to a NIEM file that is not vendored fails loudly, naming the file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

DATA = Path(__file__).resolve().parents[1] / "data" / "eido"
SCHEMA_BASE = "https://nena.example/eido/"  # only a base URI for the vendored files; never fetched


def _fix(document: Any) -> Any:
    """NENA's openapi.yaml has one typo, `minItems: 1,` (a string), that no validator can apply;
    it is read as the 1 it means (tests/data/eido/README.md)."""
    if isinstance(document, dict):
        return {k: (1 if k == "minItems" and v == "1," else _fix(v)) for k, v in document.items()}
    if isinstance(document, list):
        return [_fix(v) for v in document]
    return document


@cache
def _load(relative: str) -> Any:
    path = DATA / relative
    if not path.is_file():
        raise FileNotFoundError(f"the schema refers to {relative}, which is not vendored in {DATA}")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml reads NIEM's 380 KB ten times faster
    return _fix(yaml.load(path.read_text(encoding="utf-8"), Loader=loader))  # noqa: S506 (a safe loader)


def _retrieve(uri: str) -> Resource:
    if not uri.startswith(SCHEMA_BASE):
        raise FileNotFoundError(uri)
    return Resource.from_contents(_load(uri[len(SCHEMA_BASE):].replace("//", "/")), default_specification=DRAFT4)


def validator(document: str, component: str) -> OAS30Validator:
    registry = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    return OAS30Validator({"$ref": f"{SCHEMA_BASE}{document}#/components/schemas/{component}"}, registry=registry,
                          format_checker=oas30_format_checker)


def _line(error: Any) -> str:
    message = error.message if len(error.message) < 300 else error.message[:300] + "…"
    return f"{'/'.join(map(str, error.absolute_path)) or '(document)'}: {message}"


def eido_errors(instance: Any) -> list[str]:
    """Every way `instance` breaks NENA's EmergencyIncidentDataObjectType, as readable lines."""
    check = validator("schema/openapi.yaml", "EmergencyIncidentDataObjectType")
    return [_line(e) for e in check.iter_errors(instance)]


def websocket_errors(instance: Any, message: str) -> list[str]:
    """Every way `instance` breaks the named STA-024 message schema (e.g. notifierMessage)."""
    check = validator("websocket/websocket.yaml", message)
    return [_line(e) for e in check.iter_errors(instance)]
