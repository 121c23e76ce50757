"""The sample archive of the local MAST: determinism, ids, products, files, names, scale."""

import io
import threading

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits

from mastq.emulator.caom import caomtext, textcols
from mastq.emulator.caom.archive import Archive, exact_rows_filter
from mastq.emulator.services import run_service
from mastq.emulator.services.names import OBJECTS, resolve


@pytest.fixture(scope="module")
def archive():
    return Archive(seed=3, scale=0.2, catalog_scale=0.05)


def all_rows(result):
    return result.make_chunk(0, result.nrows)


def test_default_size():
    assert Archive().nrows == 30000  # build time: bench/bench_emulator.py


def test_same_seed_same_rows_other_seed_other_rows():
    first = all_rows(Archive(seed=5, scale=0.1, catalog_scale=0.05).synthetic_rows(3000))
    again = all_rows(Archive(seed=5, scale=0.1, catalog_scale=0.05).synthetic_rows(3000))
    other = all_rows(Archive(seed=6, scale=0.1, catalog_scale=0.05).synthetic_rows(3000))
    for name in first:
        assert np.ma.allequal(first[name], again[name]), name
    assert not np.array_equal(first["s_ra"], other["s_ra"])


def test_rows_do_not_depend_on_scale_or_chunking(archive):
    small = all_rows(Archive(seed=3, scale=0.05, catalog_scale=0.05).synthetic_rows(1500))
    big = archive.synthetic_rows(1500)
    pieces = [big.make_chunk(lo, lo + 400) for lo in range(0, 1500, 400)]
    for name in small:
        joined = np.ma.concatenate([np.ma.asarray(p[name]) for p in pieces])
        assert np.ma.allequal(small[name], joined), name


def test_ids_unique_and_big(archive):
    chunk = all_rows(archive.synthetic_rows(archive.nrows))
    assert len(set(chunk["obsid"].tolist())) == archive.nrows
    assert len(set(chunk["objID"].tolist())) == archive.nrows
    assert len(set(chunk["obs_id"].tolist())) == archive.nrows
    assert (chunk["objID"] > 2**53).any() and (chunk["objID"] < 2**53).any()
    assert np.all((chunk["obsid"] > 1.9e9) & (chunk["obsid"] < 2.2e9))


def test_realistic_values_and_nulls(archive):
    chunk = all_rows(archive.synthetic_rows(archive.nrows))
    missions = set(chunk["obs_collection"].tolist())
    assert {
        "HST",
        "JWST",
        "TESS",
        "Kepler",
        "K2",
        "GALEX",
        "PS1",
        "SWIFT",
        "IUE",
        "SPITZER_SHA",
    } == missions
    assert np.all(chunk["t_max"] >= chunk["t_min"])
    em_min = chunk["em_min"]
    assert em_min.mask.any() and np.all(em_min.compressed() <= chunk["em_max"].compressed())
    tess = chunk["obs_collection"] == "TESS"
    assert chunk["proposal_pi"][tess].mask.all()
    assert chunk["dataURL"].mask[chunk["obs_collection"] == "HST"].all()
    regions = chunk["s_region"].tolist()
    assert all(r.startswith(("POLYGON ICRS", "CIRCLE ICRS")) for r in regions)
    named = np.isin(chunk["target_name"].filled(""), [o.target for o in OBJECTS])
    assert 0.4 < named.mean() < 0.6


def test_clustered_rows_are_near_their_target(archive):
    chunk = all_rows(archive.synthetic_rows(2000))
    by_target = {o.target: o for o in OBJECTS}
    names = chunk["target_name"].filled("").tolist()
    picked = [i for i, name in enumerate(names) if name in by_target]
    ra = [by_target[names[i]].ra for i in picked]
    dec = [by_target[names[i]].dec for i in picked]
    sep = (
        SkyCoord(chunk["s_ra"][picked], chunk["s_dec"][picked], unit="deg")
        .separation(SkyCoord(ra, dec, unit="deg"))
        .deg
    )
    assert np.all(sep <= 0.5 + 1e-6)


def test_product_sizes_equal_files_and_fits_open(archive):
    ids = all_rows(archive.synthetic_rows(40))["obsid"].tolist()
    products = all_rows(
        run_service("Mast.Caom.Products", {"obsid": ",".join(map(str, ids))}, archive)
    )
    assert len(products["dataURI"]) >= 80
    for uri, size in zip(products["dataURI"].tolist(), products["size"].tolist(), strict=True):
        found = archive.product_file(uri)
        assert found is not None and len(found.content) == size, uri
        if uri.endswith(".fits"):
            with fits.open(io.BytesIO(found.content)) as hdus:
                assert hdus[1].data.ndim == 2
                assert hdus[0].header["TELESCOP"] == uri.split(":")[1].split("/")[0]
    assert archive.product_file("mast:HST/product/nothing_drz.fits") is None
    assert archive.product_file("not a uri") is None


def test_proprietary_products_exist(archive):
    obs = archive.observations
    rows = np.flatnonzero(obs.proprietary)
    assert len(rows) > 0
    assert np.all(obs.t_obs_release[rows] > 61000)
    result = run_service("Mast.Caom.Products", {"obsid": str(obs.obsid(rows[:1])[0])}, archive)
    uri = all_rows(result)["dataURI"][0]
    assert archive.product_file(uri).proprietary
    public = np.flatnonzero(~obs.proprietary)[:1]
    uri = all_rows(
        run_service("Mast.Caom.Products", {"obsid": str(obs.obsid(public)[0])}, archive)
    )["dataURI"][0]
    assert not archive.product_file(uri).proprietary


def test_product_files_thread_safe(archive):
    ids = all_rows(archive.synthetic_rows(10))["obsid"].tolist()
    uris = all_rows(run_service("Mast.Caom.Products", {"obsid": ids}, archive))["dataURI"]
    results, errors = {}, []

    def work(k):
        try:
            results[k] = [archive.product_file(u).content for u in uris.tolist()]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and all(results[k] == results[0] for k in results)


@pytest.mark.parametrize(
    "name, ra, dec",
    [
        ("M101", 210.802429, 54.34875),
        ("m 1", 83.6324, 22.0174),
        ("Barnard's star", 269.4520769586187, 4.6933649665767),
        ("VEGA", 279.2347, 38.7837),
        ("Crab Nebula", 83.6324, 22.0174),
        ("tic 307210830", 124.5317560026638, -68.3130014904408),
        ("kic8462852", 301.5644, 44.4570),
        ("Sgr A*", 266.4168, -29.0078),
    ],
)
def test_names_resolve_to_true_coordinates(name, ra, dec):
    found = resolve(name)
    assert found is not None
    sep = SkyCoord(found.ra, found.dec, unit="deg").separation(SkyCoord(ra, dec, unit="deg"))
    assert sep.arcsec < 2.0
    assert resolve("no such object") is None
    assert len(OBJECTS) >= 40


@pytest.mark.slow
def test_scale_40_half_million_rows():
    archive = Archive(scale=40, catalog_scale=0.05)
    assert archive.nrows == 1_200_000
    result = run_service(
        "Mast.Caom.Filtered",
        {"columns": "*", "filters": [{"paramName": "s_dec", "values": [{"min": -20}]}]},
        archive,
    )
    assert result.nrows >= 500_000
    exact = run_service(
        "Mast.Caom.Filtered", {"columns": "*", "filters": exact_rows_filter(500_000)}, archive
    )
    assert exact.nrows == 500_000
    total = sum(len(chunk["obs_id"]) for chunk in exact.chunks(size=20000))
    assert total == 500_000


def reference_fixed(value, width, decimals):
    """``%W.Df`` as the archive writes it: a minus only where a leading space is free."""
    scaled = int(np.rint(abs(value) * 10.0**decimals))
    whole, frac = divmod(scaled, 10**decimals)
    int_width = width - decimals - 1
    digits = str(whole % 10**int_width)
    if value < 0 and scaled > 0 and len(digits) < int_width:
        digits = "-" + digits
    return digits.rjust(int_width) + "." + str(frac).zfill(decimals)


def as_text(matrix):
    matrix = np.ascontiguousarray(matrix, dtype=np.uint32)
    return matrix.view(f"<U{matrix.shape[1]}").reshape(len(matrix)).tolist()


def test_decimal_matches_python_formatting():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            np.arange(2000),
            rng.integers(0, 2**62, 2000),
            [9999, 10000, 99_999_999, 6_370_000_000_000_000_000],
        ]
    )
    for width in range(1, 20):
        expected = [f"{v % 10**width:0{width}d}" for v in values.tolist()]
        assert as_text(textcols.decimal(values, width)) == expected, width


def test_fixed_matches_reference_formatting():
    rng = np.random.default_rng(1)
    values = np.concatenate(
        [
            rng.uniform(-400, 400, 3000),
            rng.uniform(-1, 1, 500),
            [
                0.0,
                -0.0,
                -4e-9,
                6e-9,
                359.999999996,
                -89.999999999,
                -99.5,
                999.99999999,
                -999.9999,
                12345.678,
            ],
        ]
    )
    for width, decimals in [(12, 8), (10, 5), (6, 1), (8, 3), (3, 1), (16, 8)]:
        expected = [reference_fixed(v, width, decimals) for v in values.tolist()]
        assert as_text(textcols.fixed(values, width, decimals)) == expected, (width, decimals)


def test_s_region_polygons_follow_the_corner_formula(archive):
    obs = archive.observations
    rows = np.random.default_rng(2).permutation(obs.nrows)[:3000]
    regions = caomtext.build("s_region", obs, rows)
    polygon = np.char.startswith(regions.data, "POLYGON")
    assert 0 < polygon.sum() < len(rows) and not regions.mask.any()
    rows = rows[polygon]
    ra, dec = obs.s_ra[rows], obs.s_dec[rows]
    size = caomtext._SETUP_SIZE[obs.setup[rows]]
    angle = 2 * np.pi * textcols.hash_uniform(obs.seed, rows, caomtext.S_ROTATION)
    cos_dec = np.maximum(np.cos(np.deg2rad(dec)), 0.01)
    corners = []
    for cx, cy in ((-1, 1), (1, 1), (1, -1), (-1, -1), (-1, 1)):
        dx = size * (cx * np.cos(angle) - cy * np.sin(angle))
        dy = size * (cx * np.sin(angle) + cy * np.cos(angle))
        corners += [(ra + dx / cos_dec) % 360.0, np.clip(dec + dy, -90.0, 90.0)]
    expected = [
        "POLYGON ICRS" + "".join(" " + reference_fixed(c[k], 12, 8) for c in corners)
        for k in range(len(rows))
    ]
    assert regions.data[polygon].tolist() == expected


def test_string_columns_do_not_depend_on_row_order(archive):
    obs = archive.observations
    rows = np.random.default_rng(3).permutation(obs.nrows)[:2000]
    order = np.argsort(rows)
    for name in ("obs_id", "proposal_id", "s_region", "jpegURL", "dataURL"):
        shuffled, ordered = caomtext.build(name, obs, rows), caomtext.build(name, obs, rows[order])
        assert shuffled[order].tolist() == ordered.tolist(), name
