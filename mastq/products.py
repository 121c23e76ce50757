"""
Product lists of observations (``Mast.Caom.Products``); downloads live elsewhere.

`product_list` accepts what users have at hand: a query result, some of its rows, or
obsids, and asks MAST for their products in batches (``obsid`` is a comma-separated list,
so a long list is split to keep each request a reasonable size).
"""

import logging

import numpy as np
from astropy.table import Row, Table, vstack

from .exceptions import InvalidQueryError

__all__ = ["PRODUCTS_SERVICE", "obsids_of", "product_list"]

log = logging.getLogger(__name__)

PRODUCTS_SERVICE = "Mast.Caom.Products"
BATCH = 500
"""Most obsids sent in one ``Mast.Caom.Products`` request."""


def obsids_of(observations):
    """
    Read the obsids of observations, in order and without repeats.

    Parameters
    ----------
    observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
        Query rows (their ``obsid`` column) or obsids (integers or digit strings,
        a comma-separated string included).

    Returns
    -------
    list of str

    Raises
    ------
    InvalidQueryError
        If ``observations`` holds no obsid, or a value is not an integer id.
    """
    if isinstance(observations, (Table, Row)):
        if "obsid" not in observations.colnames:
            raise InvalidQueryError("observations has no 'obsid' column: give query rows or "
                                    "obsids")
        values = np.atleast_1d(np.asarray(observations["obsid"])).tolist()
    elif isinstance(observations, str):
        values = [part for part in observations.split(",") if part.strip()]
    elif np.ndim(observations) == 0:
        values = [observations]
    else:
        values = list(observations)
    ids = [_obsid(value) for value in values]
    if not ids:
        raise InvalidQueryError("observations holds no obsid")
    return list(dict.fromkeys(ids))


def _obsid(value):
    text = str(value.item() if isinstance(value, np.generic) else value).strip()
    if isinstance(value, (bool, np.bool_)) or not text.isdigit():
        raise InvalidQueryError(f"observations: an obsid is an integer id (e.g. 2003738726), "
                                f"got {value!r}; for mission ids like 'U24Z0101T' query "
                                f"obs_id first")
    return text


def product_list(mast, observations, *, cache=None):
    """
    The products of observations, one request per batch of obsids.

    Parameters
    ----------
    mast : mastq.services.Mast
        The service door.
    observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
        See `obsids_of`.
    cache : bool, optional
        Use the persistent query cache; default `mastq.conf.cache`.

    Returns
    -------
    `~astropy.table.Table`

    Raises
    ------
    InvalidQueryError
        If no obsid can be read from ``observations``.
    """
    ids = obsids_of(observations)
    parts = [mast.service_request(PRODUCTS_SERVICE, {"obsid": ",".join(ids[i:i + BATCH])},
                                  cache=cache)
             for i in range(0, len(ids), BATCH)]
    log.debug("%d product rows for %d obsids", sum(len(p) for p in parts), len(ids))
    return parts[0] if len(parts) == 1 else vstack(parts, metadata_conflicts="silent")
