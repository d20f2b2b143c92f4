"""What the scenario language is, generated from its registries: the reference documentation
(`mocks/REFERENCE.md`) and the JSON Schema editors use to complete and check scenario files
(`mocks/scenario.schema.json`). A test keeps both files current; regenerate them with

    python -m taskmock._reference
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from taskmock._checks.lifecycle import LIFECYCLE_RULES
from taskmock._core.conditions import IS_KINDS
from taskmock._core.jwt_auth import JWT_OPTIONS, REFUSALS
from taskmock._core.registry import Option
from taskmock._core.roles import ROLES
from taskmock._core.scenario import KIND_KEYS
from taskmock._core.source import load_document
from taskmock._core.template import EXPRESSIONS, INSTANT, RECORD, STEP
from taskmock._resources import mocks_dir

__all__ = ["editor_schema", "main", "reference_markdown"]

_HOLDS = {RECORD: "the task's life", STEP: "one lifecycle step", INSTANT: "an instant"}
_TEMPLATE = {"$ref": "#/$defs/template"}


def _option_rows(options: tuple[Option, ...]) -> list[str]:
    rows = []
    for option in options:
        names = f"`{option.name}`" + "".join(f", `{a}`" for a in option.aliases)
        needed = "yes" if option.required else ""
        rows.append(f"| {names} | {needed} | {option.description} |")
    return rows


def reference_markdown() -> str:
    """The reference of template expressions, operation roles and lifecycle conditions."""
    lines = [
        "# Scenario file reference",
        "",
        "Generated from `src/taskmock/_core/expressions.py`, `src/taskmock/_core/roles.py` and",
        "`src/taskmock/_core/jwt_auth.py` by",
        "`python -m taskmock._reference`; do not edit by hand. How to write a scenario file",
        "is in [README.md](README.md); editors check and complete scenario files with",
        "[scenario.schema.json](scenario.schema.json) (first line of a file:",
        "`# yaml-language-server: $schema=scenario.schema.json`).",
        "",
        "## Template expressions",
        "",
        "A mapping with a `$` key is an expression: `{ $: progress, state: running, to: 100 }`.",
        "Any other value is copied, its members and items rendered. *Holds for* says how long a",
        "value stays the same; the poll path encodes what holds for a step once per step.",
        "",
    ]
    for entry in EXPRESSIONS.entries():
        holds = _HOLDS[entry.holds] if isinstance(entry.holds, int) else "depends on its options"
        lines += [f"### `{entry.name}`", "", entry.summary, "", f"Holds for: {holds}.", ""]
        if entry.options:
            lines += [
                "| option | required | meaning |",
                "|---|---|---|",
                *_option_rows(entry.options),
                "",
            ]
    lines += [
        "## Operation roles",
        "",
        "Each spec operation the mock plays has a `role` and the role's options, under its",
        "operationId in `operations`.",
        "",
    ]
    for role in ROLES.entries():
        lines += [f"### `{role.name}`", "", role.summary, ""]
        if role.options:
            lines += [
                "| option | required | meaning |",
                "|---|---|---|",
                *_option_rows(role.options),
                "",
            ]
    lines += [
        "## Credentials (`auth`)",
        "",
        "The plain form accepts a header value of one of the `credentials` shapes (`prefix`, then",
        "a token matching `pattern`); a shape with its own `header` travels in that header instead",
        "(a key in `x-api-key`, or a bearer token in `Authorization`). The owner of a task is the",
        "credential as sent. The signed form, `jwt`, verifies a JSON Web Token on every request",
        "(needs `taskmock[jwt]`); the key that signed it owns the task, so every token of one key",
        "sees the same tasks. Token times are wall time. Its options:",
        "",
        "| option | required | meaning |",
        "|---|---|---|",
        *_option_rows(JWT_OPTIONS),
        "",
        f"Refusals, as keys of `jwt.errors`: {', '.join(f'`{r}`' for r in REFUSALS)}.",
        "",
        "## Kinds of task (`kinds`)",
        "",
        "An API with two task resources (each with its own schema, body, operations and",
        "scenarios) lists them under `kinds`, by name. Each kind may say "
        + ", ".join(f"`{k}`" for k in KIND_KEYS)
        + "; what it leaves out it takes from the file's own keys (`errors` and `templates` are",
        "merged entry by entry). An operation belongs to one kind, a task to the kind whose create",
        "made it: only that kind's operations find it, list it or cancel it. Ids are drawn per",
        "kind and never shared. The control plane creates a task of a kind with",
        '`{"api": ..., "kind": ...}` (default the first).',
        "",
        "## Lifecycle conditions (`x-lifecycle` in a spec)",
        "",
        "A state whose status is not one field's value says how it shows with `when`: dotted field",
        "paths mapped to predicates, all of which must hold. A body is in the first declared state",
        "whose condition holds.",
        "",
        "| predicate | holds when the field is |",
        "|---|---|",
        "| a value (`true`, `COMPLETED`, `0`) | there and equal to it (`true` is not `1`) |",
        "| `{in: [a, b]}` | there and one of them |",
        '| `{is: set}` | there and not null, `""` or `0` |',
        "| `{is: null}` | absent or null |",
        '| `{is: empty}` | absent, null, `""` or `0` |',
        "| `{is: absent}` / `{is: present}` | not there / there, whatever its value |",
        "| `{schema: {...}}` | there and valid against the JSON Schema |",
        "| `{any-of: [p, q]}` | any of the predicates holds |",
        "",
    ]
    assert IS_KINDS == ("set", "null", "empty", "absent", "present")  # the table above lists these
    lines += [
        "## Lifecycle rules the checks judge (`taskmock check`, the contract suite)",
        "",
        "Over the polls of one task, in order; each finding names its rule. A rule the spec marks",
        "`inferred` gives a warning, one it documents an error.",
        "",
        "| rule | checks |",
        "|---|---|",
        *(f"| `{rule.name}` | {rule.summary} |" for rule in LIFECYCLE_RULES.entries()),
        "",
    ]
    return "\n".join(lines)


def _expression_schema() -> dict[str, Any]:
    cases = []
    for entry in EXPRESSIONS.entries():
        properties: dict[str, Any] = {"$": {"const": entry.name}}
        for option in entry.options:
            for name in (option.name, *option.aliases):
                properties[name] = {
                    **(option.schema if option.schema is not None else _TEMPLATE),
                    "description": option.description,
                }
        required = ["$", *(o.name for o in entry.options if o.required and not o.aliases)]
        cases.append(
            {
                "if": {"properties": {"$": {"const": entry.name}}, "required": ["$"]},
                "then": {
                    "description": entry.summary,
                    "properties": properties,
                    "required": required,
                    "additionalProperties": False,
                },
            }
        )
    return {
        "type": "object",
        "required": ["$"],
        "properties": {"$": {"enum": list(EXPRESSIONS), "description": "The expression."}},
        "allOf": cases,
    }


def _operation_schema() -> dict[str, Any]:
    cases = []
    for role in ROLES.entries():
        properties: dict[str, Any] = {"role": {"const": role.name}}
        for option in role.options:
            properties[option.name] = {
                **(option.schema if option.schema is not None else _TEMPLATE),
                "description": option.description,
            }
        cases.append(
            {
                "if": {"properties": {"role": {"const": role.name}}, "required": ["role"]},
                "then": {
                    "description": role.summary,
                    "properties": properties,
                    "required": ["role", *(o.name for o in role.options if o.required)],
                    "additionalProperties": False,
                },
            }
        )
    return {
        "type": "object",
        "required": ["role"],
        "properties": {"role": {"enum": list(ROLES), "description": "What the mock does."}},
        "allOf": cases,
    }


def editor_schema() -> dict[str, Any]:
    """The scenario-file schema with templates and roles typed (the loader reads the untyped
    `scenario.schema.yaml` and checks templates and roles itself, with sharper messages)."""
    schema: dict[str, Any] = json.loads(
        json.dumps(load_document(mocks_dir() / "scenario.schema.yaml").data)
    )
    defs = schema["$defs"]
    defs["template"] = {
        "description": "A value; a mapping with `$` is an expression (see REFERENCE.md).",
        "anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": _TEMPLATE},
            {"type": "object", "not": {"required": ["$"]}, "additionalProperties": _TEMPLATE},
            {"$ref": "#/$defs/expression"},
        ],
    }
    defs["expression"] = _expression_schema()
    defs["operation"] = {"description": defs["operation"]["description"], **_operation_schema()}
    defs["body"] = {**_TEMPLATE, "description": defs["body"]["description"]}
    defs["templates"]["additionalProperties"] = _TEMPLATE
    defs["scenario"]["properties"]["fields"]["additionalProperties"] = _TEMPLATE
    schema["title"] = "taskmock scenario file (for editors; generated by taskmock._reference)"
    return schema


def _files() -> dict[Path, str]:
    return {
        mocks_dir() / "REFERENCE.md": reference_markdown() + "\n",
        mocks_dir() / "scenario.schema.json": json.dumps(editor_schema(), indent=2) + "\n",
    }


def main() -> int:
    """Write the generated files (`--check`: say which are stale, exit 1)."""
    stale = [
        path for path, text in _files().items() if not path.is_file() or path.read_text() != text
    ]
    if "--check" in sys.argv[1:]:
        for path in stale:
            print(f"{path} is stale: run python -m taskmock._reference", file=sys.stderr)
        return 1 if stale else 0
    for path, text in _files().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
