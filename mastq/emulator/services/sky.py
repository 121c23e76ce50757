"""
Positions on the sky for the local MAST: cone selection and the parsing of positions.

All angles are in degrees unless said otherwise; distances returned to clients are in
arcseconds, as MAST's ``distance`` column.  Separations are computed with the Vincenty
formula (the one astropy uses), which is accurate at every scale, near the poles and
across the RA wrap at 0/360 deg.
"""

import math
import re

import numpy as np

from mastq.emulator.model import ServiceError

__all__ = ["cone_select", "separation", "parse_cone", "parse_position", "parse_angle"]

_POSITION_SPLIT = re.compile(r"[,\s]+")


def separation(ra, dec, ra0, dec0):
    """
    Angular separation between positions and one centre (Vincenty formula).

    Parameters
    ----------
    ra, dec : array-like of float
        Positions, in degrees.
    ra0, dec0 : float
        The centre, in degrees.

    Returns
    -------
    numpy.ndarray
        The separations, in degrees (float64).
    """
    lon1, lat1 = np.deg2rad(ra0), np.deg2rad(dec0)
    lon2 = np.deg2rad(np.asarray(ra, dtype=np.float64))
    lat2 = np.deg2rad(np.asarray(dec, dtype=np.float64))
    dlon = lon2 - lon1
    sin_lat2, cos_lat2 = np.sin(lat2), np.cos(lat2)
    cos_dlon = np.cos(dlon)
    num1 = cos_lat2 * np.sin(dlon)
    num2 = math.cos(lat1) * sin_lat2 - math.sin(lat1) * cos_lat2 * cos_dlon
    denominator = math.sin(lat1) * sin_lat2 + math.cos(lat1) * cos_lat2 * cos_dlon
    return np.rad2deg(np.arctan2(np.hypot(num1, num2), denominator))


def cone_select(ra, dec, ra0, dec0, radius):
    """
    Select the rows of a collection that lie within a cone.

    Parameters
    ----------
    ra, dec : numpy.ndarray of float
        Positions of the whole collection, in degrees.
    ra0, dec0 : float
        Centre of the cone, in degrees.
    radius : float
        Radius of the cone, in degrees (a negative radius selects nothing).

    Returns
    -------
    index : numpy.ndarray of int64
        Rows within the cone (separation <= radius), sorted by distance ascending
        (ties keep row order).
    distance : numpy.ndarray of float64
        The separation of each selected row, in arcseconds.
    """
    ra = np.asarray(ra)
    dec = np.asarray(dec)
    if radius < 0 or len(ra) == 0:
        return np.empty(0, np.int64), np.empty(0, np.float64)
    # Cheap prefilter: a point in the cone lies within `radius` of dec0 in declination.
    band = np.flatnonzero(np.abs(dec - dec0) <= radius + 1e-9)
    reach = math.sin(math.radians(min(radius, 90.0))) / max(math.cos(math.radians(dec0)), 1e-300)
    if radius < 90 and reach < 0.999 and len(band):
        # ... and, unless the cone holds a pole, within asin(sin r / cos dec0) in RA.
        half_width = math.degrees(math.asin(reach)) * (1 + 1e-9) + 1e-9
        dra = np.abs((ra[band] - ra0 + 180.0) % 360.0 - 180.0)
        band = band[dra <= half_width]
    sep = separation(ra[band], dec[band], ra0, dec0)
    keep = sep <= radius
    index, sep = band[keep], sep[keep]
    order = np.argsort(sep, kind="stable")
    return index[order].astype(np.int64), sep[order] * 3600.0


def parse_angle(value, *, name, service, low, high):
    """
    Read one angle (a number or a numeric string, in degrees) and check its range.

    Parameters
    ----------
    value : object
        The raw parameter value.
    name : str
        The parameter name, used in the error message.
    service : str
        The service name, used in the error message.
    low, high : float
        Inclusive bounds of the accepted values.

    Returns
    -------
    float
        The value in degrees.

    Raises
    ------
    mastq.emulator.model.ServiceError
        If the value is missing, not a number, not finite or out of range.
    """
    if value is None:
        raise ServiceError(f"{service}: missing required parameter '{name}' (degrees)")
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.number)):
        raise ServiceError(
            f"{service}: parameter '{name}' must be a number of degrees, got {value!r}"
        )
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ServiceError(
            f"{service}: parameter '{name}' must be a number of degrees, got {value!r}"
        ) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ServiceError(
            f"{service}: parameter '{name}' must be between {low:g} and "
            f"{high:g} degrees, got {value!r}"
        )
    return number


def _checked(ra, dec, radius, *, service, names):
    ra = parse_angle(ra, name=names[0], service=service, low=-360.0, high=360.0)
    dec = parse_angle(dec, name=names[1], service=service, low=-90.0, high=90.0)
    radius = parse_angle(radius, name=names[2], service=service, low=0.0, high=180.0)
    return ra % 360.0, dec, radius


def parse_cone(params, *, service):
    """
    Read the ``ra``, ``dec`` and ``radius`` parameters of a cone service.

    Parameters
    ----------
    params : dict
        The service parameters; ``ra``, ``dec`` and ``radius`` are numbers or numeric
        strings, in degrees.
    service : str
        The service name, used in error messages.

    Returns
    -------
    tuple of float
        ``(ra, dec, radius)`` in degrees, ``ra`` normalized to [0, 360).

    Raises
    ------
    mastq.emulator.model.ServiceError
        Naming the parameter that is missing or invalid.
    """
    if not isinstance(params, dict):
        raise ServiceError(
            f"{service}: params must be an object with ra, dec and radius, "
            f"got {type(params).__name__}"
        )
    return _checked(
        params.get("ra"),
        params.get("dec"),
        params.get("radius"),
        service=service,
        names=("ra", "dec", "radius"),
    )


def parse_position(position, *, service):
    """
    Read a ``position`` parameter, the string ``"ra, dec, radius"`` in degrees.

    Parameters
    ----------
    position : str
        Three numbers separated by commas and/or spaces.
    service : str
        The service name, used in error messages.

    Returns
    -------
    tuple of float
        ``(ra, dec, radius)`` in degrees, ``ra`` normalized to [0, 360).

    Raises
    ------
    mastq.emulator.model.ServiceError
        If the parameter is missing, not a string of three numbers, or out of range.
    """
    if position is None:
        raise ServiceError(
            f"{service}: missing required parameter 'position' (\"ra, dec, radius\" in degrees)"
        )
    if not isinstance(position, str):
        raise ServiceError(
            f"{service}: parameter 'position' must be a string "
            f'"ra, dec, radius" in degrees, got {position!r}'
        )
    parts = [p for p in _POSITION_SPLIT.split(position.strip()) if p]
    if len(parts) != 3:
        raise ServiceError(
            f"{service}: parameter 'position' must be \"ra, dec, radius\" "
            f"in degrees (three numbers), got {position!r}"
        )
    names = ("position ra", "position dec", "position radius")
    return _checked(*parts, service=service, names=names)
