"""Command line: ``python -m predcomp SUBCOMMAND ...``.

Each subcommand lives in a small ``_cmd_*`` function. :func:`main` is the one error boundary:
every failure ends as one line on stderr, ``predcomp: error: ...``, and an exit status (see
:data:`EXIT_CODES`); nothing is written unless the whole output is ready. Text that came from
a file (a header's values) or from the user is escaped before it is printed, so a forged file
cannot send control sequences to the terminal. ``--debug`` (or ``PREDCOMP_DEBUG=1``) shows the
traceback instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

#: exit status -> meaning (the README lists them)
EXIT_CODES = {
    0: "success",
    1: "error: a missing or unreadable file, an existing output, invalid or corrupted data",
    2: "usage error: unknown command or option, or an invalid option value",
    3: "refused by a limit: raise --max-memory or --max-size, or free memory",
    70: "internal error: a bug in predcomp (please report it)",
    130: "interrupted (Ctrl-C)",
}
#: longest error message printed (a forged header may hold a megabyte of parameter names)
_MAX_MESSAGE = 400


class CliError(Exception):
    """An error to report to the user as one line (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors reported as one line like every other error."""

    def error(self, message: str) -> NoReturn:
        print(f"predcomp: error: {_one_line(message)} (see --help)", file=sys.stderr)
        sys.exit(2)


def _one_line(text: str) -> str:
    """``text`` with control characters escaped (as ``repr`` does) and a bounded length."""
    text = re.sub(
        r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]",
        lambda m: repr(m.group())[1:-1],
        text,
    )
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _parse_size(text: str) -> int:
    """``1048576``, ``64K``, ``512M``, ``1G`` or ``1GiB`` (powers of 1024) as a byte count."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(i?B)?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"expected a size like 1048576, 512M or 2G, got {text!r}")
    return int(m.group(1)) << (10 * " KMGT".index((m.group(2) or " ").upper()))


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


def _read_limited(f: Any, path: str, limit: int) -> bytes:
    """All of the binary stream ``f``, read in pieces; more than ``limit`` bytes is refused."""
    data = bytearray()
    while chunk := f.read(min(1 << 20, limit + 1 - len(data))):
        data += chunk
        if len(data) > limit:  # (a device like /dev/zero never ends: stop here)
            from predcomp.models.registry import LimitExceededError

            raise LimitExceededError(
                f"{path}: larger than the limit of {limit:,} bytes (--max-size)"
            )
    return bytes(data)


def _read_input(path: str, limit: int) -> bytes:
    """The bytes of ``path`` ('-' = stdin); more than ``limit`` bytes is refused."""
    if path == "-":
        if sys.stdin is None:
            raise CliError("standard input is closed")
        return _read_limited(sys.stdin.buffer, "standard input", limit)
    try:
        with open(path, "rb") as f:
            return _read_limited(f, path, limit)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a directory") from None


def _write_output(path: str, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` ('-' = stdout) all at once (see :mod:`predcomp.fileio`)."""
    from predcomp.fileio import write_atomic

    if path == "-":
        if sys.stdout is None:
            raise CliError("standard output is closed")
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(path, data, overwrite=force)


def _check_paths(inputs: Sequence[str], output: str, force: bool) -> None:
    """Fail before the work if the output could not be written or would replace an input."""
    from predcomp.fileio import check_writable

    for path in inputs:
        if path == "-":
            if sys.stdin is None:
                raise CliError("standard input is closed")
        elif not os.path.exists(path):
            raise CliError(f"{path}: no such file")
    if output == "-":
        if sys.stdout is None:
            raise CliError("standard output is closed")
        return
    for path in inputs:
        if path != "-" and os.path.exists(output) and os.path.samefile(path, output):
            raise CliError(f"{output}: is also an input file")
    check_writable(output, force)


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
        except RecursionError:
            raise CliError(f"--param {key}: the value nests too deeply") from None
    return params


def _neural_options(args: argparse.Namespace, model: str, params: dict[str, Any]) -> None:
    """--checkpoint and --threads: load the checkpoint, check or set the neural parameters."""
    neural = model.startswith(("gpt-", "cm+gpt-"))
    if args.checkpoint is not None:
        if not neural:
            raise CliError(f"--checkpoint applies to the neural models, not to {model!r}")
        from predcomp.models.neural import use_checkpoint

        sha = use_checkpoint(args.checkpoint)
        if model.endswith("gpt-static"):
            params.setdefault("checkpoint", sha)
    if args.threads is not None:
        if not neural:
            raise CliError(f"--threads applies to the neural models, not to {model!r}")
        recorded = params.setdefault("threads", args.threads)
        if recorded != args.threads:
            raise CliError(
                f"the data was coded with {recorded!s:.20} torch thread(s), not "
                f"{args.threads}; predictions could differ: use --threads {recorded!s:.20}"
            )


def _cmd_compress(args: argparse.Namespace) -> int:
    from predcomp.compress import compress
    from predcomp.models.registry import DEFAULT_MODEL, validate

    args.model = args.model or DEFAULT_MODEL
    params = _parse_params(args.param)
    _neural_options(args, args.model, params)
    validate(args.model, params, max_memory=None)  # the model's shape, before any reading
    _check_paths([args.input], args.output, args.force)
    if args.output == "-" and sys.stdout.isatty() and not args.force:
        raise CliError("compressed data not written to a terminal (use --force to do it)")
    data = _read_input(args.input, args.max_size)
    blob = compress(data, args.model, max_memory=args.max_memory, **params)
    _write_output(args.output, blob, args.force)
    return 0


def _cmd_decompress(args: argparse.Namespace) -> int:
    from predcomp.compress import decompress

    _check_paths([args.input], args.output, args.force)
    # A compressed file is at most a little larger than what it decodes to.
    blob = _read_input(args.input, args.max_size + (1 << 20))
    if args.checkpoint is not None or args.threads is not None:
        from predcomp.coding.container import unpack

        header, _ = unpack(blob)
        _neural_options(args, header.model, dict(header.params))
    out = decompress(blob, max_memory=args.max_memory, max_size=args.max_size)
    _write_output(args.output, out, args.force)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from predcomp.models.registry import DEFAULT_MODEL, MODELS, SPECS, model_memory

    width = max(map(len, MODELS))
    print(f"{'model':<{width}}  {'memory':>9}  description")
    for name, description in MODELS.items():
        mark = " (default)" if name == DEFAULT_MODEL else ""
        if SPECS[name].needs is not None:  # sized by what it is given (a checkpoint)
            size = "    input"
        else:  # the declared bound with default parameters; tables shrink to a small input
            mib = model_memory(name, {}) / 2**20
            size = f"{mib:>5.0f} MiB" if mib >= 1 else "   <1 MiB"
        print(f"{name:<{width}}  {size}  {description}{mark}")
    print(
        "memory: the most a model may allocate; cm, cm-max and cm+gpt size their tables to the "
        "input, gpt-static and cm+gpt-static to its checkpoint"
    )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from predcomp.baselines import benchmark, format_table
    from predcomp.models.registry import validate

    for name in args.model or []:
        validate(name, {}, max_memory=args.max_memory)
    if args.json:  # fail now, not after minutes of measuring
        _check_paths(args.files, args.json, args.force)
    results = []
    for path in args.files:
        data = _read_input(path, args.max_size)
        if not data:
            raise CliError(f"{path}: empty file, nothing to measure")
        rows = benchmark(data, models=args.model or None, verify=not args.no_verify)
        for row in rows:
            row["file"] = os.path.basename(path)
        results.extend(rows)
        print(format_table(rows, title=f"{path} ({len(data):,} bytes)"))
        print()
    if args.json:
        _write_output(args.json, (json.dumps(results, indent=2) + "\n").encode(), args.force)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from predcomp.compress import DEFAULT_MAX_SIZE
    from predcomp.models.registry import DEFAULT_MAX_MEMORY

    parser = _Parser(prog="python -m predcomp", description=__doc__)
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of an error (or PREDCOMP_DEBUG=1)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def neural(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--checkpoint",
            metavar="FILE",
            help="trained checkpoint of gpt-static (decompress needs the same file)",
        )
        p.add_argument(
            "--threads",
            type=int,
            metavar="N",
            help="torch threads of the neural models (default 1; recorded, checked on decoding)",
        )

    def limits(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--max-memory",
            type=_parse_size,
            default=DEFAULT_MAX_MEMORY,
            metavar="SIZE",
            help="largest memory a model may declare, e.g. 512M or 2G (default: 1G)",
        )
        p.add_argument(
            "--max-size",
            type=_parse_size,
            default=DEFAULT_MAX_SIZE,
            metavar="SIZE",
            help="largest uncompressed size read or produced (default: 1G)",
        )

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
    p.add_argument("--force", action="store_true", help="overwrite an existing regular file")
    limits(p)
    neural(p)
    p.add_argument("input", help="file to compress ('-' = standard input)")
    p.add_argument("output", help="compressed file to write ('-' = standard output)")
    p.set_defaults(func=_cmd_compress)

    p = sub.add_parser("decompress", help="decompress a file made by `compress`")
    p.add_argument("--force", action="store_true", help="overwrite an existing regular file")
    limits(p)
    neural(p)
    p.add_argument("input", help="compressed file ('-' = standard input)")
    p.add_argument("output", help="file to write ('-' = standard output)")
    p.set_defaults(func=_cmd_decompress)

    p = sub.add_parser("models", help="list the models with a one-line description")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser(
        "bench",
        help="bits per character and speed of our models and standard compressors (PPMd included)",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.add_argument("--model", action="append", metavar="NAME", help="model to measure (repeatable)")
    p.add_argument("--no-verify", action="store_true", help="skip the decompression check")
    limits(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_cmd_bench)
    return parser


def _fail(code: int, message: str) -> int:
    print(f"predcomp: {_one_line(message)}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (the one error boundary)."""
    args = build_parser().parse_args(argv)
    debug = args.debug or os.environ.get("PREDCOMP_DEBUG", "") not in ("", "0")
    from predcomp.models.registry import LimitExceededError

    try:
        with warnings.catch_warnings():
            # A numerical warning is a bug, not a message; other warnings (a library's
            # deprecations) are for developers, and would break the one-line rule.
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", RuntimeWarning)
            return int(args.func(args))
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, BrokenPipeError):  # the reader went away (e.g. `| head`)
            _silence_stdout()
            return _fail(1, "error: standard output closed before the end (broken pipe)")
        if isinstance(exc, LimitExceededError):
            return _fail(3, f"error: {exc}")
        if isinstance(exc, MemoryError):
            return _fail(3, "error: out of memory (free some, or lower --max-memory to fail early)")
        if isinstance(exc, CliError | ValueError | OSError):
            return _fail(1, f"error: {str(exc) or type(exc).__name__}")
        return _fail(
            70,
            f"internal error: {type(exc).__name__}: {exc} -- this is a bug in predcomp; "
            "please report it (rerun with --debug for the traceback)",
        )
    except KeyboardInterrupt:
        if debug:
            raise
        return _fail(130, "interrupted")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
