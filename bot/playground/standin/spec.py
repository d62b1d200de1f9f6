"""Validation of request bodies against Discord's official OpenAPI spec (discord-api-spec).

The spec is loaded once per process into a ``referencing.Registry`` (draft 2020-12) under the
URI ``urn:discord``; one validator per schema is compiled lazily and cached.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import Problem

SPEC_URI = "urn:discord"
_CANDIDATES = (
    Path(__file__).with_name("discord-openapi.json"),
    Path("/work/shared/discord-openapi.json"),
)


def spec_path() -> Path:
    override = os.environ.get("DISCORD_OPENAPI_SPEC")
    if override:
        return Path(override)
    for candidate in _CANDIDATES:
        if candidate.exists():
            return candidate
    raise FileNotFoundError("Discord's OpenAPI spec (discord-openapi.json) was not found")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec, with one adjustment: a snowflake may also be a JSON integer. Discord accepts
    that and discord.py sends some that way (``recipient_id``, attachment placeholder ids)."""
    with spec_path().open(encoding="utf-8") as fh:
        spec: dict[str, Any] = json.load(fh)
    schemas = spec["components"]["schemas"]
    schemas["SnowflakeType"] = {
        "anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]
    }
    return spec


@functools.cache
def registry() -> Registry:
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry = Registry().with_resource(SPEC_URI, resource)
    return registry


# ``oneOf`` tries every alternative (to prove that exactly one matches), which makes a message
# with a few action rows cost milliseconds to validate. The same components come back on every
# edit, so an instance already found valid under a given ``oneOf`` is remembered (valid verdicts
# only: errors are always computed afresh, with their paths).
_ONE_OF = jsonschema.Draft202012Validator.VALIDATORS["oneOf"]
_VALID_ONE_OF: set[tuple[int, bytes]] = set()  # (id of the oneOf, digest of the instance)
_MEMO_LIMIT = 50_000


def _memo_one_of(validator: Any, one_of: Any, instance: Any, schema: Any) -> Iterator[Any]:
    try:
        if not isinstance(instance, dict | list):
            raise TypeError("a scalar is quick to check")
        text = json.dumps(instance, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # not JSON (a test's hand-made body): no memo
        yield from _ONE_OF(validator, one_of, instance, schema)
        return
    key = (id(one_of), hashlib.blake2b(text.encode(), digest_size=16).digest())
    if key in _VALID_ONE_OF:
        return
    errors = list(_ONE_OF(validator, one_of, instance, schema))
    if not errors:
        if len(_VALID_ONE_OF) >= _MEMO_LIMIT:
            _VALID_ONE_OF.clear()
        _VALID_ONE_OF.add(key)
    yield from errors


_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"oneOf": _memo_one_of})


@functools.cache
def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    """The compiled validator for ``#/components/schemas/<schema_name>``."""
    if schema_name not in load_spec()["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the Discord spec")
    ref = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    return _Validator(ref, registry=registry())


def normalise(body: Any) -> Any:
    """A copy with discord.py's integer attachment ids turned into strings, as the spec wants."""
    body = copy.deepcopy(body)

    def fix(payload: Any) -> None:
        if isinstance(payload, dict) and isinstance(payload.get("attachments"), list):
            for attachment in payload["attachments"]:
                if isinstance(attachment, dict) and isinstance(attachment.get("id"), int):
                    attachment["id"] = str(attachment["id"])

    fix(body)
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        fix(body["data"])
    return body


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    if not error.context:
        yield error
        return
    for sub in error.context:
        yield from _leaves(sub)


def _dotted(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(body)"


def _message(error: ValidationError) -> str:
    """A short message: sizes instead of echoing a long value."""
    limit, size = error.validator_value, None
    if error.validator in ("maxLength", "minLength") and isinstance(error.instance, str):
        size = f"has {len(error.instance)} characters"
    elif error.validator in ("maxItems", "minItems") and isinstance(error.instance, list):
        size = f"has {len(error.instance)} items"
    if size is not None:
        bound = "at most" if str(error.validator).startswith("max") else "at least"
        return f"{size}; {bound} {limit} (spec)"
    text = str(error.message)
    return text if len(text) <= 200 else text[:197] + "..."


def _explain(error: ValidationError) -> list[Problem]:
    """The most telling leaves of a (possibly oneOf/anyOf) error: deepest path first, and
    discriminator mismatches ("2 is not one of [8]") only when nothing better exists."""
    leaves = list(_leaves(error))
    depth = max(len(leaf.absolute_path) for leaf in leaves)
    deepest = [leaf for leaf in leaves if len(leaf.absolute_path) == depth]
    telling = [leaf for leaf in deepest if leaf.validator not in ("enum", "const")] or deepest
    seen: dict[tuple[str, str], Problem] = {}
    for leaf in telling:
        problem = Problem(_dotted(leaf), _message(leaf), rule="schema")
        seen.setdefault((problem.path, problem.message), problem)
    return list(seen.values())[:5]


def validate(schema_name: str, body: Any, *, prefix: str = "") -> list[Problem]:
    """Problems of ``body`` against a named schema (empty when it conforms)."""
    problems: list[Problem] = []
    for error in validator(schema_name).iter_errors(normalise(body)):
        for problem in _explain(error):
            path = problem.path if not prefix else f"{prefix}.{problem.path}"
            if problem.path == "(body)" and prefix:
                path = prefix
            problems.append(Problem(path, problem.message, problem.rule))
    return problems


def request_schema(path: str, method: str) -> dict[str, Any] | None:
    """The JSON request-body schema of a spec path (e.g. ``/channels/{channel_id}/messages``)."""
    operation = load_spec()["paths"].get(path, {}).get(method.lower())
    if not operation or "requestBody" not in operation:
        return None
    schema: dict[str, Any] | None = (
        operation["requestBody"]["content"].get("application/json", {}).get("schema")
    )
    return schema
