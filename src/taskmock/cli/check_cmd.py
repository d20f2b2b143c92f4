"""`taskmock check`: judge a live API (or the mock) against the specs by polling real tasks."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taskmock.cli.options import add_catalog_option, catalog_from
from taskmock.core.catalog import bundled_catalog
from taskmock.core.roles import Create
from taskmock.errors import UsageError

if TYPE_CHECKING:
    from taskmock.checks.runner import HttpTarget
    from taskmock.core.scenario import Behaviour

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add the `check` command."""
    check = commands.add_parser(
        "check",
        help="check a live API (or the mock) against the specs",
        description="Poll the given tasks until they end, checking every answer against the spec "
        "and the task's lifecycle, then probe the protocol (no credential, a malformed one, an "
        "unknown id). Read-only unless --create. Exit 0 conformant, 1 violations, 2 usage error or "
        "unreachable host.",
    )
    check.add_argument(
        "--api", required=True, help=f"one of {', '.join(bundled_catalog().names)}, or yours"
    )
    add_catalog_option(check)
    check.add_argument("--base-url", required=True, help="e.g. https://backend.tensorpix.ai")
    check.add_argument(
        "--token", help="the credential, bare or as the header value (default: $TASKMOCK_TOKEN)"
    )
    check.add_argument(
        "--task-id", action="append", default=[], metavar="ID", help="a task to poll (repeatable)"
    )
    check.add_argument(
        "--create",
        action="store_true",
        help="create one task first: the cheapest preview the vendor offers (may cost credits)",
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
        "--strict", action="store_true", help="warnings (rules the spec marks inferred) fail too"
    )
    check.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks and report; the exit code says whether the target conforms."""
    # Imported here so that `taskmock serve` does not pay for what only `check` needs.
    from taskmock.checks.report import as_json, as_junit, human_lines
    from taskmock.checks.runner import HttpTarget, Unreachable, run_checks

    behaviour = catalog_from(args).behaviour(args.api)
    token = args.token or os.environ.get("TASKMOCK_TOKEN")
    if not token:
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
            task_ids.append(_create(behaviour, target, token))
        if not task_ids:
            raise UsageError("nothing to check: give --task-id ID (repeatable) or --create")
        result = run_checks(
            behaviour,
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


_PREVIEW = {"task_type": "SR_PREVIEW", "preview": True}


def _create(behaviour: Behaviour, target: HttpTarget, token: str) -> str:
    from taskmock.checks.runner import Unreachable, credential_header

    create = next(
        (op for op in behaviour.operations.values() if isinstance(op, Create) and op.example),
        None,
    )
    if create is None:
        raise UsageError(f"{behaviour.api}: no create operation with an example; give --task-id")
    body = dict(create.example or {})
    content = create.operation.raw.get("requestBody", {}).get("content", {})
    properties = set(
        behaviour.spec.properties(content.get("application/json", {}).get("schema", {}))
    )
    body.update({k: v for k, v in _PREVIEW.items() if k in properties})
    kind = (
        "a preview"
        if set(_PREVIEW) & properties
        else "this vendor has no preview: it may cost credits"
    )
    print(
        f"creating one task ({kind}): {create.operation.method} {create.operation.path} "
        f"{json.dumps(body)}",
        file=sys.stderr,
    )
    headers = {
        behaviour.auth.header: credential_header(behaviour, token),
        "Content-Type": "application/json",
    }
    request = urllib.request.Request(
        target.base_url.rstrip("/") + create.operation.path,
        data=json.dumps(body).encode(),
        method="POST",
        headers=headers,
    )
    target.sent += 1
    try:
        with urllib.request.urlopen(request, timeout=target.timeout) as response:
            created = json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            raise UsageError(
                f"--create failed: HTTP {error.code}: {error.read()[:300]!r}"
            ) from None
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(
            f"cannot reach {target.base_url}: {getattr(error, 'reason', error)}"
        ) from None
    id_field = behaviour.lifecycle.id_field or "id"
    task_id = (
        created.get(id_field) or created.get("id") or created.get("tid") or created.get("task_id")
    )
    if task_id in (None, ""):
        raise UsageError(f"--create: the answer carries no task id: {created!r}")
    return str(task_id)
