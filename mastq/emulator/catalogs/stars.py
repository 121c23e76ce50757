"""
A deterministic synthetic stellar population, shared by the local MAST's star catalogs.

The TIC, the CTL and Gaia DR3 of the emulator are views of one population, so that the
same star has consistent positions, distances, temperatures and magnitudes in all of them
(the TIC's ``GAIA`` column holds the Gaia ``source_id`` of the star).  Everything is built
with whole-array numpy operations from one seeded generator: building 50,000 stars takes a
few tens of milliseconds.
"""

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Population",
    "make_population",
    "sky_positions",
    "galactic",
    "ecliptic",
    "healpix_nested",
    "sexagesimal_names",
]

_SUN_TEFF = 5772.0
# ICRS -> Galactic rotation (Hipparcos definition, as astropy uses).
_GALACTIC = np.array(
    [
        [-0.0548755604162154, -0.8734370902348850, -0.4838350155487132],
        [+0.4941094278755837, -0.4448296299600112, +0.7469822444972189],
        [-0.8676661490190047, -0.1980763734312015, +0.4559837761750669],
    ]
)
_OBLIQUITY = np.deg2rad(23.4392911)  # J2000 mean obliquity of the ecliptic
_ECLIPTIC = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, np.cos(_OBLIQUITY), np.sin(_OBLIQUITY)],
        [0.0, -np.sin(_OBLIQUITY), np.cos(_OBLIQUITY)],
    ]
)
DWARF, GIANT = 0, 1


def sky_positions(rng, n, centres, *, clustered=0.3, spread=0.25):
    """
    Draw positions: a share clustered around given centres, the rest uniform on the sphere.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random generator.
    n : int
        Number of positions.
    centres : sequence of (float, float)
        ``(ra, dec)`` in degrees of the targets to cluster stars around; may be empty.
    clustered : float, optional
        Share of the positions drawn around the centres.
    spread : float, optional
        Gaussian sigma of each cluster, in degrees.

    Returns
    -------
    ra, dec : numpy.ndarray of float64
        Positions in degrees, ``ra`` in [0, 360).
    """
    n_clustered = int(round(n * clustered)) if len(centres) else 0
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.rad2deg(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    if n_clustered:
        centre = np.asarray(centres, dtype=np.float64)[rng.integers(0, len(centres), n_clustered)]
        # Offsets on the tangent plane, projected back so clusters stay round near poles.
        xi, eta = rng.normal(0.0, np.deg2rad(spread), (2, n_clustered))
        ra[:n_clustered], dec[:n_clustered] = _deproject(centre[:, 0], centre[:, 1], xi, eta)
    return ra, dec


def _deproject(ra0, dec0, xi, eta):
    """Gnomonic deprojection of tangent-plane offsets (radians) around centres (deg)."""
    a0, d0 = np.deg2rad(ra0), np.deg2rad(dec0)
    denom = np.cos(d0) - eta * np.sin(d0)
    ra = a0 + np.arctan2(xi, denom)
    dec = np.arctan2(np.sin(d0) + eta * np.cos(d0), np.hypot(xi, denom))
    return np.rad2deg(ra) % 360.0, np.rad2deg(dec)


def _rotate(matrix, ra, dec):
    a, d = np.deg2rad(ra), np.deg2rad(dec)
    xyz = np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    x, y, z = matrix @ xyz
    return np.rad2deg(np.arctan2(y, x)) % 360.0, np.rad2deg(np.arcsin(np.clip(z, -1, 1)))


def galactic(ra, dec):
    """Return Galactic ``(l, b)`` in degrees of ICRS positions in degrees."""
    return _rotate(_GALACTIC, ra, dec)


def ecliptic(ra, dec):
    """Return J2000 mean ecliptic ``(lon, lat)`` in degrees of ICRS positions in degrees."""
    return _rotate(_ECLIPTIC, ra, dec)


def _spread_bits(v):
    """Interleave zeros between the bits of v (< 2**16): bit i goes to bit 2i."""
    v = v.astype(np.int64)
    for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
        v = (v | (v << shift)) & mask
    return v


def healpix_nested(ra, dec, order):
    """
    HEALPix pixel index in the NESTED scheme (as Gaia ``source_id`` encodes at order 12).

    Parameters
    ----------
    ra, dec : numpy.ndarray of float
        Positions in degrees.
    order : int
        HEALPix order (``nside = 2**order``), at most 15.

    Returns
    -------
    numpy.ndarray of int64
        The pixel indices, in ``[0, 12 * 4**order)``.
    """
    nside = 1 << order
    z = np.sin(np.deg2rad(dec))
    za = np.abs(z)
    tt = (np.asarray(ra, dtype=np.float64) % 360.0) / 90.0
    # Equatorial zone.
    t1, t2 = nside * (0.5 + tt), nside * z * 0.75
    jp, jm = (t1 - t2).astype(np.int64), (t1 + t2).astype(np.int64)
    ifp, ifm = jp // nside, jm // nside
    face = np.where(ifp == ifm, ifp | 4, np.where(ifp < ifm, ifp, ifm + 8))
    ix, iy = jm & (nside - 1), nside - (jp & (nside - 1)) - 1
    # Polar caps.
    ntt = np.minimum(tt.astype(np.int64), 3)
    tp = tt - ntt
    tmp = nside * np.sqrt(3.0 * (1.0 - za))
    pjp = np.minimum((tp * tmp).astype(np.int64), nside - 1)
    pjm = np.minimum(((1.0 - tp) * tmp).astype(np.int64), nside - 1)
    north = z >= 0
    polar = za > 2.0 / 3.0
    face = np.where(polar, np.where(north, ntt, ntt + 8), face)
    ix = np.where(polar, np.where(north, nside - pjm - 1, pjp), ix)
    iy = np.where(polar, np.where(north, nside - pjp - 1, pjm), iy)
    return face * nside * nside + _spread_bits(ix) + (_spread_bits(iy) << 1)


def sexagesimal_names(ra, dec, *, prefix="", ra_digits=2, dec_digits=1, sep=""):
    """
    IAU-style names from truncated sexagesimal positions (2MASS, AllWISE...).

    Parameters
    ----------
    ra, dec : numpy.ndarray of float
        Positions in degrees.
    prefix : str, optional
        Text before the position (``"J"`` for AllWISE).
    ra_digits, dec_digits : int, optional
        Decimals of the RA seconds and Dec arcseconds.
    sep : str, optional
        Text between the seconds and their decimals (``"."`` or ``""`` for 2MASS).

    Returns
    -------
    list of str
        E.g. ``"16573094-0405387"`` (2MASS) or ``"J165736.15-035619.8"`` (AllWISE).
    """
    ra_units = np.floor(np.asarray(ra) / 15.0 * 3600.0 * 10**ra_digits).astype(np.int64)
    dec_units = np.floor(np.abs(dec) * 3600.0 * 10**dec_digits).astype(np.int64)
    rs, rf = np.divmod(ra_units, 10**ra_digits)
    ds, df = np.divmod(dec_units, 10**dec_digits)
    signs = np.where(np.asarray(dec) < 0, "-", "+")
    return [
        f"{prefix}{r // 3600:02d}{r // 60 % 60:02d}{r % 60:02d}{sep}{f:0{ra_digits}d}"
        f"{s}{d // 3600:02d}{d // 60 % 60:02d}{d % 60:02d}{sep}{g:0{dec_digits}d}"
        for r, f, s, d, g in zip(
            rs.tolist(), rf.tolist(), signs.tolist(), ds.tolist(), df.tolist(), strict=True
        )
    ]


@dataclass(frozen=True)
class Population:
    """
    Physical properties of synthetic stars (one numpy array per quantity).

    Parameters
    ----------
    ra, dec : numpy.ndarray
        ICRS position at epoch 2016.0, degrees.
    distance : numpy.ndarray
        Distance, parsec.
    pmra, pmdec : numpy.ndarray
        Proper motion (``pmra`` includes cos dec), mas/yr.
    rv : numpy.ndarray
        Radial velocity, km/s.
    lumclass : numpy.ndarray of int8
        `DWARF` or `GIANT`.
    teff, logg, radius, mass, lum, mh : numpy.ndarray
        K, log10(cm s-2), solar radii, solar masses, solar luminosities, dex.
    ebv : numpy.ndarray
        Reddening E(B-V), mag.
    vmag, bv : numpy.ndarray
        Apparent Johnson V and colour B-V (reddened), mag.
    """

    ra: np.ndarray
    dec: np.ndarray
    distance: np.ndarray
    pmra: np.ndarray
    pmdec: np.ndarray
    rv: np.ndarray
    lumclass: np.ndarray
    teff: np.ndarray
    logg: np.ndarray
    radius: np.ndarray
    mass: np.ndarray
    lum: np.ndarray
    mh: np.ndarray
    ebv: np.ndarray
    vmag: np.ndarray
    bv: np.ndarray

    def __len__(self):
        return len(self.ra)

    def photometry(self):
        """
        Apparent magnitudes in other bands, from V, B-V and the temperature.

        Returns
        -------
        dict
            ``B, G, BP, RP, T, J, H, K, W1..W4, u, g, r, i, z`` -> numpy.ndarray (mag).
        """
        v, bv = self.vmag, self.bv
        bp_rp = np.clip(1.26 * bv + 0.05, -0.5, 5.0)
        g = v - 0.0176 - 0.00686 * bp_rp - 0.1732 * bp_rp**2 + 0.02
        tmag = g - 0.00522555 * bp_rp**3 + 0.0891337 * bp_rp**2 - 0.633923 * bp_rp + 0.0324473
        j = v - (0.2 + 1.45 * bv)
        h = j - (0.05 + 0.36 * bv)
        k = h - (0.02 + 0.1 * bv)
        return {
            "B": v + bv,
            "G": g,
            "BP": g + 0.35 * bp_rp,
            "RP": g - 0.6 * bp_rp,
            "T": tmag,
            "J": j,
            "H": h,
            "K": k,
            "W1": k - 0.04,
            "W2": k - 0.02,
            "W3": k - 0.08,
            "W4": k - 0.1,
            "u": v + 1.6 * bv + 0.8,
            "g": v + 0.6 * bv - 0.1,
            "r": v - 0.42 * bv - 0.1,
            "i": v - 0.8 * bv - 0.1,
            "z": v - 1.0 * bv - 0.1,
        }


def _stellar_parameters(rng, n):
    """Draw luminosity class, Teff, mass, radius, luminosity, logg and [M/H]."""
    lumclass = np.where(rng.random(n) < 0.18, GIANT, DWARF).astype(np.int8)
    giant = lumclass == GIANT
    teff = np.clip(10 ** rng.normal(3.70, 0.11, n), 2600.0, 32000.0)
    teff[giant] = rng.uniform(3700.0, 5300.0, giant.sum())
    mass = np.clip((teff / _SUN_TEFF) ** 1.75 * rng.normal(1.0, 0.05, n), 0.08, 40.0)
    mass[giant] = rng.uniform(0.8, 3.0, giant.sum())
    radius = np.where(mass < 1.0, mass**0.9, mass**0.78)
    radius[giant] = 10 ** rng.uniform(0.6, 1.6, giant.sum())
    lum = radius**2 * (teff / _SUN_TEFF) ** 4
    logg = 4.438 + np.log10(mass) - 2.0 * np.log10(radius)
    mh = np.clip(rng.normal(-0.1, 0.25, n), -2.5, 0.6)
    return lumclass, teff, mass, radius, lum, logg, mh


def make_population(rng, n, *, centres=()):
    """
    Draw ``n`` stars: positions, kinematics, stellar parameters and V photometry.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random generator (the result depends only on its state).
    n : int
        Number of stars.
    centres : sequence of (float, float), optional
        ``(ra, dec)`` in degrees around which a share of the stars is clustered.

    Returns
    -------
    Population
    """
    ra, dec = sky_positions(rng, n, centres)
    distance = np.clip(10 ** rng.normal(2.75, 0.45, n), 3.0, 20000.0)
    lumclass, teff, mass, radius, lum, logg, mh = _stellar_parameters(rng, n)
    v_tangential = rng.normal(0.0, 35.0, (2, n))  # km/s
    pmra, pmdec = v_tangential / (4.74047 * distance / 1000.0)
    ebv = np.clip(distance * 1e-4 * rng.uniform(0.2, 1.8, n), 0.0, 3.0)
    bv0 = np.clip(-3.684 * np.log10(teff) + 14.551, -0.35, 2.0)
    bolometric = 4.74 - 2.5 * np.log10(lum)
    correction = -8.5 * (np.log10(teff) - 3.76) ** 2 - 0.07
    vmag = bolometric - correction + 5.0 * np.log10(distance) - 5.0 + 3.1 * ebv
    return Population(
        ra=ra,
        dec=dec,
        distance=distance,
        pmra=pmra,
        pmdec=pmdec,
        rv=rng.normal(0.0, 40.0, n),
        lumclass=lumclass,
        teff=teff,
        logg=logg,
        radius=radius,
        mass=mass,
        lum=lum,
        mh=mh,
        ebv=ebv,
        vmag=vmag,
        bv=bv0 + ebv,
    )
