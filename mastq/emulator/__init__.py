"""
A local MAST: a real HTTP server speaking MAST's invoke protocol over a generated archive.

Start it three ways:

- ``mastq serve --port 8080`` on the command line (runs until Ctrl-C);
- ``with mastq.emulator.running(executing_polls=2) as url: ...`` in Python, or
  ``server = Emulator(...); server.start(); server.url; server.stop()``;
- the pytest fixtures ``mast_emulator`` (session URL) and ``mast_emulator_factory``
  (function-scoped, custom settings), installed with mastq (see
  `mastq.emulator.pytest_plugin`).

Point a client at it with ``mastq.conf.set_temp("server", url)``.  Settings are in
`EmulatorConfig` (archive size, simulated query time, row limit, tokens) and `FaultConfig`
(latency, 503/429, resets, truncated or slow bodies).
"""

from .config import DEFAULT_TOKEN, EmulatorConfig, FaultConfig
from .http.app import make_app
from .peers import point_astroquery
from .server import Emulator, running

__all__ = [
    "running",
    "Emulator",
    "EmulatorConfig",
    "FaultConfig",
    "make_app",
    "point_astroquery",
    "Archive",
    "DEFAULT_TOKEN",
]


def __getattr__(name):
    # The archive is imported on first use: building the app needs it, importing the
    # package (e.g. for the pytest plugin) does not.
    if name == "Archive":
        from .caom.archive import Archive

        return Archive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
