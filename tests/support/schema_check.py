"""Validates API responses against the published OpenAPI schema (``/api/schema/``).

Used by an autouse fixture in ``tests/conftest.py``: every response any test receives from
``/api/v1/...`` — through ``APIClient`` or Django's ``Client`` — must be documented (path,
method and status) and its JSON body must match the documented schema *exactly*: objects may
not carry properties the schema does not list (``additionalProperties: false`` unless the
schema allows more), required properties must be there, types, enums, patterns and nullability
must agree. Error responses the kernel gives on any path (unknown endpoint 404, 405, 500) must
be in the one error shape. A test that must see an off-schema response on purpose marks itself
``@pytest.mark.schema_unchecked("why")``.
"""

import copy
import json
import re
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

API_PREFIX = "/api/v1/"
ERROR_REF = "#/components/schemas/Error"


class SchemaMismatch(AssertionError):
    pass


def _to_json_schema(node: Any, *, strict: bool = True) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema 2020-12 (nullable, closed objects)."""
    if isinstance(node, list):
        return [_to_json_schema(n, strict=strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v, strict=strict) for k, v in node.items() if k != "nullable"}
    for key in ("readOnly", "writeOnly", "example", "discriminator", "xml", "externalDocs"):
        out.pop(key, None)
    if out.get("$ref", "").startswith("#/components/schemas/"):
        out["$ref"] = "urn:api-schema" + out["$ref"]
    if strict and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def published_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(schema, default=str))


@cache
def _registry() -> Registry:
    schema = published_schema()
    components = {"components": {"schemas": {}}}
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        components["components"]["schemas"][name] = _to_json_schema(component)
    resource = Resource.from_contents(components, default_specification=DRAFT202012)
    return Registry().with_resource("urn:api-schema", resource)


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in published_schema()["paths"]:
        regex = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        patterns.append((re.compile(f"^{regex}$"), template))
    # the most specific (fewest parameters) first
    patterns.sort(key=lambda pair: (pair[1].count("{"), -len(pair[1])))
    return patterns


def _operation(path: str, method: str) -> tuple[str | None, dict[str, Any] | None]:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            item = published_schema()["paths"][template]
            return template, item.get(method.lower())
    return None, None


def _validate(body: Any, schema: dict[str, Any], where: str) -> None:
    validator = jsonschema.Draft202012Validator(
        _to_json_schema(schema),
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"- at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in errors[:10]
        ]
        summary = "\n".join(lines)
        raise SchemaMismatch(f"{where}: the response does not match the schema:\n{summary}")


def check_response(method: str, path: str, response: Any) -> None:
    """Raise ``SchemaMismatch`` if the response disagrees with the published schema."""
    if not path.startswith(API_PREFIX):
        return
    status = response.status_code
    where = f"{method} {path} → {status}"
    content_type = response.get("Content-Type", "")
    is_json = content_type.startswith("application/json")
    body = json.loads(response.content) if is_json and response.content else None
    template, operation = _operation(path, method)
    if status == 500 or template is None or operation is None:
        # crashes, unknown endpoints and unsupported methods: the one error shape, always
        if status < 400 and method not in ("HEAD", "OPTIONS"):
            raise SchemaMismatch(f"{where}: this endpoint is not in the published schema")
        if method in ("HEAD", "OPTIONS") and status < 400:
            return
        if not is_json:
            raise SchemaMismatch(f"{where}: an API error must be JSON, got {content_type!r}")
        _validate(body, {"$ref": ERROR_REF}, where)
        return
    if status == 201 and not response.has_header("Location"):
        raise SchemaMismatch(f"{where}: a 201 must carry a Location header")
    documented = operation.get("responses", {})
    spec = documented.get(str(status)) or documented.get("default")
    if spec is None:
        raise SchemaMismatch(
            f"{where}: status {status} is not documented for {method} {template} "
            f"(documented: {', '.join(sorted(documented))})"
        )
    content = spec.get("content")
    if not content:
        if response.content and status != 204 and is_json:
            raise SchemaMismatch(f"{where}: documented without a body, but one was sent")
        return
    if not is_json:
        media = content_type.split(";")[0].strip()
        if media not in content and not any(m.endswith("/*") or "octet" in m for m in content):
            raise SchemaMismatch(f"{where}: {media!r} is not a documented media type")
        return
    media_spec = content.get("application/json")
    if media_spec is None:
        raise SchemaMismatch(f"{where}: JSON is not a documented media type ({list(content)})")
    _validate(body, copy.deepcopy(media_spec.get("schema", {})), where)
