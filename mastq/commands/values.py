"""
Command-line words as astronomers type them, turned into mastq's Python inputs.

- ``k=v`` criteria: ``obs_collection=HST,JWST`` is a list (OR), ``t_exptime=100..1000`` a
  ``(min, max)`` range with open ends allowed (``100..``, ``..1000``), numbers are numbers and
  everything else stays text (``*`` wildcards and ISO dates included);
- a radius such as ``3arcmin``, ``0.05deg`` or ``10"``; a bare number means degrees;
- a position: one object name, or RA and Dec (degrees, or sexagesimal such as ``14h03m12.6s``
  ``+54d20m56s`` or ``14:03:12.6 +54:20:56``, RA in hours).
"""

import argparse
import math

import astropy.units as u
from astropy.coordinates import Angle, SkyCoord

__all__ = ["criterion", "product_filter", "parse_value", "radius", "position", "criteria_dict"]

RANGE = ".."
"""Separator of the two ends of a range (``100..1000``)."""


def parse_value(text):
    """
    One criterion value as typed: a list, a range, a number or text.

    Parameters
    ----------
    text : str
        E.g. ``"HST,JWST"``, ``"100..1000"``, ``"100.."``, ``"2.5"``, ``"NIRCAM*"``.

    Returns
    -------
    list, tuple, int, float or str
        A list for comma-separated values, a ``(min, max)`` tuple for a range (None for an
        open end), a number when the text is one, else the text.

    Examples
    --------
    >>> parse_value("HST,JWST")
    ['HST', 'JWST']
    >>> parse_value("100..")
    (100, None)
    """
    if "," in text:
        return [_scalar_or_range(item.strip()) for item in text.split(",") if item.strip()]
    return _scalar_or_range(text.strip())


def _scalar_or_range(text):
    if RANGE not in text:
        return _scalar(text)
    low, _, high = text.partition(RANGE)
    if not low.strip() and not high.strip():
        raise ValueError(f"the range {text!r} has no end: write min..max, min.. or ..max")
    return (
        _scalar(low.strip()) if low.strip() else None,
        _scalar(high.strip()) if high.strip() else None,
    )


def _scalar(text):
    for kind in (int, float):
        try:
            number = kind(text)
        except ValueError:
            continue
        return number if math.isfinite(number) else text
    return text


def criterion(text):
    """
    An argparse type: ``"name=value"`` -> ``(name, parsed value)`` (see `parse_value`).

    Parameters
    ----------
    text : str
        E.g. ``"obs_collection=HST,JWST"``.

    Returns
    -------
    tuple
        ``(name, value)``.

    Raises
    ------
    argparse.ArgumentTypeError
        If there is no ``=``, no name or no value.
    """
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(
            f"expected name=value (e.g. obs_collection=HST,JWST or t_exptime=100..), got {text!r}"
        )
    try:
        return name.strip(), parse_value(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{name.strip()}: {exc}") from None


def product_filter(text):
    """
    An argparse type: ``"name=a,b"`` -> ``(name, ["a", "b"])``, ``"name=<1000"`` -> ``(name,
    "<1000")``: the text as `~mastq.observations.Observations.filter_products` reads it
    (``!x`` excludes, ``<1000`` and ``100..2000`` compare numbers).

    Parameters
    ----------
    text : str
        E.g. ``"productType=SCIENCE"`` or ``"productSubGroupDescription=CAL,X1D"``.

    Returns
    -------
    tuple
        ``(name, value)``: a str, or a list of str for comma-separated values.

    Raises
    ------
    argparse.ArgumentTypeError
        If there is no ``=``, no name or no value.
    """
    name, equals, value = text.partition("=")
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not equals or not name.strip() or not items:
        raise argparse.ArgumentTypeError(
            f"expected name=value (e.g. productType=SCIENCE or size=<1000), got {text!r}"
        )
    return name.strip(), items if len(items) > 1 else items[0]


def criteria_dict(pairs, *, option="--criteria"):
    """
    ``[(name, value), ...]`` -> ``{name: value}``, refusing a name given twice.

    Parameters
    ----------
    pairs : list of tuple or None
        Parsed `criterion` values.
    option : str, optional
        The option named in the error message.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If a name is given twice.
    """
    result = {}
    for name, value in pairs or ():
        if name in result:
            raise ValueError(
                f"{option}: {name} given twice; give a list instead "
                f"({name}=a,b) or a range ({name}=min..max)"
            )
        result[name] = value
    return result


def radius(text):
    """
    An argparse type: ``"3arcmin"``, ``"0.05 deg"``, ``"10arcsec"`` -> an angle.

    Parameters
    ----------
    text : str
        A number with an angular unit; a bare number means degrees.

    Returns
    -------
    `~astropy.units.Quantity`

    Raises
    ------
    argparse.ArgumentTypeError
        If the text is not a positive angle.
    """
    try:
        value = _number_or_angle(text.strip())
    except (TypeError, ValueError, u.UnitsError):
        raise argparse.ArgumentTypeError(
            f"expected an angle such as 3arcmin, 0.05deg or 10arcsec, got {text!r}"
        ) from None
    if not value.value > 0:
        raise argparse.ArgumentTypeError(f"the radius must be positive, got {text!r}")
    return value


def _number_or_angle(text):
    try:
        return float(text) * u.deg
    except ValueError:
        pass
    try:
        value = u.Quantity(text)
    except (TypeError, ValueError):
        return Angle(text)
    value.to(u.deg)  # an angle, or UnitsError
    return value


def position(words):
    """
    The target of a search: one object name, or RA and Dec.

    Parameters
    ----------
    words : list of str
        ``["M101"]``, ``["210.80", "54.35"]`` or ``["14h03m12.6s", "+54d20m56s"]``.

    Returns
    -------
    str or `~astropy.coordinates.SkyCoord`
        The name to resolve, or the ICRS position.

    Raises
    ------
    ValueError
        If there are more than two words, or two words that are not an RA and a Dec.
    """
    if len(words) == 1:
        return words[0]
    if len(words) != 2:
        raise ValueError(
            f"expected NAME or RA DEC, got {len(words)} words {words!r} "
            f'(quote a name with blanks: "NGC 5457")'
        )
    ra, dec = words
    try:
        return SkyCoord(_angle(ra, u.hourangle), _angle(dec, u.deg), frame="icrs")
    except (TypeError, ValueError, u.UnitsError):
        raise ValueError(
            f"expected RA DEC in degrees (210.80 54.35) or sexagesimal "
            f"(14h03m12.6s +54d20m56s), got {ra!r} {dec!r} (quote a name with "
            f'blanks: "NGC 5457")'
        ) from None


def _angle(text, colon_unit):
    """Degrees for a bare number, ``colon_unit`` for ``hh:mm:ss``, else the text's units."""
    try:
        return Angle(float(text), u.deg)
    except ValueError:
        pass
    if ":" in text or " " in text.strip():
        return Angle(text, colon_unit)
    return Angle(text)
