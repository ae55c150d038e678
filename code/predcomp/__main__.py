"""Command line: ``python -m predcomp SUBCOMMAND ...``.

Each subcommand lives in a small ``_cmd_*`` function; user errors (a missing file, bad input)
end with a one-line message on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any


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


# ------------------------------------------------------------------ compress / decompress


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None


def _write_output(path: str, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` ('-' = stdout) all at once: a temporary file, then a rename.

    An existing file is kept unless ``force``; on any error no partial output is left behind.
    """
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    if os.path.isdir(path):
        raise CliError(f"{path}: is a directory")
    if os.path.exists(path) and not force:
        raise CliError(f"{path}: already exists (use --force to overwrite it)")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"{folder}: no such folder")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".predcomp-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _check_paths(args: argparse.Namespace) -> None:
    if args.input != "-" and not os.path.exists(args.input):
        raise CliError(f"{args.input}: no such file")
    if args.input != "-" and args.output != "-":
        if os.path.exists(args.output) and os.path.samefile(args.input, args.output):
            raise CliError(f"{args.output}: input and output are the same file")
    if args.output != "-" and os.path.exists(args.output) and not args.force:
        raise CliError(f"{args.output}: already exists (use --force to overwrite it)")


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--param expects KEY=VALUE, got {item!r}")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _cmd_compress(args: argparse.Namespace) -> int:
    from predcomp.compress import compress
    from predcomp.models.registry import DEFAULT_MODEL, MODELS

    args.model = args.model or DEFAULT_MODEL
    if args.model not in MODELS:
        raise CliError(f"unknown model {args.model!r}; known models: {', '.join(MODELS)}")
    params = _parse_params(args.param)
    _check_paths(args)
    data = _read_input(args.input)
    _write_output(args.output, compress(data, args.model, **params), args.force)
    return 0


def _cmd_decompress(args: argparse.Namespace) -> int:
    from predcomp.compress import decompress

    _check_paths(args)
    blob = _read_input(args.input)
    _write_output(args.output, decompress(blob), args.force)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from predcomp.models.registry import DEFAULT_MODEL, MODELS

    width = max(map(len, MODELS))
    for name, description in MODELS.items():
        mark = " (default)" if name == DEFAULT_MODEL else ""
        print(f"{name:<{width}}  {description}{mark}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from predcomp.compress import benchmark, format_table

    results = []
    for path in args.files:
        data = _read_input(path)
        if not data:
            raise CliError(f"{path}: empty file, nothing to measure")
        rows = benchmark(data, models=args.model or None, verify=not args.no_verify)
        for row in rows:
            row["file"] = os.path.basename(path)
        results.extend(rows)
        print(format_table(rows, title=f"{path} ({len(data):,} bytes)"))
        print()
    if args.json:
        _write_output(args.json, (json.dumps(results, indent=2) + "\n").encode(), force=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m predcomp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="list, fetch or import the book's real corpora")
    p.add_argument("action", choices=["list", "path", "fetch", "import"])
    p.add_argument("items", nargs="*", help="corpus names (path, fetch) or files (import)")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("compress", help="compress a file with a predictive model")
    p.add_argument("--model", default=None, help="model name (see `models`; default: the best)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model hyper-parameter, e.g. order=5 (repeatable; VALUE is read as JSON)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("input", help="file to compress ('-' = standard input)")
    p.add_argument("output", help="compressed file to write ('-' = standard output)")
    p.set_defaults(func=_cmd_compress)

    p = sub.add_parser("decompress", help="decompress a file made by `compress`")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("input", help="compressed file ('-' = standard input)")
    p.add_argument("output", help="file to write ('-' = standard output)")
    p.set_defaults(func=_cmd_decompress)

    p = sub.add_parser("models", help="list the models with a one-line description")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser("bench", help="bits per character of our models and standard compressors")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--model", action="append", metavar="NAME", help="model to measure (repeatable)")
    p.add_argument("--no-verify", action="store_true", help="skip the decompression check")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, ValueError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"predcomp: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("predcomp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
