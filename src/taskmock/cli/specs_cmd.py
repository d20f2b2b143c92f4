"""`taskmock specs`: list the bundled APIs, validate documents, export component schemas."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from taskmock.core.spec import Spec, load_api
from taskmock.resources import API_NAMES, spec_path

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `specs` command and its sub-commands to the top-level parser."""
    specs = commands.add_parser("specs", help="list, validate and export the API specs")
    specs.set_defaults(run=_list)
    actions = specs.add_subparsers(dest="action", metavar="ACTION")
    validate = actions.add_parser(
        "validate", help="validate OpenAPI documents (default: the bundled ones)"
    )
    validate.add_argument("files", nargs="*", metavar="FILE")
    validate.set_defaults(run=_validate)
    schema = actions.add_parser(
        "schema", help="print a standalone JSON Schema (2020-12) of a component"
    )
    schema.add_argument("api", metavar="API", help=f"one of {', '.join(API_NAMES)}")
    schema.add_argument("component", metavar="COMPONENT", help="a name under components.schemas")
    schema.set_defaults(run=_schema)


def _list(args: argparse.Namespace) -> int:
    for name in API_NAMES:
        spec = load_api(name)
        print(f"{name}: {spec.title}  ({spec_path(name)})")
        _print_operations(spec)
        for component, lifecycle in spec.lifecycles.items():
            states = " ".join(lifecycle.label(s) for s in lifecycle.states)
            print(f"  lifecycle {component}.{lifecycle.status_field}: {states}")
            print(
                f"    initial: {', '.join(map(str, sorted(lifecycle.initial, key=str)))}; "
                f"terminal: {', '.join(map(str, sorted(lifecycle.terminal, key=str)))}"
            )
            for state in lifecycle.states:
                successors = lifecycle.successors(state)
                if successors:
                    print(f"    {state} -> {', '.join(str(s) for s in successors)}")
        print()
    return 0


def _print_operations(spec: Spec) -> None:
    operations = list(spec.operations())
    width = max(len(op.path) for op in operations)
    for op in operations:
        print(f"  {op.method:<6} {op.path:<{width}}  {op.operation_id}  [{op.source}]")


def _validate(args: argparse.Namespace) -> int:
    from taskmock.core.validation import (
        validate_file,
    )  # heavy (openapi-spec-validator): load on use

    files = args.files or [str(spec_path(name)) for name in (*API_NAMES, "control")]
    failed = 0
    for file in files:
        problems = validate_file(file)
        if problems:
            failed += 1
            for problem in problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{file}: ok")
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    spec = load_api(args.api)
    json.dump(spec.standalone_schema(args.component), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0
