"""
Positions and search radii as astronomers type them, turned into what MAST's services take.

`parse_coordinates` accepts a `~astropy.coordinates.SkyCoord` in any frame (converted to
ICRS), a coordinate string (``"10.68 41.27"`` in degrees, ``"00h42m44s +41d16m09s"``,
``"00:42:44 +41:16:09"`` with the RA in hours) or an ``(ra, dec)`` pair of numbers
(degrees) or angular quantities.  `parse_radius` accepts an `~astropy.coordinates.Angle`
or `~astropy.units.Quantity` in any angular unit; a bare number means degrees.
`cone_params` gives both as the ``{ra, dec, radius}`` degrees of a cone service.

Column criteria (ranges, wildcards, quantities and times in filters) live in
`mastq.criteria`.
"""

import logging
import numbers
import re

import astropy.units as u
import numpy as np
from astropy.coordinates import Angle, SkyCoord
from astropy.coordinates.errors import ConvertError

from mastq.exceptions import InvalidQueryError

__all__ = ["parse_coordinates", "parse_angle", "parse_radius", "cone_params"]

log = logging.getLogger(__name__)

# what astropy raises when a frame or unit cannot be turned into ICRS degrees
_CONVERSION_ERRORS = (ValueError, TypeError, AttributeError, u.UnitsError, ConvertError)

_DECIMAL_PAIR = re.compile(
    r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?"
    r"[\s,]+[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
)


def parse_coordinates(coordinates, *, name="coordinates"):
    """
    Turn a user's position into an ICRS `~astropy.coordinates.SkyCoord`.

    Parameters
    ----------
    coordinates : `~astropy.coordinates.SkyCoord`, frame, str or (ra, dec)
        A scalar sky position in any frame; a string in degrees (``"10.68 41.27"``) or
        sexagesimal (``"00h42m44s +41d16m09s"``, ``"00:42:44 +41:16:09"`` with RA in
        hours); or a pair of numbers (degrees) or angular quantities.
    name : str, optional
        The argument name used in error messages.

    Returns
    -------
    `~astropy.coordinates.SkyCoord`
        The position in ICRS.

    Raises
    ------
    InvalidQueryError
        If the input is not one finite, scalar sky position that converts to ICRS.

    Examples
    --------
    >>> from astropy.coordinates import SkyCoord
    >>> parse_coordinates("10.684 41.269")
    <SkyCoord (ICRS): (ra, dec) in deg
        (10.684, 41.269)>
    >>> parse_coordinates(SkyCoord(121.17, -21.57, unit="deg", frame="galactic"))
    <SkyCoord (ICRS): (ra, dec) in deg
        (10.67919546, 41.27191022)>
    >>> from mastq.exceptions import InvalidQueryError
    >>> try:
    ...     parse_coordinates("nowhere")
    ... except InvalidQueryError as err:
    ...     print(err)
    coordinates='nowhere' is not a coordinate string (expected e.g. '10.68 41.27' in degrees or
    '00h42m44s +41d16m09s'); to search by name use query_object
    """
    if isinstance(coordinates, str):
        coord = _coord_from_string(coordinates, name)
    elif isinstance(coordinates, SkyCoord) or hasattr(coordinates, "represent_as"):
        coord = SkyCoord(coordinates)
    elif isinstance(coordinates, (tuple, list)) and len(coordinates) == 2:
        coord = _coord_from_pair(coordinates, name)
    else:
        raise InvalidQueryError(
            f"{name} must be a SkyCoord, a coordinate string or an (ra, dec) pair; "
            f"got {type(coordinates).__name__} {coordinates!r}"
        )
    if not coord.isscalar:
        raise InvalidQueryError(f"{name} must be one position, got {len(coord)} positions")
    try:
        icrs = coord.transform_to("icrs")
    except _CONVERSION_ERRORS as err:
        raise InvalidQueryError(
            f"{name} cannot be converted to ICRS ({type(err).__name__}: "
            f"{err}); give an ICRS position or a frame with everything "
            f"its conversion needs (e.g. obstime, location)",
            cause=err,
        ) from err
    if not (np.isfinite(icrs.ra.deg) and np.isfinite(icrs.dec.deg)):
        raise InvalidQueryError(
            f"{name} must be a finite position, got ra={icrs.ra.deg}, dec={icrs.dec.deg} (degrees)"
        )
    return icrs


def _coord_from_string(text, name):
    """Parse a coordinate string: decimal degrees, or sexagesimal with RA in hours."""
    if _DECIMAL_PAIR.match(text):
        unit = (u.deg, u.deg)
    elif ":" in text.strip().split(" ")[0]:
        unit = (u.hourangle, u.deg)
    else:
        unit = None
    try:
        if unit is None:
            return SkyCoord(text, frame="icrs")
        return SkyCoord(text.replace(",", " "), unit=unit, frame="icrs")
    except _CONVERSION_ERRORS as err:
        raise InvalidQueryError(
            f"{name}={text!r} is not a coordinate string (expected e.g. '10.68 41.27' in "
            f"degrees or '00h42m44s +41d16m09s'); to search by name use query_object",
            cause=err,
        ) from err


def _coord_from_pair(pair, name):
    """Build a SkyCoord from (ra, dec): numbers are degrees, quantities any angle unit."""
    ra, dec = (_angle(value, f"{name}[{i}]") for i, value in enumerate(pair))
    for i, angle in enumerate((ra, dec)):
        if not angle.isscalar or not np.isfinite(angle.deg):
            raise InvalidQueryError(f"{name}[{i}] must be one finite angle, got {angle}")
    try:
        return SkyCoord(ra, dec, frame="icrs")
    except _CONVERSION_ERRORS as err:
        raise InvalidQueryError(
            f"{name}={pair!r} is not a valid (ra, dec): {err}", cause=err
        ) from err


def _angle(value, name):
    """An `Angle` from an angular Quantity/Angle or a bare real number (degrees)."""
    if isinstance(value, (bool, np.bool_)):
        raise InvalidQueryError(f"{name} must be an angle or a number of degrees, got {value!r}")
    if isinstance(value, u.Quantity):
        if value.unit is None or value.unit.physical_type != "angle":
            raise InvalidQueryError(
                f"{name} must be an angle (e.g. 0.2*u.deg, 3*u.arcmin) or a number of degrees, "
                f"got a quantity in {value.unit} ({value.unit.physical_type})"
            )
        with np.errstate(over="ignore", invalid="ignore"):  # overflow -> inf, rejected later
            return Angle(value.to(u.deg))
    if isinstance(value, str):
        try:
            return Angle(value, unit=u.deg)
        except _CONVERSION_ERRORS as err:
            raise InvalidQueryError(f"{name}={value!r} is not an angle", cause=err) from err
    if not isinstance(value, numbers.Real) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        raise InvalidQueryError(
            f"{name} must be an angle or a number of degrees, got {type(value).__name__}"
        )
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise InvalidQueryError(
            f"{name} must be an angle or a number of degrees, got {type(value).__name__}", cause=err
        ) from err
    return Angle(number, u.deg)


def parse_angle(value, *, name):
    """
    Turn one angle as users type it into an `~astropy.coordinates.Angle`.

    Parameters
    ----------
    value : `~astropy.units.Quantity`, `~astropy.coordinates.Angle`, float or str
        Any angular unit; a bare number (or a string without unit) means degrees.
    name : str
        The argument name used in error messages.

    Returns
    -------
    `~astropy.coordinates.Angle`

    Raises
    ------
    InvalidQueryError
        If ``value`` is not one finite angle.

    Examples
    --------
    >>> parse_angle("10d30m", name="ra")
    <Angle 10.5 deg>
    """
    angle = _angle(value, name)
    if not angle.isscalar or not np.isfinite(angle.deg):
        raise InvalidQueryError(f"{name} must be one finite angle, got {value!r}")
    return angle


def parse_radius(radius, *, name="radius"):
    """
    Turn a user's search radius into an `~astropy.coordinates.Angle`.

    Parameters
    ----------
    radius : `~astropy.coordinates.Angle`, `~astropy.units.Quantity`, float or str
        Any angular unit; a bare number means degrees.
    name : str, optional
        The argument name used in error messages.

    Returns
    -------
    `~astropy.coordinates.Angle`

    Raises
    ------
    InvalidQueryError
        If ``radius`` is not an angle (e.g. a length), is negative, not finite, or not scalar.

    Examples
    --------
    >>> import astropy.units as u
    >>> parse_radius(0.1), parse_radius("2 arcmin"), parse_radius(30 * u.arcsec)
    (<Angle 0.1 deg>, <Angle 0.03333333 deg>, <Angle 0.00833333 deg>)
    """
    angle = _angle(radius, name)
    if not angle.isscalar:
        raise InvalidQueryError(f"{name} must be one angle, got {angle.size} values")
    if not np.isfinite(angle.deg) or angle.deg < 0:
        raise InvalidQueryError(f"{name} must be a finite, non-negative angle, got {angle}")
    return angle


def cone_params(coordinates, radius):
    """
    Build the ``{ra, dec, radius}`` params (degrees) of a cone service.

    Parameters
    ----------
    coordinates : `~astropy.coordinates.SkyCoord`, str or (ra, dec)
        See `parse_coordinates`.
    radius : `~astropy.coordinates.Angle`, `~astropy.units.Quantity` or float
        See `parse_radius`.

    Returns
    -------
    dict
        ``{"ra": float, "dec": float, "radius": float}``, all in degrees.

    Raises
    ------
    InvalidQueryError
        If either input is invalid.

    Examples
    --------
    >>> import astropy.units as u
    >>> cone_params("10.684 41.269", 3 * u.arcmin)
    {'ra': 10.684, 'dec': 41.269, 'radius': 0.05}
    """
    coord = parse_coordinates(coordinates)
    angle = parse_radius(radius)
    return {"ra": float(coord.ra.deg), "dec": float(coord.dec.deg), "radius": float(angle.deg)}
