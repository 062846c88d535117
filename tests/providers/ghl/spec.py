"""Check HighLevel requests and responses against the published OpenAPI specs.

One correction is applied to the published spec: `CalendarEventDTO` types its time fields as
`object` while every example (and HighLevel itself) sends ISO strings; such fields accept
strings here (providers.md §2.3).
"""

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REFERENCE = Path(__file__).parent / "reference"
SPEC_FILES = ("calendars.openapi.json", "contacts.openapi.json")


def _fix_errata(node: Any) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "object" and isinstance(node.get("example"), str):
            node = {**node, "type": "string"}
        return {k: _fix_errata(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_fix_errata(v) for v in node]
    return node


@cache
def spec(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REFERENCE / name).read_text())
    fixed: dict[str, Any] = _fix_errata(copy.deepcopy(document))
    return fixed


def _schema_validator(name: str, schema: dict[str, Any]) -> Draft7Validator:
    """A validator for `schema`, resolving `#/components/...` inside the spec document."""
    uri = f"urn:ghl:{name}"
    registry: Registry[Any] = Registry().with_resource(
        uri, Resource.from_contents(spec(name), default_specification=DRAFT7)
    )
    rebased = json.loads(json.dumps(schema).replace('"#/components/', f'"{uri}#/components/'))
    return Draft7Validator(rebased, registry=registry)


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The spec file, operation and path parameters for a concrete request path."""
    candidates = []
    for name in SPEC_FILES:
        for template, item in spec(name)["paths"].items():
            if method.lower() not in item:
                continue
            pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/")) + "/?$"
            match = re.match(pattern, path)
            if match:
                literal = len(re.sub(r"\{\w+\}", "", template))
                candidates.append((literal, name, item[method.lower()], match.groupdict()))
    if not candidates:
        raise AssertionError(f"{method} {path} is not in the published spec")
    _, name, operation, params = max(candidates, key=lambda c: c[0])
    return name, operation, params


def _check_value(value: str, schema: dict[str, Any], where: str) -> list[str]:
    kind = schema.get("type")
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return [f"{where}: {value!r} is not a number"]
    if kind == "boolean" and value not in ("true", "false"):
        return [f"{where}: {value!r} is not a boolean"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    return []


def request_problems(request: httpx.Request, *, prefix: str = "") -> list[str]:
    """Everything about a request that the published spec does not allow."""
    path = request.url.path.removeprefix(prefix)
    name, operation, _ = find_operation(request.method, path)
    problems: list[str] = []
    declared = {(p["in"], p["name"]): p for p in operation.get("parameters", [])}
    for (where, pname), param in declared.items():
        if where == "header":
            value = request.headers.get(pname)
        elif where == "query":
            value = request.url.params.get(pname)
        else:
            continue
        if value is None:
            if param.get("required"):
                problems.append(f"missing required {where} parameter {pname}")
            continue
        problems.extend(_check_value(value, param.get("schema", {}), f"{where} {pname}"))
    for pname in request.url.params:
        if ("query", pname) not in declared:
            problems.append(f"undeclared query parameter {pname}")
    body_spec = operation.get("requestBody")
    if body_spec is not None:
        schema = body_spec["content"]["application/json"]["schema"]
        body = json.loads(request.content or b"null")
        validator = _schema_validator(name, schema)
        problems.extend(f"body: {e.message}" for e in validator.iter_errors(body))
        if isinstance(body, dict) and "$ref" in schema:
            target = schema["$ref"].split("/")[-1]
            allowed = spec(name)["components"]["schemas"][target].get("properties", {})
            problems.extend(f"body: undeclared field {k}" for k in body if k not in allowed)
    elif request.content:
        problems.append("body sent to an operation that takes none")
    return problems


def response_problems(method: str, path: str, body: Any, status: int = 200) -> list[str]:
    name, operation, _ = find_operation(method, path)
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = _schema_validator(name, schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]
