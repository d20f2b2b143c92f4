"""`taskmock specs`: list the catalogs' APIs, validate documents, export component schemas."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from taskmock._cli.options import add_catalog_option, catalog_from
from taskmock._core.catalog import Catalog
from taskmock._core.spec import Spec
from taskmock.errors import DocumentError, Problem

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `specs` command and its sub-commands to the top-level parser."""
    specs = commands.add_parser("specs", help="list, validate and export the API specs")
    add_catalog_option(specs)
    specs.set_defaults(run=_list)
    actions = specs.add_subparsers(dest="action", metavar="ACTION")
    validate = actions.add_parser(
        "validate",
        help="validate OpenAPI documents (default: every spec and scenario file of the catalogs)",
    )
    validate.add_argument("files", nargs="*", metavar="FILE")
    add_catalog_option(validate)
    validate.set_defaults(run=_validate)
    schema = actions.add_parser(
        "schema", help="print a standalone JSON Schema (2020-12) of a component"
    )
    add_catalog_option(schema)
    schema.add_argument("api", metavar="API", help="an API of the catalogs")
    schema.add_argument("component", metavar="COMPONENT", help="a name under components.schemas")
    schema.set_defaults(run=_schema)


def _list(args: argparse.Namespace) -> int:
    catalog = catalog_from(args)
    for name in catalog.spec_names:
        spec = catalog.spec(name)
        entry = catalog.entry(name)
        played = "" if entry.scenario is not None else "; no scenario file: checks only"
        print(f"{name}: {spec.title}  ({entry.spec}{played})")
        _print_operations(spec)
        for component, lifecycle in spec.lifecycles.items():
            states = " ".join(lifecycle.label(s) for s in lifecycle.states)
            print(f"  lifecycle {component}.{lifecycle.status_field or '(conditions)'}: {states}")
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
    from taskmock._core.validation import (
        validate_file,
    )  # heavy (openapi-spec-validator): load on use

    checks: list[tuple[str, Callable[[], list[Problem]]]]
    if args.files:
        checks = [(file, partial(validate_file, file)) for file in args.files]
    else:
        catalog = catalog_from(args)
        checks = [(str(catalog.control_spec()), partial(validate_file, catalog.control_spec()))]
        for name in catalog.spec_names:
            entry = catalog.entry(name)
            checks.append((str(entry.spec), partial(validate_file, entry.spec)))
            if entry.scenario is not None:
                checks.append((str(entry.scenario), partial(_scenario_problems, catalog, name)))
    failed = 0
    for file, check in checks:
        problems = check()
        if problems:
            failed += 1
            for problem in problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{file}: ok")
    return 1 if failed else 0


def _scenario_problems(catalog: Catalog, name: str) -> list[Problem]:
    try:
        catalog.behaviour(name)
    except DocumentError as exc:
        return exc.problems
    return []


def _schema(args: argparse.Namespace) -> int:
    spec = catalog_from(args).spec(args.api)
    json.dump(spec.standalone_schema(args.component), sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0
