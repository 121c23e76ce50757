"""
astroquery's ``Mast`` door to any MAST service: `MastClass.service_request` and ``mast_query``.

``Mast.service_request(service, params)`` runs a service with its params as given and
returns a table (document services such as ``Mast.Name.Lookup`` included);
``Mast.mast_query(service, **keywords)`` builds the params, and the filters of a
``Filtered`` service, from keywords.
"""

import logging

from astropy.table import MaskedColumn, Table

from .auth import LoginMixin
from .columns import config_id
from .exceptions import InputWarning, InvalidQueryError, NoResultsWarning, warn_user
from .inputs import parse_angle, parse_radius
from .queries import PortalQueries

__all__ = ["MastClass", "Mast"]

log = logging.getLogger(__name__)

# Services whose answer is a document, not a table: the key of its list of rows.
_DOCUMENT_ROWS = {"Mast.Name.Lookup": "resolvedCoordinate"}


class MastClass(LoginMixin, PortalQueries):
    """
    Any MAST invoke service: astroquery's ``Mast.service_request`` and ``mast_query``.

    Parameters
    ----------
    client : mastq.services.ServiceClient, optional
        The service door to use; default a new one.

    Examples
    --------
    >>> from mastq import Mast
    >>> table = Mast.service_request("Mast.Caom.Cone", {"ra": 210.8, "dec": 54.35,
    ...                                                 "radius": 0.05})
    >>> len(table), table["s_ra"].unit
    (96, Unit("deg"))
    """

    def service_request(self, service, params, **request_props):
        """
        Run a service with its params as given (see `mastq.services.ServiceClient`).

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Caom.Cone"``, or a document service such as
            ``"Mast.Name.Lookup"``.
        params : dict
            Its parameters.
        **request_props
            ``pagesize``, ``page``, ``format``, ``cache``, ``times`` and MashupRequest
            properties.

        Returns
        -------
        `~astropy.table.Table`
            For ``Mast.Name.Lookup`` one row per resolved coordinate (``searchString``,
            ``resolver``, ``canonicalName``, ``ra``, ``decl``...).

        Raises
        ------
        InvalidQueryError
            If the service is not a name, or a param or property is not valid.
        RemoteServiceError
            If MAST answers an error (an unknown service: MAST's message).

        Examples
        --------
        >>> from mastq import Mast
        >>> cone = {"ra": 210.8, "dec": 54.35, "radius": 0.05}
        >>> len(Mast.service_request("Mast.Caom.Cone", cone, pagesize=50, page=2))
        46
        >>> Mast.service_request("Mast.Name.Lookup", {"input": "M31"})["ra"].tolist()
        [10.684708]
        """
        _check_service_name(service)
        if service in _DOCUMENT_ROWS:
            document = self._client.document(service, params, **_document_props(request_props))
            return _document_table(document, _DOCUMENT_ROWS[service], service)
        return self._client.service_request(service, params, **request_props)

    def service_request_async(self, service, params, *, pagesize=None, page=None, **request_props):
        """
        The raw HTTP answers of a service (as astroquery's ``service_request_async``).

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Caom.Cone"``, or a document service such as ``"Mast.Name.Lookup"``
            (``response[0].json()`` is then the lookup's answer).
        params : dict
            Its parameters.
        pagesize, page : int, optional
            Rows per page; one page to fetch (default: every page).
        **request_props
            MashupRequest properties (``format``, ``timeout``, ``removenullcolumns``...).

        Returns
        -------
        list of `requests.Response`
            One per page, each polled until MAST finished.

        Raises
        ------
        InvalidQueryError, RemoteServiceError
            As in `service_request`.

        Examples
        --------
        >>> from mastq import Mast
        >>> responses = Mast.service_request_async("Mast.Caom.Cone",
        ...                                        {"ra": 210.8, "dec": 54.35, "radius": 0.05})
        >>> len(responses), responses[0].status_code
        (1, 200)
        """
        _check_service_name(service)
        return self._client.responses(
            service,
            params,
            pagesize=pagesize,
            page=page,
            document=service in _DOCUMENT_ROWS,
            **request_props,
        )

    def mast_query(self, service, *, columns=None, **kwargs):
        """
        Run a service from keywords; for ``Filtered`` services build the filters.

        Parameters
        ----------
        service : str
            E.g. ``"Mast.Caom.Filtered"`` or ``"Mast.Catalogs.Tic.Cone"``.
        columns : str, optional
            Comma-separated columns of a ``Filtered`` service (default ``"*"``); for
            other services ignored with an `InputWarning`, as in astroquery.
        **kwargs
            ``ra``, ``dec``, ``radius`` (degrees, angular quantities or angle strings,
            sent in degrees) and ``position`` go to the params; request properties
            (``pagesize``, ``page``, ``format``, ``timeout``, ``cache``, ``times``...) to
            the request; for a ``Filtered`` service every other keyword is a criterion
            in MAST's own form,
            as astroquery documents (a list of values, ``[{"min": a, "max": b}]`` for a
            range; see `mastq.criteria.build_filter_sets` with ``mast_form=True``), for
            other services a parameter.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            Unknown criterion, no criterion for a Filtered service, a service that is not
            a name, an ``ra``, ``dec`` or ``radius`` that is not an angle.
        RemoteServiceError
            If MAST does not know the service (with MAST's message).

        Warns
        -----
        InputWarning
            If ``columns`` is given for a service that is not ``Filtered``.

        Examples
        --------
        >>> from mastq import Mast
        >>> len(Mast.mast_query("Mast.Caom.Cone", ra=210.8, dec=54.35, radius=0.05))
        96
        """
        _check_service_name(service)
        params = {k: _degrees(k, kwargs.pop(k)) for k in list(kwargs) if k in _POSITION_KEYS}
        props = {k: kwargs.pop(k) for k in list(kwargs) if k in _REQUEST_KEYS}
        if ".filtered" not in service.lower():
            if columns is not None:
                warn_user(
                    f"'columns' parameter will not mask non-filtered services ({service}): ignored",
                    InputWarning,
                )
            return self.service_request(service, {**kwargs, **params}, **props)
        plan = self._plan(
            kwargs,
            service=service,
            config_id=config_id(service),
            extra=params,
            columns=columns or "*",
            mast_form=True,
        )
        return self._run_plan(plan, key=None, options=props)


_POSITION_KEYS = frozenset({"ra", "dec", "radius", "position"})
_REQUEST_KEYS = frozenset(
    {
        "pagesize",
        "page",
        "format",
        "timeout",
        "clearcache",
        "cache",
        "times",
        "removenullcolumns",
        "removecache",
        "cachebreaker",
        "data",
        "filename",
        "columnsconfigid",
    }
)


Mast = MastClass()
"""The shared `MastClass` instance: ``from mastq import Mast`` (as in astroquery.mast)."""


def _degrees(name, value):
    """``ra``/``dec``/``radius`` in degrees (any angle, a bare number meaning degrees);
    ``position`` (MAST's ``"ra, dec, radius"`` string) and MAST's own list or dict forms
    (``dec=[{"min": -90, "max": -30}]`` in astroquery's documentation) as given."""
    if name == "position" or isinstance(value, (list, dict)):
        return value
    if name == "radius":
        return float(parse_radius(value, name=name).deg)
    return float(parse_angle(value, name=name).deg)


def _check_service_name(service):
    if not isinstance(service, str) or not service.strip():
        raise InvalidQueryError(
            f"service must be the name of a MAST service (a string such "
            f"as 'Mast.Caom.Cone'), got {service!r}"
        )


def _document_props(request_props):
    """The request properties that apply to a document service (no paging or cache)."""
    ignored = {k for k in request_props if k in ("pagesize", "page", "cache", "times")}
    if ignored:
        log.debug("ignoring %s for a document service", sorted(ignored))
    return {k: v for k, v in request_props.items() if k not in ignored}


def _document_table(document, key, service):
    """The list ``document[key]`` of a document answer as a table (missing keys masked)."""
    entries = [e for e in document.get(key) or [] if isinstance(e, dict)]
    names = list(dict.fromkeys(name for entry in entries for name in entry))
    columns = []
    for name in names:
        present = next(entry[name] for entry in entries if name in entry)
        fill = type(present)() if isinstance(present, (str, bool, int, float)) else ""
        columns.append(
            MaskedColumn(
                [entry.get(name, fill) for entry in entries],
                name=name,
                mask=[name not in entry for entry in entries],
            )
        )
    table = Table(columns, meta={"service": service})
    if not entries:
        warn_user(f"{service} returned no rows", NoResultsWarning)
    return table
