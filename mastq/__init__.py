"""
mastq: a fast, correct, thread-safe client for MAST, with a local MAST emulator.

Configuration lives in `mastq.conf` and is read once at the start of each call (a
validated `mastq.settings.Settings` snapshot, so a bad value is named before anything is
sent and a change made by another thread never reaches a call already running), so
``with mastq.conf.set_temp("server", url): ...`` redirects every query made inside
the block (for instance to a local MAST started with `mastq.emulator.running`).
"""

from astropy import config as _config

__version__ = "0.1.dev0"

__all__ = [
    "conf",
    "Conf",
    "Mast",
    "MastClass",
    "Observations",
    "ObservationsClass",
    "Catalogs",
    "CatalogsClass",
    "__version__",
]


class Conf(_config.ConfigNamespace):
    """
    Configuration parameters for mastq.

    Read once per call and validated by `mastq.settings.Settings.from_conf`: a server
    without scheme or with a bad port, ``deadline <= 0``, negative ``retries`` or a
    non-positive ``pagesize`` raise an `~mastq.exceptions.InvalidQueryError` naming the item.
    """

    server = _config.ConfigItem(
        "https://mast.stsci.edu",
        "Base URL of the MAST server; point it at a local MAST to work offline.",
    )
    connect_timeout = _config.ConfigItem(
        10.0, "Seconds to wait for a TCP connection to the server."
    )
    catalogs_server = _config.ConfigItem(
        "https://catalogs.mast.stsci.edu",
        "Base URL of MAST's catalogs REST API (PanSTARRS); astroquery.mast's name.",
    )
    hla_server = _config.ConfigItem(
        "https://hla.stsci.edu",
        "Base URL of the Hubble Legacy Archive, which serves the HSC spectra files (a local "
        "MAST serves them under its own root).",
    )
    timeout = _config.ConfigItem(
        600.0,
        "Seconds to wait for bytes on an open connection before giving up on it "
        "(astroquery.mast's name and default).",
    )
    service_timeout = _config.ConfigItem(
        20,
        "Seconds the server may work on one request before answering EXECUTING "
        "(the MashupRequest 'timeout').",
    )
    deadline = _config.ConfigItem(
        600.0, "Overall seconds one query may take, polls, retries and pages included."
    )
    poll_interval = _config.ConfigItem(
        0.15, "Seconds before the first re-poll of an EXECUTING query."
    )
    poll_interval_max = _config.ConfigItem(
        2.0, "Longest pause between two polls of an EXECUTING query."
    )
    pagesize = _config.ConfigItem(50000, "Rows per page requested from the server.")
    retries = _config.ConfigItem(
        5, "How many times a transient failure (reset, 429, 5xx) is retried."
    )
    retry_backoff = _config.ConfigItem(
        0.25, "Seconds before the first retry; doubles at each retry (with jitter)."
    )
    retry_backoff_max = _config.ConfigItem(30.0, "Longest pause between two retries.")
    max_workers = _config.ConfigItem(4, "Pages of one result fetched concurrently.")
    cache = _config.ConfigItem(True, "Keep COMPLETE query results in a local persistent cache.")
    cache_ttl = _config.ConfigItem(
        3600.0,
        "Seconds a cached result stays valid (a notebook re-run is instant; a new "
        "release shows within the hour).",
    )
    cache_memory_rows = _config.ConfigItem(
        1_000_000, "Rows of recent results each client also keeps in memory (0: none)."
    )
    cache_dir = _config.ConfigItem(
        "", "Folder of the query cache; empty means astropy's cache folder (mastq/queries)."
    )
    row_limit = _config.ConfigItem(
        500000, "Most rows one MAST query can return before the server resets the connection."
    )
    batch_workers = _config.ConfigItem(
        8, "Queries of a many-target call run at once (a polite number of connections)."
    )
    crossmatch_chunk = _config.ConfigItem(
        5000, "Positions uploaded per request of a server-side crossmatch."
    )
    download_connections = _config.ConfigItem(
        6, "Files downloaded at once (a polite number of connections to MAST)."
    )
    download_deadline = _config.ConfigItem(
        86400.0, "Overall seconds one download call may take, retries included."
    )
    progress = _config.ConfigItem(
        True,
        "Show a progress bar (tqdm) for a query that stays EXECUTING or pages for more "
        "than a few seconds, when a terminal or a notebook is watching.",
    )


conf = Conf()


# The services pull in requests, astroquery, pyarrow and astropy.table: they are
# imported on first use, so ``import mastq`` (e.g. for `conf`) stays light.
_LAZY = {
    "Mast": "mast",
    "MastClass": "mast",
    "Observations": "observations",
    "ObservationsClass": "observations",
    "Catalogs": "catalogs",
    "CatalogsClass": "catalogs",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
