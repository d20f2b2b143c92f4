"""`taskmock new NAME --from-spec SPEC`: write a catalog entry for a user's own task API.

Writes `DIR/specs/NAME.yaml` (the spec, as OpenAPI 3.1, with an `x-lifecycle` skeleton) and
`DIR/mocks/NAME.yaml` (a scenario file), then checks them as `taskmock specs validate` and the
loader do, plays every scenario on paper against the spec, and prints what to review.
Exit 0 when the entry is sound, 1 when it was written but does not check out, 2 on bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskmock._cli.options import add_catalog_option
from taskmock._core.catalog import Catalog
from taskmock.errors import DocumentError, ScaffoldError, TaskmockError

if TYPE_CHECKING:  # the scaffolder loads an OpenAPI validator: only `taskmock new` pays for it
    from taskmock._core.scaffold.build import Scaffold
from taskmock._resources import mocks_dir

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `new` command to the top-level parser."""
    new = commands.add_parser(
        "new",
        help="scaffold a spec and scenario file for your own task API from its OpenAPI document",
        description="Write DIR/specs/NAME.yaml (your OpenAPI document as 3.1, with an "
        "x-lifecycle skeleton) and DIR/mocks/NAME.yaml (a scenario file), guessed from the "
        "document; print what was guessed.",
    )
    new.add_argument("name", metavar="NAME", help="the API's name (e.g. acme-video)")
    new.add_argument(
        "--from-spec",
        required=True,
        metavar="SPEC",
        help="your OpenAPI 3.0 or 3.1 document (YAML or JSON)",
    )
    new.add_argument(
        "--into",
        default=".",
        metavar="DIR",
        help="the catalog folder to write into (default: the current folder)",
    )
    new.add_argument("--force", action="store_true", help="overwrite files that are there")
    add_catalog_option(new)  # the APIs it will be served with: names and root routes to avoid
    new.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from taskmock._core.scaffold.build import check_api_name, scaffold
    from taskmock._core.source import load_document

    name: str = args.name
    into = Path(args.into)
    spec_file, mock_file = into / "specs" / f"{name}.yaml", into / "mocks" / f"{name}.yaml"
    # The APIs it will be served with: the catalogs named, and the folder it joins.
    joins = [into] if (into / "specs").is_dir() else []
    catalog = Catalog.from_environment([*args.catalog, *joins])
    others = [
        n for n in catalog.spec_names if catalog.entry(n).spec.resolve() != spec_file.resolve()
    ]
    check_api_name(name, {n: str(catalog.entry(n).spec) for n in others})
    there = [str(f) for f in (spec_file, mock_file) if f.exists()]
    if there and not args.force:
        raise ScaffoldError(f"{' and '.join(there)} already there; --force overwrites")
    try:
        document = load_document(args.from_spec).data
    except DocumentError as exc:
        raise ScaffoldError(f"cannot read the spec: {exc}") from None
    entry = scaffold(document, name, str(args.from_spec), _root_routes(catalog, others))
    _write(entry, spec_file, mock_file, str(args.from_spec))
    print(f"wrote {spec_file}")
    print(f"wrote {mock_file}")
    problems, warnings = _check(spec_file, mock_file)
    review = [*entry.review, *warnings]
    if review:
        print("\nReview (guessed; marked 'inferred' in the files):")
        for line in review:
            print(f"  - {line}")
    if problems:
        print("\nThe entry does not check out yet:")
        for line in problems:
            print(f"  ! {line}")
        return 1
    print(
        "\nChecked: specs validate passes, the scenario file loads, and every scenario plays "
        f"within the spec. Serve it: taskmock serve --catalog {into}"
    )
    return 0


def _root_routes(catalog: Catalog, names: list[str]) -> dict[tuple[str, str], str]:
    from taskmock._core.scaffold.build import root_route

    """The routes the other playable APIs answer at the root, by API name."""
    routes: dict[tuple[str, str], str] = {}
    for name in names:
        if catalog.entry(name).scenario is None:
            continue
        behaviour = catalog.behaviour(name)
        if behaviour.root:
            for op in behaviour.operations.values():
                routes[root_route(op.operation.method, op.operation.path)] = name
    return routes


def _write(entry: Scaffold, spec_file: Path, mock_file: Path, source: str) -> None:
    from taskmock._core.yamlout import dump_yaml

    try:
        spec_file.parent.mkdir(parents=True, exist_ok=True)
        mock_file.parent.mkdir(parents=True, exist_ok=True)
        spec_file.write_text(
            dump_yaml(
                entry.spec,
                entry.spec_comments,
                header=f"{source} as OpenAPI 3.1, with an x-lifecycle skeleton written by "
                f"`taskmock new {entry.name}`.",
            ),
            encoding="utf-8",
        )
        editor_schema = mocks_dir() / "scenario.schema.json"
        # An editor with a YAML language server checks and completes the file with this schema.
        modeline = (
            f"yaml-language-server: $schema={editor_schema.resolve()}\n"
            if editor_schema.is_file()
            else ""
        )
        mock_file.write_text(
            dump_yaml(
                entry.scenario,
                entry.scenario_comments,
                header=f"{modeline}How the mock plays {entry.name}; written by `taskmock new` from "
                f"{source}.\nA starting point: what was guessed says 'inferred'. Validated "
                "against mocks/scenario.schema.yaml when loaded.",
                spaced=True,
            ),
            encoding="utf-8",
        )
    except OSError as exc:
        raise ScaffoldError(f"cannot write the entry: {exc.strerror or exc}") from None


def _check(spec_file: Path, mock_file: Path) -> tuple[list[str], list[str]]:
    """Problems and warnings of the written entry: spec validation, scenario loading, and
    the rehearsal (see `rehearse`)."""
    from taskmock._core.scaffold.rehearse import rehearse  # heavy (validators): load on use
    from taskmock._core.scenario import load_behaviour_file
    from taskmock._core.validation import validate_file

    problems = [str(p) for p in validate_file(spec_file)]
    if problems:
        return problems, []
    try:
        behaviour = load_behaviour_file(mock_file, spec_file, name=mock_file.stem)
    except TaskmockError as exc:
        return str(exc).splitlines(), []
    rehearsal = rehearse(behaviour)
    return list(rehearsal.problems), list(rehearsal.warnings)
