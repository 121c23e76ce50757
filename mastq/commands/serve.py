"""
``mastq serve`` and ``mastq demo``: the local MAST on the command line.

``mastq serve``
    Run a local MAST until Ctrl-C, printing its URL first::

        mastq serve --port 8080 --seed 1 --latency 0.2 --executing-polls 2

    Accepted MAST tokens come from ``--token-file`` (one a line), ``$MASTQ_EMULATOR_TOKEN``
    and ``--token`` (which other users see in ``ps``); without any, the emulator's default.
    ``mastq serve --list-objects`` lists the named objects it resolves, and exits.

``mastq demo``
    The main job against an embedded local MAST (see `mastq.demo`)::

        mastq demo --target M31 --radius 0.05
"""

import logging
import os
import signal
import sys
import time

from astropy.table import Table

from mastq.emulator.config import EmulatorConfig, FaultConfig

__all__ = ["add_serve", "add_demo", "accepted_tokens", "TOKEN_ENV"]


# The command's defaults are the emulator's own, stated once in its config dataclasses.
_SERVER, _FAULTS = EmulatorConfig(), FaultConfig()
TOKEN_ENV = "MASTQ_EMULATOR_TOKEN"
"""Environment variable of the tokens ``mastq serve`` accepts (blank- or comma-separated)."""


def _fault_arguments(parser):
    faults = parser.add_argument_group("injected faults (all off by default)")
    faults.add_argument(
        "--fault-seed", type=int, default=_FAULTS.seed, help="seed of the fault draws"
    )
    faults.add_argument(
        "--latency", type=float, default=_FAULTS.latency, help="seconds added before every answer"
    )
    faults.add_argument(
        "--p-503", type=float, default=_FAULTS.p_503, help="probability of HTTP 503"
    )
    faults.add_argument(
        "--p-429", type=float, default=_FAULTS.p_429, help="probability of HTTP 429"
    )
    faults.add_argument(
        "--retry-after",
        type=float,
        default=_FAULTS.retry_after,
        help="Retry-After seconds of a 429",
    )
    faults.add_argument(
        "--p-reset", type=float, default=_FAULTS.p_reset, help="probability of a connection reset"
    )
    faults.add_argument(
        "--p-truncate",
        type=float,
        default=_FAULTS.p_truncate,
        help="probability of a body cut short",
    )
    faults.add_argument(
        "--slow-stream",
        type=float,
        default=_FAULTS.slow_stream,
        help="cap on bytes/s of every body (0: none)",
    )


def add_serve(subparsers, server=None, output=None):
    parser = subparsers.add_parser(
        "serve",
        help="run a local MAST until Ctrl-C",
        description="Run a local MAST (the mastq emulator).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (default: loopback only)"
    )
    parser.add_argument("--port", type=int, default=8080, help="TCP port (0: any free port)")
    parser.add_argument("--seed", type=int, default=_SERVER.seed, help="seed of the sample archive")
    parser.add_argument(
        "--scale", type=float, default=_SERVER.scale, help="size of the sample archive"
    )
    parser.add_argument(
        "--query-seconds",
        type=float,
        default=_SERVER.query_seconds,
        help="simulated seconds every query takes",
    )
    parser.add_argument(
        "--max-hold",
        type=float,
        default=_SERVER.max_hold,
        help="longest wait before answering EXECUTING",
    )
    parser.add_argument(
        "--executing-polls",
        type=int,
        default=_SERVER.executing_polls,
        help="EXECUTING answers every new query gives first",
    )
    parser.add_argument(
        "--row-limit",
        type=int,
        default=_SERVER.row_limit,
        help="rows above which the connection is reset",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=None,
        help="accepted MAST token (repeatable; visible in `ps`: prefer "
        "--token-file or $" + TOKEN_ENV + ")",
    )
    parser.add_argument(
        "--token-file",
        default=None,
        metavar="PATH",
        help="file of accepted MAST tokens, one a line ('#' comments)",
    )
    parser.add_argument(
        "--socket-timeout",
        type=float,
        default=_SERVER.socket_timeout,
        help="seconds before an idle or stalled connection is closed",
    )
    parser.add_argument(
        "--max-content-length",
        type=int,
        default=_SERVER.max_content_length,
        help="largest request body in bytes (larger: HTTP 413)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    parser.add_argument(
        "--list-objects",
        action="store_true",
        help="list the named objects the local MAST resolves, then exit",
    )
    _fault_arguments(parser)
    parser.set_defaults(func=_serve)


def add_demo(subparsers, server=None, output=None):
    parser = subparsers.add_parser(
        "demo",
        help="run the main job against an embedded local MAST",
        description="Start a local MAST, resolve a target, search its observations, list "
        "and filter products, download a few files and search the TIC around it.",
    )
    parser.add_argument("--target", default="M101", help="object name to resolve (default M101)")
    parser.add_argument("--radius", type=float, default=0.1, help="search radius in degrees")
    parser.add_argument(
        "--dir", default=None, help="download folder (default: a new temporary folder)"
    )
    parser.set_defaults(func=_demo)


def _demo(args):
    from mastq.demo import run_demo
    from mastq.exceptions import MastqError

    try:
        run_demo(args.target, radius=args.radius, download_dir=args.dir)
    except MastqError as exc:
        print(f"mastq demo: {exc}", file=sys.stderr)
        return 1
    return 0


def accepted_tokens(args, environ=os.environ):
    """
    The tokens ``mastq serve`` accepts: ``--token``, ``--token-file`` and ``$MASTQ_EMULATOR_TOKEN``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``serve`` arguments (``token``, ``token_file``).
    environ : Mapping, optional
        The environment (default ``os.environ``).

    Returns
    -------
    tuple of str
        Every token given, in that order; the emulator's default token when none is.

    Raises
    ------
    ValueError
        If the token file cannot be read or holds no token.
    """
    from mastq.emulator import DEFAULT_TOKEN

    tokens = list(args.token or ())
    if args.token_file:
        try:
            with open(args.token_file, encoding="utf-8") as stream:
                lines = [line.strip() for line in stream]
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read --token-file {args.token_file!r}: {exc}") from None
        in_file = [line for line in lines if line and not line.startswith("#")]
        if not in_file:
            raise ValueError(
                f"--token-file {args.token_file!r} holds no token (one token a line expected)"
            )
        tokens += in_file
    tokens += environ.get(TOKEN_ENV, "").replace(",", " ").split()
    return tuple(dict.fromkeys(tokens)) or (DEFAULT_TOKEN,)


def _config_from(args):
    from mastq.emulator import EmulatorConfig, FaultConfig

    faults = FaultConfig(
        seed=args.fault_seed,
        latency=args.latency,
        p_503=args.p_503,
        p_429=args.p_429,
        retry_after=args.retry_after,
        p_reset=args.p_reset,
        p_truncate=args.p_truncate,
        slow_stream=args.slow_stream,
    )
    return EmulatorConfig(
        seed=args.seed,
        scale=args.scale,
        query_seconds=args.query_seconds,
        max_hold=args.max_hold,
        executing_polls=args.executing_polls,
        row_limit=args.row_limit,
        socket_timeout=args.socket_timeout,
        max_content_length=args.max_content_length,
        tokens=accepted_tokens(args),
        faults=faults,
    )


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _list_objects():
    from mastq.emulator.services.names import OBJECTS

    table = Table(
        rows=[(o.name, o.ra, o.dec, o.object_type, ", ".join(o.aliases)) for o in OBJECTS],
        names=("name", "ra", "dec", "type", "aliases"),
        units=(None, "deg", "deg", None, None),
        dtype=(str, float, float, str, str),
    )
    print("\n".join(table.pformat(max_lines=-1, max_width=-1)))
    print(
        f"{len(OBJECTS)} objects; any of these names or aliases resolves (case and blanks "
        f"ignored), and the archive holds observations around each"
    )
    return 0


def _serve(args):
    from mastq.emulator import Emulator

    if args.list_objects:
        return _list_objects()
    try:
        server = Emulator(_config_from(args), host=args.host, port=args.port)
    except (TypeError, ValueError) as exc:
        print(f"mastq serve: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.start()
    except (TypeError, ValueError) as exc:
        print(f"mastq serve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"mastq serve: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(f"local MAST serving at {server.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("local MAST stopped", flush=True)
    return 0
