"""`check --create`: start the cheapest task the spec declares (`x-cheapest-create`)."""

from __future__ import annotations

import json

from taskmock._checks.runner import HttpTarget, credential_headers
from taskmock._core.contract import Contract, CreateCall
from taskmock._core.source import resolve_ref
from taskmock.errors import UsageError

__all__ = ["create_task", "describe_create"]


def describe_create(contract: Contract) -> str:
    """One line saying what `create_task` will send, and why it is the one."""
    create = _declared(contract)
    what = create.summary.splitlines()[0] if create.summary else f"example {create.example!r}"
    return (
        f"creating one task, the spec's cheapest ({what}): {create.operation.method} "
        f"{contract.filled_path(create.operation)} {json.dumps(create.body)}"
    )


def create_task(contract: Contract, target: HttpTarget, token: str | None) -> str:
    """Send the cheapest create the spec declares; the new task's id, or a UsageError saying why
    there is none (no declaration, an HTTP or business error, no id where `x-task-id` says)."""
    create = _declared(contract)
    headers = {
        **create.headers,
        **credential_headers(contract, token),
        "Content-Type": "application/json",
    }
    path = contract.filled_path(create.operation)  # a model's owner and name: their examples
    exchange = target.send(create.operation.method, path, headers, json.dumps(create.body).encode())
    if not 200 <= exchange.status < 300:
        raise UsageError(f"--create failed: HTTP {exchange.status}: {exchange.body[:300]!r}")
    try:
        created = json.loads(exchange.body)
    except ValueError:
        raise UsageError(f"--create: the answer is not JSON: {exchange.body[:300]!r}") from None
    business = contract.business
    if business is not None and business.is_error(created):
        raise UsageError(
            f"--create was refused: business code {business.code(created)!r}: {created!r}"
        )
    try:
        task_id = resolve_ref(created, "#" + create.task_id)
    except (KeyError, IndexError, ValueError, TypeError):
        task_id = None
    if isinstance(task_id, str | int) and not isinstance(task_id, bool):
        task_id = create.id_in(str(task_id))
    if task_id in (None, "") or isinstance(task_id, dict | list | bool):
        raise UsageError(
            f"--create: the answer carries no task id at {create.task_id}: {created!r}"
        )
    return str(task_id)


def _declared(contract: Contract) -> CreateCall:
    if contract.create is None:
        raise UsageError(
            f"{contract.api}: no create operation declares x-cheapest-create; give --task-id"
        )
    return contract.create
