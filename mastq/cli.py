"""
The ``mastq`` command line (also ``python -m mastq``).

::

    mastq resolve M101 --local
    mastq search M101 --radius 3arcmin --criteria obs_collection=HST,JWST t_exptime=100..
    mastq count 210.80 54.35 --criteria dataproduct_type=image
    mastq products 2003520266 --filter productType=SCIENCE --output products.ecsv
    mastq download 2003520266 --dir data --extension fits
    mastq catalog M101 --catalog Tic --criteria Tmag=..12 --json
    mastq serve --port 8080          # a local MAST; --list-objects shows its named objects
    mastq demo                       # the whole job on an embedded local MAST

Query commands take ``--server URL`` or ``--local`` (an embedded local MAST for the one
command) and write ``--output FILE`` (ecsv, fits, csv, votable, parquet by extension),
``--json`` or a readable table on stdout; notes on the work go to stderr.  Bad input,
unknown names and server errors end with one line ``mastq: error: ...`` on stderr and exit
code 2 (1 when a file cannot be written or a download fails); warnings are one line each,
``mastq: warning: ...``.  The subcommands live in `mastq.commands`.
"""

import argparse
import contextlib
import os
import sys
import warnings

from mastq import __version__
from mastq.commands import SUBCOMMANDS
from mastq.commands.common import check_output, output_options, server_options
from mastq.commands.serve import TOKEN_ENV, accepted_tokens
from mastq.exceptions import MastqError

__all__ = ["main", "build_parser", "accepted_tokens", "SUBCOMMANDS", "TOKEN_ENV"]


_EXAMPLES = """examples (add --local to try them offline on the embedded local MAST):
  mastq resolve M101 "NGC 1068"
  mastq search M101 --radius 3arcmin --criteria obs_collection=HST,JWST t_exptime=100..
  mastq count --criteria obs_collection=JWST instrument_name=NIRCAM*
  mastq products OBSID --filter productType=SCIENCE --output products.ecsv
  mastq download OBSID --dir data --extension fits
  mastq catalog 210.80 54.35 --catalog Tic --criteria Tmag=..12 --json
  mastq serve --list-objects

`mastq COMMAND --help` tells more about each command."""


def build_parser():
    """
    Build the ``mastq`` argument parser with every subcommand of `SUBCOMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog="mastq",
        description="mastq: a fast client for MAST.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mastq {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    server, output = server_options(), output_options()
    for add in SUBCOMMANDS.values():
        add(subparsers, server, output)
    return parser


def main(argv=None):
    """
    Run the ``mastq`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 on success, 2 for bad input, unknown names and server errors (and
        argparse's usage errors), 1 when a file cannot be written or a download fails,
        130 on Ctrl-C, 141 when stdout is closed early (``| head``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _one_line_warnings()
        return _run(args)


def _run(args):
    """Run the subcommand; every error a user can cause becomes one line and an exit code."""
    try:
        check_output(args)
        return args.func(args)
    except (MastqError, ValueError) as exc:
        _error(exc)
        return 2
    except BrokenPipeError:  # stdout closed early, as by `mastq search ... | head`
        _silence_stdout()
        return 141
    except OSError as exc:
        _error(exc)
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _error(problem):
    """Print ``mastq: error: ...`` on one line (a server error names the server's answer)."""
    text = str(problem)
    if isinstance(problem, MastqError):
        text = problem.message
        if problem.server_message and problem.server_message not in text:
            text += f": {problem.server_message}"
        if problem.url:
            text += f" ({problem.url})"
    print(f"mastq: error: {' '.join(text.split()) or type(problem).__name__}", file=sys.stderr)


def _silence_stdout():
    """Point a closed stdout at /dev/null, so that the exit flush does not fail again."""
    # Not a real file (captured in tests, say): nothing to silence.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _one_line_warnings():
    """A `warnings.showwarning` writing each message once: ``mastq: warning: ...``."""
    shown = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in shown:
            shown.add(text)
            print(f"mastq: warning: {text}", file=sys.stderr, flush=True)

    return show


if __name__ == "__main__":
    sys.exit(main())
