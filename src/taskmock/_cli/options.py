"""Options several commands share: where the APIs come from."""

from __future__ import annotations

import argparse
from typing import Any

from taskmock._core.catalog import ENVIRONMENT_VARIABLE, Catalog

__all__ = ["add_catalog_option", "catalog_from"]


def add_catalog_option(parser: Any) -> None:
    """`--catalog DIR` (repeatable): a folder of `specs/<api>.yaml` and `mocks/<api>.yaml`."""
    parser.add_argument(
        "--catalog",
        action="append",
        default=[],
        metavar="DIR",
        help="also load the APIs in DIR (specs/<api>.yaml, mocks/<api>.yaml; repeatable; "
        f"${ENVIRONMENT_VARIABLE} adds folders too)",
    )


def catalog_from(args: argparse.Namespace) -> Catalog:
    """The bundled catalog, then $TASKMOCK_CATALOG's folders, then each --catalog."""
    return Catalog.from_environment(args.catalog)
