"""Command line: ``python -m predcomp SUBCOMMAND ...``.

Each subcommand lives in a small ``_cmd_*`` function; user errors (a missing file, bad input)
end with a one-line message on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class CliError(Exception):
    """An error to report to the user as one line (exit status 1)."""


def _cmd_data(args: argparse.Namespace) -> int:
    from predcomp import data

    if args.action == "list":
        for name in data.CORPORA:
            print(f"{name}\t{data.CORPORA[name].description}")
    elif args.action == "path":
        for name in args.items:
            print(data.corpus_path(name))
    elif args.action == "fetch":
        for name in args.items:
            print(data.fetch(name))
    elif args.action == "import":
        for path in args.items:
            print(data.import_file(path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m predcomp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="list, fetch or import the book's real corpora")
    p.add_argument("action", choices=["list", "path", "fetch", "import"])
    p.add_argument("items", nargs="*", help="corpus names (path, fetch) or files (import)")
    p.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, ValueError, OSError) as exc:
        print(f"predcomp: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
