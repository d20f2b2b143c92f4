"""`taskmock check`: judge a live API (or the mock) against its spec by polling real tasks.

Everything the checks know of the API comes from its spec (`_core/contract.py`): a user with a spec
and no scenario file can check their API with `--spec FILE`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskmock._cli.options import add_catalog_option, catalog_from
from taskmock._core.catalog import bundled_catalog
from taskmock.errors import SpecError, UsageError

if TYPE_CHECKING:
    from taskmock._core.spec import Spec

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `check` command."""
    check = commands.add_parser(
        "check",
        help="check a live API (or the mock) against its spec",
        description="Poll the given tasks until they end, checking every answer against the spec "
        "and the task's lifecycle, then probe the protocol (no credential, a malformed one, a "
        "token without its documented prefix, an unknown id). Read-only unless --create. Exit 0 "
        "conformant, 1 violations, 2 usage error, broken spec or unreachable host.",
    )
    which = check.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--api",
        help=f"an API of the catalogs: {', '.join(bundled_catalog().spec_names)} or yours "
        "(--catalog)",
    )
    which.add_argument("--spec", metavar="FILE", help="your own OpenAPI document (no mock needed)")
    add_catalog_option(check)
    check.add_argument(
        "--base-url", required=True, help="the API's base URL, e.g. https://api.example.com"
    )
    check.add_argument(
        "--token", help="the credential, bare or as the header value (default: $TASKMOCK_TOKEN)"
    )
    check.add_argument(
        "--task-id", action="append", default=[], metavar="ID", help="a task to poll (repeatable)"
    )
    check.add_argument(
        "--create",
        action="store_true",
        help="create one task first: the spec's x-cheapest-create (may cost credits)",
    )
    check.add_argument(
        "--poll",
        metavar="OPERATION_ID",
        help="which x-task-role: poll operation to use (default: the first)",
    )
    check.add_argument(
        "--poll-interval", type=float, default=5.0, metavar="S", help="seconds between polls (5)"
    )
    check.add_argument(
        "--max-wait",
        type=float,
        default=600.0,
        metavar="S",
        help="stop polling after S seconds (600)",
    )
    check.add_argument(
        "--max-requests", type=int, default=200, metavar="N", help="never send more than N (200)"
    )
    check.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    check.add_argument("--junit", metavar="FILE", help="also write the report as JUnit XML")
    check.add_argument(
        "--strict", action="store_true", help="warnings (what the spec marks inferred) fail too"
    )
    check.set_defaults(run=run)


def _spec_from(args: argparse.Namespace) -> Spec:
    """The spec to check against: a user's file, or an API of the catalogs by name (a user's
    document is validated first; the bundled ones are validated by the test suite)."""
    from taskmock._core.spec import load_spec

    if args.spec is None:
        catalog = catalog_from(args)
        spec = catalog.spec(args.api)
        bundled = bundled_catalog().entries.get(args.api)
        if bundled is not None and catalog.entry(args.api).folder == bundled.folder:
            return spec
    else:
        spec = load_spec(args.spec)
    from taskmock._core.validation import validate_spec  # heavy: only for a user's document

    problems = validate_spec(spec)
    if problems:
        raise SpecError(problems)
    return spec


def run(args: argparse.Namespace) -> int:
    """Run the checks and report; the exit code says whether the target conforms."""
    # Imported here so that `taskmock serve` does not pay for what only `check` needs.
    from taskmock._checks.create import create_task, describe_create
    from taskmock._checks.report import as_json, as_junit, human_lines
    from taskmock._checks.runner import HttpTarget, Unreachable, run_checks
    from taskmock._core.contract import Contract

    contract = Contract.from_spec(_spec_from(args), poll=args.poll)
    token = args.token or os.environ.get("TASKMOCK_TOKEN")
    if not token and contract.credential is not None:
        raise UsageError(
            "a credential is needed: --token T or the TASKMOCK_TOKEN environment variable"
        )
    if not args.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url must start with http:// or https://, not {args.base_url!r}")
    for name in ("poll_interval", "max_wait"):
        if getattr(args, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 0")
    if args.max_requests < 1:
        raise UsageError("--max-requests must be at least 1")
    task_ids = list(args.task_id)
    target = HttpTarget(args.base_url, max_requests=args.max_requests)
    try:
        if args.create:
            print(describe_create(contract), file=sys.stderr)
            task_ids.append(create_task(contract, target, token))
        if not task_ids:
            raise UsageError("nothing to check: give --task-id ID (repeatable) or --create")
        result = run_checks(
            contract,
            target,
            token,
            task_ids,
            poll_interval=args.poll_interval,
            max_wait=args.max_wait,
        )
    except Unreachable as exc:
        print(f"taskmock: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(human_lines(result, args.strict)))
    for path, text in ((args.json, as_json), (args.junit, as_junit)):
        if path:
            Path(path).write_text(text(result, args.strict), encoding="utf-8")
    return 1 if result.failed(args.strict) else 0
