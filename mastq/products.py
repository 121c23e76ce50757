"""
Which products of which observations to ask for (``Mast.Caom.Products``).

`obsids_of` reads what users have at hand: a query result, some of its rows, or obsids
(integers, digit strings, bytestrings of a FITS-like text column).  `product_requests`
splits them into batches (``obsid`` is a comma-separated list, so a long list is split to
keep each request a reasonable size); `mastq.observations.ObservationsClass.get_product_list`
runs them.  Downloads live elsewhere.
"""

import logging

import numpy as np
from astropy.table import Row, Table

from .exceptions import InvalidQueryError

__all__ = ["PRODUCTS_SERVICE", "BATCH", "obsids_of", "product_requests"]

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
    if isinstance(value, np.generic):
        value = value.item()
    text = (value.decode("utf-8") if isinstance(value, bytes) else str(value)).strip()
    if isinstance(value, (bool, np.bool_)) or not text.isdigit():
        raise InvalidQueryError(f"observations: an obsid is an integer id (e.g. 2003738726), "
                                f"got {value!r}; for mission ids like 'U24Z0101T' query "
                                f"obs_id first")
    return text


def product_requests(observations):
    """
    The ``Mast.Caom.Products`` params of observations, one per batch of obsids.

    Parameters
    ----------
    observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
        See `obsids_of`.

    Returns
    -------
    list of dict
        ``{"obsid": "id,id,..."}`` with at most `BATCH` obsids each, in order.

    Raises
    ------
    InvalidQueryError
        If no obsid can be read from ``observations``.
    """
    ids = obsids_of(observations)
    return [{"obsid": ",".join(ids[i:i + BATCH])} for i in range(0, len(ids), BATCH)]
