"""Answers the local server builds for functions it knows nothing of, and the input of a prompt."""

import json
import re

_JSON_BLOCK = re.compile(r"```json\s*(.*?)```", re.DOTALL)


def extract_input(prompt: str) -> dict:
    """The input data of a prompt: its last fenced ```json block (how the specs render their input)."""
    blocks = _JSON_BLOCK.findall(prompt or "")
    return json.loads(blocks[-1]) if blocks else {}


def schema_value(schema: dict):
    """A value satisfying a (strict, simple) JSON schema, for functions the server knows nothing of."""
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        return {name: schema_value(sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [schema_value(schema.get("items", {"type": "string"}))]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    return "text"
