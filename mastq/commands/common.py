"""
What the query commands share: where to send queries and how to show what comes back.

Every query command takes the *server options* (``--server URL``, ``--local``) and the
*output options* (``--output FILE``, ``--json``, ``--columns``, ``--overwrite``, ``--quiet``).
A table goes to ``--output`` (format from the extension, written by astropy), to stdout as
JSON with ``--json``, or to stdout as a readable table; notes on the work go to stderr.
"""

import argparse
import contextlib
import json
import logging
import math
import os
import shutil
import sys

import numpy as np

from mastq import conf

__all__ = [
    "server_options",
    "output_options",
    "check_output",
    "connected",
    "emit_table",
    "emit_json",
    "note",
    "FORMATS",
]

FORMATS = {
    ".ecsv": "ascii.ecsv",
    ".csv": "ascii.csv",
    ".fits": "fits",
    ".fit": "fits",
    ".xml": "votable",
    ".vot": "votable",
    ".votable": "votable",
    ".parquet": "parquet",
}
"""File extension of ``--output`` -> astropy's table format."""


def server_options():
    """
    The parent parser of ``--server URL`` and ``--local``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(add_help=False)
    where = parser.add_argument_group("server").add_mutually_exclusive_group()
    where.add_argument(
        "--server",
        metavar="URL",
        help=f"MAST server to query (default: mastq.conf.server, {conf.server})",
    )
    where.add_argument(
        "--local",
        action="store_true",
        help="start the embedded local MAST for this command and query it",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="log mastq's work (retries...) on stderr, not only its warnings",
    )
    return parser


def output_options():
    """
    The parent parser of ``--output``, ``--json``, ``--columns``, ``--overwrite``, ``--quiet``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("output")
    target = group.add_mutually_exclusive_group()
    target.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write the table to FILE; format from the extension: " + ", ".join(sorted(FORMATS)),
    )
    target.add_argument("--json", action="store_true", help="print JSON on stdout")
    group.add_argument(
        "--columns",
        metavar="A,B,...",
        type=_names,
        help="columns to keep (default: all in files and JSON, a few on screen)",
    )
    group.add_argument("--overwrite", action="store_true", help="replace an existing FILE")
    group.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    return parser


def _names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected column names A,B,..., got {text!r}")
    return names


@contextlib.contextmanager
def connected(args):
    """
    Point `mastq.conf` at the server the command asked for, for the ``with`` block.

    mastq's log records go to stderr meanwhile (``mastq: warning: ...``; with ``--verbose``
    the ``info`` ones too).  ``--local`` starts the embedded local MAST (without the
    persistent cache, whose copies would be keyed by a port used once); ``--server URL``
    sets ``mastq.conf.server``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments with ``server`` and ``local``.

    Yields
    ------
    str
        The server URL.
    """
    with _logging_to_stderr(verbose=args.verbose), _server(args) as url:
        yield url


@contextlib.contextmanager
def _server(args):
    if args.local:
        from mastq.emulator import running

        with running() as url, conf.set_temp("server", url), conf.set_temp("cache", False):
            note(args, f"local MAST running at {url}")
            yield url
    elif args.server:
        if not args.server.startswith(("http://", "https://")):
            raise ValueError(f"--server must be an http:// or https:// URL, got {args.server!r}")
        with conf.set_temp("server", args.server.rstrip("/")):
            yield conf.server
    else:
        yield conf.server


@contextlib.contextmanager
def _logging_to_stderr(*, verbose):
    logger = logging.getLogger("mastq")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level or logging.WARNING, handler.level))
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _OneLine(logging.Formatter):
    """``mastq: warning: message`` on one line, as the command's own warnings."""

    def format(self, record):
        return f"mastq: {record.levelname.lower()}: {' '.join(record.getMessage().split())}"


def note(args, message):
    """Write one line about the work to stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr, flush=True)


def emit_table(table, args, *, screen_columns=()):
    """
    Send a table where the command line asked: ``--output`` file, ``--json`` or the screen.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The result.
    args : argparse.Namespace
        Parsed output options.
    screen_columns : sequence of str, optional
        Columns shown on the screen when ``--columns`` is not given (those present).

    Raises
    ------
    ValueError
        If ``--columns`` names a column the table lacks, or ``--output`` has an unknown
        extension.
    """
    table = _selected(table, args.columns)
    if args.output:
        _write(table, args)
        note(args, f"wrote {len(table)} rows to {args.output}")
    elif args.json:
        emit_json(
            {
                "columns": [_column_info(table[name]) for name in table.colnames],
                "rows": _records(table),
            }
        )
    else:
        shown = [name for name in screen_columns if name in table.colnames]
        if shown and not args.columns:
            table = table[shown]
        width = max(shutil.get_terminal_size().columns, 80) if sys.stdout.isatty() else -1
        print("\n".join(table.pformat(max_lines=-1, max_width=width)))


def emit_json(value):
    """Print ``value`` as JSON on stdout (NaN written as null)."""
    print(json.dumps(value, indent=1, allow_nan=False))


def _selected(table, columns):
    if not columns:
        return table
    missing = [name for name in columns if name not in table.colnames]
    if missing:
        raise ValueError(
            f"--columns: no column {', '.join(missing)} in the result; it has "
            f"{', '.join(table.colnames)}"
        )
    return table[columns]


def check_output(args):
    """
    Check ``--output`` before anything is sent: a known extension, no file to replace.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments (those without an ``output`` option pass).

    Returns
    -------
    str or None
        The astropy format of the file, None without ``--output``.

    Raises
    ------
    ValueError
        If the extension is not one of `FORMATS`.
    FileExistsError
        If the file exists and ``--overwrite`` is not given.
    """
    path = getattr(args, "output", None)
    if not path:
        return None
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"--output: cannot tell the format of {path!r}; end it with one of "
            f"{', '.join(sorted(FORMATS))}"
        )
    if os.path.exists(path) and not args.overwrite:
        raise FileExistsError(f"cannot write {path}: it exists (add --overwrite to replace it)")
    return FORMATS[suffix]


def _write(table, args):
    fmt, path = check_output(args), args.output
    if fmt == "fits":
        table = table.copy(copy_data=False)
        table.meta = {key[:8].upper(): _fits_value(value) for key, value in table.meta.items()}
    try:
        table.write(path, format=fmt, overwrite=args.overwrite)
    except OSError as exc:
        raise OSError(f"cannot write {path}: {exc.strerror or exc}") from None


def _fits_value(value):
    """A meta value a FITS header can hold (containers as JSON text)."""
    if isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, default=str)


def _column_info(column):
    info = {"name": column.name}
    info["datatype"] = {
        "U": "string",
        "S": "string",
        "i": "int",
        "u": "int",
        "f": "float",
        "b": "boolean",
    }.get(column.dtype.kind, str(column.dtype))
    if column.unit is not None:
        info["unit"] = column.unit.to_string()
    if column.description:
        info["description"] = column.description
    return info


def _records(table):
    columns = [_json_values(table[name]) for name in table.colnames]
    return [dict(zip(table.colnames, row, strict=True)) for row in zip(*columns, strict=True)]


def _json_values(column):
    """A column as a list of JSON values: masked and NaN -> None, bytes decoded."""
    values = np.ma.getdata(column).tolist()
    mask = np.ma.getmaskarray(column).tolist()
    out = []
    for value, masked in zip(values, mask, strict=True):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if masked is True or (isinstance(value, float) and math.isnan(value)):
            value = None
        out.append(value)
    return out
