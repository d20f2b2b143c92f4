"""The `taskmock` command: parse, dispatch, and turn every error into a message and an exit code.

Exit codes: 0 success, 1 the thing checked is not conformant, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from taskmock import __version__
from taskmock._cli import check_cmd, new_cmd, serve_cmd, specs_cmd
from taskmock.errors import TaskmockError

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog="taskmock",
        description="Specs, a stateful mock and contract checks for async video-AI task APIs.",
    )
    parser.add_argument("--version", action="version", version=f"taskmock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve_cmd.register(commands)
    check_cmd.register(commands)
    specs_cmd.register(commands)
    new_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.run(args)
    except TaskmockError as exc:
        print(f"taskmock: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`taskmock specs | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
