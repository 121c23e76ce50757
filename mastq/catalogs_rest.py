"""
MAST's catalogs REST API (PanSTARRS): ``<catalogs_server>/api/v0.1/<catalog>/<release>/<table>``.

`RestCatalogs` checks a query's criteria, ``columns`` and ``sort_by`` against the
table's metadata (``.../<table>/metadata.json``, fetched once per server, release and
table), encodes them as astroquery.mast 0.4.11 does (``column.<decorator>`` keys, one
JSON body), sends them through `mastq.transport.MastTransport.rest` (retries, deadline)
and builds a table with the metadata's units and descriptions.

The root URL is `mastq.conf.catalogs_server` (``https://catalogs.mast.stsci.edu``); the
local MAST serves the API under its own root, so point both ``server`` and
``catalogs_server`` at it.
"""

import difflib
import logging
from datetime import datetime, timezone

import numpy as np
from astropy.table import MaskedColumn, Table

from . import conf
from .columns import ConfigStore, parse_unit
from .exceptions import InvalidQueryError, NoResultsWarning, ProtocolError, warn_user
from .services import public_url

__all__ = ["RestCatalogs", "build_rest_table"]

log = logging.getLogger(__name__)

_DIRECTIONS = frozenset({"asc", "desc"})
_KINDS = {
    "char": str,
    "string": str,
    "varchar": str,
    "datetime": str,
    "null": str,
    "boolean": bool,
    "binary": bool,
    "unsignedbyte": np.int64,
    "short": np.int64,
    "int": np.int64,
    "integer": np.int64,
    "long": np.int64,
    "number": np.float64,
    "float": np.float64,
    "double": np.float64,
    "decimal": np.float64,
}


class RestCatalogs:
    """
    Queries of the catalogs REST API; safe to share between threads.

    Parameters
    ----------
    transport : mastq.transport.MastTransport
        The one transport (its `~mastq.transport.MastTransport.rest` method).
    """

    def __init__(self, transport):
        self._transport = transport
        self._metadata = ConfigStore()

    def url(self, release, table, *, suffix=".json"):
        """``<catalogs_server>/api/v0.1/<catalog>/<release>/<table><suffix>``."""
        root = str(conf.catalogs_server).rstrip("/")
        return f"{root}/api/v0.1/{release.catalog.name.lower()}/{release.version}/{table}{suffix}"

    def metadata(self, release, table):
        """
        The columns of one table: name -> its metadata entry (a dict).

        Parameters
        ----------
        release : mastq.registry.Release
        table : str

        Returns
        -------
        dict
        """
        url = self.url(release, table, suffix="/metadata.json")

        def fetch():
            answer = self._transport.rest(url, context={"service": url})
            if not isinstance(answer, list):
                raise ProtocolError(
                    f"{url}: metadata must be a JSON list, got {type(answer).__name__}", url=url
                )
            return {
                (e.get("column_name") or e.get("name")): e for e in answer if isinstance(e, dict)
            }

        return self._metadata.get((conf.catalogs_server, url), fetch)

    def body(self, release, cone, criteria, *, pagesize=None, page=None, position_only=False):
        """
        The table name and JSON body of a query, checked against the table's metadata.

        Parameters
        ----------
        release : mastq.registry.Release
        cone : dict or None
            ``{ra, dec, radius}`` in degrees.
        criteria : dict
            Column criteria plus ``columns``, ``sort_by``, ``table`` (``data_release``
            already resolved into ``release``).
        pagesize, page : int, optional
        position_only : bool, optional
            Allow a query without column criteria (a cone search).

        Returns
        -------
        (str, dict)

        Raises
        ------
        InvalidQueryError
            Unknown table, unknown columns (named, with a did-you-mean), no criterion.
        """
        criteria = dict(criteria)
        tables = release.catalog.rest_tables
        table = criteria.pop("table", tables[0])
        if not isinstance(table, str) or table.lower() not in tables:
            raise InvalidQueryError(
                f"table must be one of {list(tables)} for {release.label}, got {table!r}"
            )
        table = table.lower()
        columns = list(self.metadata(release, table))
        if cone:
            columns.append("distance")  # a cone's computed separation, named as MAST names it
        _check_names(criteria, columns, release, table)
        if not position_only and not (set(criteria) - {"columns", "sort_by"}):
            raise InvalidQueryError("At least one non-positional criterion must be supplied.")
        pairs = [(k, v) for k, v in (("page", page), ("pagesize", pagesize)) if v is not None]
        pairs += _encode(dict(cone or {}, **criteria))
        grouped = {}
        for key, value in pairs:
            grouped.setdefault(key, []).append(value)
        return table, {k: v if k == "sort_by" or len(v) > 1 else v[0] for k, v in grouped.items()}

    def query(
        self,
        release,
        cone,
        criteria,
        *,
        pagesize=None,
        page=None,
        position_only=False,
        with_response=False,
        warn_empty=True,
    ):
        """
        Run one query; return the table (or ``(table, response)``).

        Parameters
        ----------
        release, cone, criteria, pagesize, page, position_only
            As in `body`.
        with_response : bool, optional
            Also return the `requests.Response`.
        warn_empty : bool, optional
            Issue a `~mastq.exceptions.NoResultsWarning` when nothing matched (default).

        Returns
        -------
        astropy.table.Table
            Units and descriptions from the metadata; ``meta`` holds ``server``,
            ``service`` (the URL path), ``params`` and ``fetched``.
        """
        table, body = self.body(
            release, cone, criteria, pagesize=pagesize, page=page, position_only=position_only
        )
        url = self.url(release, table)
        answer, response = self._transport.rest(
            url, json=body, context={"service": url}, with_response=True
        )
        result = build_rest_table(answer, self.metadata(release, table), url=url)
        result.meta.update(
            server=public_url(str(conf.catalogs_server)),
            service=url,
            params=body,
            from_cache=False,
            fetched=datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        )
        if warn_empty and len(result) == 0:
            warn_user(f"{release.label} {table} returned no rows", NoResultsWarning)
        return (result, response) if with_response else result


def _check_names(criteria, columns, release, table):
    """Every criterion, ``columns`` and ``sort_by`` entry must name a column (any case)."""
    known = {name.lower(): name for name in columns}
    named = [k for k in criteria if k not in ("columns", "sort_by")]
    named += [c for c in _as_list(criteria.get("columns"))]
    for _, value in _encode({"sort_by": criteria.get("sort_by")} if "sort_by" in criteria else {}):
        named += [part for part in str(value).split(".") if part.lower() not in _DIRECTIONS]
    unknown = [n for n in named if not isinstance(n, str) or n.lower() not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(str(name), list(columns), n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InvalidQueryError(
            f"no column {', '.join(hints)} in {release.label} {table} "
            f"(its columns are in the table's metadata.json)"
        )


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _encode(params):
    """``(key, value)`` pairs exactly as astroquery 0.4.11 ``_build_catalogs_params``."""
    pairs = []
    for prop, value in params.items():
        if prop == "sort_by":
            if isinstance(value, list):
                pairs += [
                    ("sort_by", f"{s[1]}.{s[0]}" if isinstance(s, tuple) else s) for s in value
                ]
            else:
                pairs.append(
                    ("sort_by", f"{value[0]}.{value[1]}" if isinstance(value, tuple) else value)
                )
        elif prop == "columns":
            pairs += [("columns", col) for col in _as_list(value)]
        elif isinstance(value, list):
            pairs += [
                ((f"{prop}.{v[0]}", v[1]) if isinstance(v, tuple) else (prop, v)) for v in value
            ]
        else:
            pairs.append((prop, value))
    return pairs


def build_rest_table(answer, metadata, *, url):
    """
    The table of a catalogs API answer ``{"info": [...], "data": [[...], ...]}``.

    Parameters
    ----------
    answer : dict
    metadata : dict
        Column name -> metadata entry (``unit``, ``description``).
    url : str
        For error messages.

    Returns
    -------
    astropy.table.Table
        One masked column per ``info`` entry, nulls masked, text as str.

    Raises
    ------
    ProtocolError
        If the answer lacks ``info`` or ``data``, or a row has the wrong length.
    """
    if (
        not isinstance(answer, dict)
        or not isinstance(answer.get("info"), list)
        or not isinstance(answer.get("data"), list)
    ):
        raise ProtocolError(f"{url}: expected a JSON object with 'info' and 'data' lists", url=url)
    info, rows = answer["info"], answer["data"]
    if any(not isinstance(row, list) or len(row) != len(info) for row in rows):
        raise ProtocolError(f"{url}: a row does not have the {len(info)} values of 'info'", url=url)
    by_name = {name.lower(): entry for name, entry in metadata.items()}
    cells = np.empty((len(rows), len(info)), dtype=object)  # one pass over the rows
    cells[...] = rows if rows else cells
    columns = []
    for index, field in enumerate(info):
        name = field.get("column_name") or field.get("name")
        kind = _KINDS.get(str(field.get("type") or field.get("db_type")).lower(), object)
        columns.append(_column(name, cells[:, index], kind, by_name.get(name.lower()) or field))
    return Table(columns, copy=False)


def _column(name, values, kind, meta):
    mask = np.equal(values, None)
    values[mask] = {str: "", bool: False}.get(kind, 0)
    data = values.astype(kind)
    unit = parse_unit(meta.get("unit")) if kind in (np.int64, np.float64) else None
    column = MaskedColumn(
        data, name=name, mask=mask, unit=unit, description=meta.get("description")
    )
    if kind is np.float64:
        column.fill_value = np.nan
    spelling = meta.get("unit")
    if spelling and spelling != "NULL":
        column.meta["mast_unit"] = spelling
    return column
