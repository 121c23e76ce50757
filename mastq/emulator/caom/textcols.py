"""
Vectorized building of string columns (no per-row Python).

Strings are assembled as matrices of unicode code points (one row per value, one column
per character) and viewed as numpy ``<U`` arrays at the end.  Fixed-width pieces (zero
padded numbers, base-36 codes, right-aligned fixed-point numbers, constants) are
concatenated side by side; a variable-width piece in the middle leaves NUL padding that
`compose` squeezes out.  Decimal digits are looked up four at a time, and the integer part
of small fixed-point numbers as a whole, in read-only tables built at import.
"""

import numpy as np

__all__ = ["const", "decimal", "base36", "fixed", "ustr", "compose", "hash_uniform", "hash_int"]

_DIGITS = np.array([ord(c) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"], np.uint32)
_SPACE, _MINUS = np.uint32(ord(" ")), np.uint32(ord("-"))
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix(z):
    """The splitmix64 finalizer over a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_int(seed, index, stream):
    """
    Deterministic 64-bit hash of (seed, row index, stream).

    Parameters
    ----------
    seed, stream : int
        Non-negative integers below 2**31.
    index : numpy.ndarray of int
        Row indices.

    Returns
    -------
    numpy.ndarray of uint64
    """
    key = np.uint64((seed * 1_000_003 + stream * 7919 + 1) & 0x7FFFFFFFFFFFFFFF)
    z = np.asarray(index, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return _mix(_mix(z ^ key) + np.uint64(0x9E3779B97F4A7C15))


def hash_uniform(seed, index, stream):
    """Uniform floats in [0, 1), a pure function of (seed, row index, stream)."""
    return (hash_int(seed, index, stream) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def const(text, n):
    """A constant string as an (n, len) code matrix."""
    codes = np.array([ord(c) for c in text], dtype=np.uint32)
    return np.broadcast_to(codes, (n, len(codes)))


def _digits(values, width, base):
    values = np.asarray(values, dtype=np.int64)
    powers = base ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return _DIGITS[(values[:, None] // powers) % base]


def _frozen(array):
    array.flags.writeable = False
    return array


# The codes of 0000..9999: `decimal` looks up four digits at a time.
_QUADS = _frozen(_DIGITS[(np.arange(10000)[:, None] // 10 ** np.arange(3, -1, -1)) % 10])


def decimal(values, width):
    """Non-negative integers as zero-padded decimal strings of ``width`` characters."""
    if width > 19:
        return _digits(values, width, 10)
    values = np.asarray(values, dtype=np.int64)
    groups = -(-width // 4)
    quads = [_QUADS[values // 10 ** (4 * g) % 10000] for g in range(groups - 1, -1, -1)]
    return np.hstack(quads)[:, 4 * groups - width :] if quads else _digits(values, 0, 10)


def base36(values, width):
    """Non-negative integers as zero-padded upper-case base-36 strings."""
    return _digits(values, width, 36)


def _right_aligned(digits):
    """Leading zeros (but the last digit) as spaces, and the column of the last space."""
    leading = np.cumprod(digits == _DIGITS[0], axis=1).astype(bool)
    leading[:, -1] = False
    return np.where(leading, _SPACE, digits), leading.sum(axis=1) - 1


def _aligned_integers(width):
    """
    ``0 .. 10**width - 1`` right-aligned in ``width`` characters, without and with a sign.

    The minus sign takes the last leading space (a number with none gets no sign): the
    integer part of `fixed`, looked up instead of computed for small widths.
    """
    positive, sign_at = _right_aligned(_digits(np.arange(10**width), width, 10))
    negative = positive.copy()
    signed = np.flatnonzero(sign_at >= 0)
    negative[signed, sign_at[signed]] = _MINUS
    return _frozen(np.stack([positive, negative]))


_ALIGNED = {width: _aligned_integers(width) for width in range(1, 5)}


def _integer_part(values, scaled, whole, int_width):
    negative = (values < 0) & (scaled > 0)
    if int_width in _ALIGNED:
        return _ALIGNED[int_width][negative.astype(np.intp), whole % 10**int_width]
    int_codes, sign_at = _right_aligned(_digits(whole, int_width, 10))
    rows = np.flatnonzero(negative & (sign_at >= 0))
    int_codes[rows, sign_at[rows]] = _MINUS
    return int_codes


def fixed(values, width, decimals):
    """
    Floats right-aligned in ``width`` characters with ``decimals`` decimals (``%W.Df``).

    Parameters
    ----------
    values : numpy.ndarray of float
        Finite values that fit the width.
    width, decimals : int
        Field width and number of decimals.

    Returns
    -------
    numpy.ndarray
        The (n, width) code matrix.
    """
    values = np.asarray(values, dtype=np.float64)
    scaled = np.rint(np.abs(values) * 10.0**decimals).astype(np.int64)
    whole, frac = np.divmod(scaled, 10**decimals)
    int_codes = _integer_part(values, scaled, whole, width - decimals - 1)
    point = np.full((len(values), 1), ord("."), np.uint32)
    return np.hstack([int_codes, point, decimal(frac, decimals)])


def ustr(strings):
    """A numpy string array (or list of str) as a code matrix, NUL-padded."""
    strings = np.asarray(strings, dtype=str)
    width = max(strings.dtype.itemsize // 4, 1)
    return (
        np.ascontiguousarray(strings.astype(f"<U{width}"))
        .view(np.uint32)
        .reshape(len(strings), width)
    )


def compose(parts):
    """
    Concatenate code matrices row-wise into a ``<U`` string array.

    Parameters
    ----------
    parts : list of numpy.ndarray
        Code matrices with the same number of rows; NULs inside a row (from
        variable-width pieces) are squeezed out.

    Returns
    -------
    numpy.ndarray of str
    """
    matrix = np.ascontiguousarray(np.hstack(parts).astype(np.uint32, copy=False))
    empty = matrix == 0
    if empty.any() and (np.diff(empty.view(np.int8), axis=1) < 0).any():
        order = np.argsort(empty, axis=1, kind="stable")
        matrix = np.ascontiguousarray(np.take_along_axis(matrix, order, axis=1))
    return matrix.view(f"<U{matrix.shape[1]}").reshape(len(matrix))
