"""
The examples of astroquery.mast's own documentation, run with astroquery and with mastq.

Each example is written once, as the documentation writes it, as a function of the objects
the page imports (``Observations``, ``Catalogs``, ``Mast``).  It runs once with
``from mastq import Observations, Catalogs, Mast`` and once with astroquery.mast's classes
(unchanged; their URLs pointed at the local MAST, as in
``tests/emulator/test_astroquery_compat.py``), and the answers are compared: the same
column names in the same order, the same kind of dtype per column (text ``str``, int,
float, bool; mastq's may be masked and carry units, see docs/migration.rst), the same row
count and the same values in every column (nulls as NaN or ""), the same warnings (but
astroquery's about reading a coordinate string as ICRS degrees, which mastq does silently),
and the same astroquery exception class where the page shows an error.

astroquery 0.4.11 resolves names at the fixed ``http://mastresolver.stsci.edu``; the local
MAST answers that service too, so it is reached through the local MAST as an HTTP proxy.

Pages (repository astropy/astroquery, ``docs/mast/``): ``mast_obsquery.rst``;
``mast_catalog.rst`` as of astroquery 0.4.x (``catalog=`` queries: the later page about
TAP collections, ``Catalogs.collection``, ``get_collections``, ``get_catalogs`` and
``get_column_metadata`` documents an API astroquery 0.4.11 does not have);
``mast_mastquery.rst`` (``service_request``, ``service_request_async`` and, in its earlier
version, ``mast_query``); ``mast.rst`` (only the login example, see below).

The catalog page's GALEX, HSC (``magtype=``), Gaia ``version=2`` and PanSTARRS
(``data_release=``, ``table=``, criteria with ``columns``/``sort_by``/``pagesize``)
examples run as written too, PanSTARRS with ``catalogs_server`` set to the local MAST for
both.

Run as written although the local MAST holds no rows for them (so compared on the columns
and dtypes of the empty result, and the warnings): ``query_region("322.49324 12.16683")``
and its count (M15: no observation in the sample sky), ``query_criteria(proposal_pi=
"Espinoza, Nestor", instrument_name="NIRISS*")``, ``Catalogs.query_object("M10",
catalog="TIC")``, ``query_criteria(catalog="Tic", Bmag=[30, 50])`` (no star that faint),
``Mast.service_request`` / ``mast_query`` of ``Mast.Caom.Cone`` at (184.3, 54.5), the
``Mast.Catalogs.GaiaDR1.Cone`` one with ``columns="ra"`` (ignored with an ``InputWarning``
by both), ``query_criteria(obs_collection="IUE", obs_id="lwp13058")`` (the first line of
the download examples; the local MAST's IUE observations are others).  The region, TIC and
cone examples also run at M101 (and the TIC criteria at Bmag 10-11), where the local MAST
has rows.

Not applicable:

* ``Catalogs.query_hsc_matchid(matchid)`` and ``download_hsc_spectra``: the page takes
  the match id from an HSC query at M10 and spectra 100-104, which the local MAST does not
  have the same way (the HSC query at M10 and ``get_hsc_spectra`` themselves are compared).
* ``catalog="DiskDetective"`` criteria with ``state="complete"``: the local MAST's Disk
  Detective catalog has no ``state`` column (both get MAST's "unknown column" error).
* ``Mast.mast_query("Mast.Jwst.Filtered.Nirspec", ...)``: no JWST instrument services in
  the local MAST.
* ``download_products("25119363", ...)``, ``get_product_list("25588063")`` with
  ``filter_products``, and the IUE ``lwp13058`` examples (``download_products``,
  ``curl_flag``, ``download_file``): those observations are not in the local MAST.  The
  same calls run on the first M8 observation instead (`test_filter_products_example`,
  `test_download_products_filtered_example`, `test_download_file_example`,
  `test_curl_script_example`, `test_download_methods_are_not_interchangeable`).
* Cloud access (``enable_cloud_dataset``, ``get_cloud_uris``, ``cloud_only``): no S3 here
  (``doctest-skip`` on the page).
* ``mast.rst``'s ``Observations.login(token=...)`` / ``session_info()``: needs a real MyST
  token (``doctest-skip``; mastq's login is tested in tests/client/test_auth.py).
* ``mast_query("Mast.Catalogs.Filtered.Tic.Rows", columns="COUNT_BIG(*)")``: shows a SQL
  error of real MAST (``doctest-skip``).
"""
# The examples take the page's own names (``Observations``, ``Catalogs``, ``Mast``) as
# arguments, so that their code reads exactly as the documentation writes it.
# ruff: noqa: N803

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table

from mastq.emulator import point_astroquery

aq_mast = pytest.importorskip("astroquery.mast")
aq_exceptions = pytest.importorskip("astroquery.exceptions")


@pytest.fixture(scope="module")
def ours(local_mast):
    """``from mastq import Observations, Catalogs, Mast``: the shared instances."""
    from mastq import Catalogs, Mast, Observations, conf

    with conf.set_temp("catalogs_server", local_mast):  # PanSTARRS' server
        yield Observations, Catalogs, Mast


@pytest.fixture(scope="module")
def theirs(local_mast):
    """astroquery.mast's three classes on the local MAST, names resolved through it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HTTP_PROXY", local_mast)
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        for name in ("http_proxy", "no_proxy", "ALL_PROXY", "all_proxy"):
            patch.delenv(name, raising=False)
        patch.setattr(aq_mast.conf, "catalogs_server", local_mast)  # PanSTARRS' server
        yield (
            point_astroquery(aq_mast.ObservationsClass(), local_mast),
            point_astroquery(aq_mast.CatalogsClass(), local_mast),
            point_astroquery(aq_mast.MastClass(), local_mast),
        )


# astroquery warns that it reads a coordinate string as ICRS degrees; mastq reads it the
# same way without a warning (a bare number or string means degrees everywhere in mastq).
COORDINATE_STRING_WARNING = "Coordinate string is being interpreted as an ICRS coordinate"


def run(example, objects):
    """``(answer, names of the warnings it gave)``, but astroquery's coordinate-string one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = example(*objects)
    return answer, {
        w.category.__name__
        for w in caught
        if not str(w.message).startswith(COORDINATE_STRING_WARNING)
    }


def _kind(column):
    return {"u": "i"}.get(column.dtype.kind, column.dtype.kind)


def _values(column):
    """A column as plain Python values: nulls as NaN (numbers) or "" (text), bytes as str."""
    data = np.ma.asarray(column)
    if data.dtype.kind == "S":
        data = np.ma.asarray(np.char.decode(data.filled(b""), "utf-8"))
    if data.dtype.kind == "f":
        return data.filled(np.nan).tolist()
    if data.dtype.kind == "U":
        return data.filled("").tolist()
    mask = np.ma.getmaskarray(data)
    return [None if m else v for v, m in zip(data.data.tolist(), mask, strict=True)]


def _texts(column):
    return [str(v) for v in _values(column)]


def assert_same_table(mine, other, key):
    """Same column names and order, rows, ``key`` values, dtype kinds and values."""
    assert isinstance(mine, Table) and isinstance(other, Table)
    assert mine.colnames == other.colnames
    assert len(mine) == len(other)
    assert _texts(mine[key]) == _texts(other[key])
    assert [name for name in mine.colnames if _kind(mine[name]) != _kind(other[name])] == []
    assert [name for name in mine.colnames if _texts(mine[name]) != _texts(other[name])] == []


def m8_obs(Observations):
    return Observations.query_object("M8", radius=".02 deg")


# Each: (example(Observations, Catalogs, Mast), key column).
TABLE_EXAMPLES = {
    "obs_query_region": (
        lambda Observations, Catalogs, Mast: Observations.query_region("322.49324 12.16683"),
        "obsid",
    ),
    "obs_query_object": (
        lambda Observations, Catalogs, Mast: Observations.query_object("M8", radius=".02 deg"),
        "obsid",
    ),
    "obs_query_criteria_osten": (
        lambda Observations, Catalogs, Mast: Observations.query_criteria(
            dataproduct_type=["image"], proposal_pi="Osten*", s_dec=[43.5, 45.5]
        ),
        "obsid",
    ),
    "obs_query_criteria_filters_objectname": (
        lambda Observations, Catalogs, Mast: Observations.query_criteria(
            filters=["*UV", "Kepler"], objectname="M101"
        ),
        "obsid",
    ),
    "obs_query_criteria_niriss": (
        lambda Observations, Catalogs, Mast: Observations.query_criteria(
            proposal_pi="Espinoza, Nestor", instrument_name="NIRISS*"
        ),
        "obsid",
    ),
    "obs_query_criteria_iue_single": (
        lambda Observations, Catalogs, Mast: Observations.query_criteria(
            obs_collection="IUE", obs_id="lwp13058"
        ),
        "obsid",
    ),
    "obs_get_metadata_observations": (
        lambda Observations, Catalogs, Mast: Observations.get_metadata("observations"),
        "Column Name",
    ),
    "obs_get_metadata_products": (
        lambda Observations, Catalogs, Mast: Observations.get_metadata("products"),
        "Column Name",
    ),
    "obs_get_product_list_of_rows": (
        lambda Observations, Catalogs, Mast: Observations.get_product_list(
            m8_obs(Observations)[0:2]
        ),
        "dataURI",
    ),
    "obs_get_product_list_of_obsids": (
        lambda Observations, Catalogs, Mast: Observations.get_product_list(
            m8_obs(Observations)[0:2]["obsid"]
        ),
        "dataURI",
    ),
    "cat_query_object_tic_m10": (
        lambda Observations, Catalogs, Mast: Catalogs.query_object(
            "M10", radius=0.02, catalog="TIC"
        ),
        "ID",
    ),
    "cat_query_region_galex": (
        lambda Observations, Catalogs, Mast: Catalogs.query_region(
            "158.47924 -7.30962", catalog="Galex"
        ),
        "objID",
    ),
    "cat_query_region_hsc_magtype": (
        lambda Observations, Catalogs, Mast: Catalogs.query_region(
            "322.49324 12.16683", catalog="HSC", magtype=2
        ),
        "MatchID",
    ),
    "cat_query_region_gaia_version": (
        lambda Observations, Catalogs, Mast: Catalogs.query_region(
            "158.47924 -7.30962", radius=0.1, catalog="Gaia", version=2
        ),
        "source_id",
    ),
    "cat_query_region_panstarrs": (
        lambda Observations, Catalogs, Mast: Catalogs.query_region(
            "158.47924 -7.30962", radius=0.1, catalog="Panstarrs", data_release="dr1", table="mean"
        ),
        "objID",
    ),
    "cat_query_criteria_panstarrs": (
        lambda Observations, Catalogs, Mast: Catalogs.query_criteria(
            coordinates="5.97754 32.53617",
            radius=0.01,
            catalog="PANSTARRS",
            table="mean",
            data_release="dr2",
            nStackDetections=[("gte", 2)],
            columns=["objName", "objID", "nStackDetections", "distance"],
            sort_by=[("desc", "distance")],
            pagesize=15,
        ),
        "objID",
    ),
    "cat_query_object_hsc_m10": (
        lambda Observations, Catalogs, Mast: Catalogs.query_object(
            "M10", radius=0.001, catalog="HSC", magtype=1
        ),
        "MatchID",
    ),
    "cat_get_hsc_spectra": (
        lambda Observations, Catalogs, Mast: Catalogs.get_hsc_spectra(),
        "DatasetName",
    ),
    "cat_query_criteria_tic_bmag": (
        lambda Observations, Catalogs, Mast: Catalogs.query_criteria(
            catalog="Tic", Bmag=[30, 50], objType="STAR"
        ),
        "ID",
    ),
    "cat_query_criteria_ctl_m101": (
        lambda Observations, Catalogs, Mast: Catalogs.query_criteria(
            catalog="Ctl", objectname="M101", radius=1, Tmag=[10.75, 11]
        ),
        "ID",
    ),
    "mast_service_request_cone": (
        lambda Observations, Catalogs, Mast: Mast.service_request(
            "Mast.Caom.Cone", {"ra": 184.3, "dec": 54.5, "radius": 0.2}
        ),
        "obsid",
    ),
    "mast_query_cone": (
        lambda Observations, Catalogs, Mast: Mast.mast_query(
            "Mast.Caom.Cone", ra=184.3, dec=54.5, radius=0.2
        ),
        "obsid",
    ),
    "mast_query_gaiadr1_columns": (
        lambda Observations, Catalogs, Mast: Mast.mast_query(
            "Mast.Catalogs.GaiaDR1.Cone", columns="ra", ra=254.287, dec=-4.09933, radius=0.02
        ),
        "source_id",
    ),
    "mast_query_tic_rows": (
        lambda Observations, Catalogs, Mast: Mast.mast_query(
            "Mast.Catalogs.Filtered.Tic.Rows",
            columns="id",
            dec=[{"min": -90, "max": -30}],
            Teff=[{"min": 4250, "max": 4500}],
            logg=[{"min": 4.5, "max": 5.0}],
            Tmag=[{"min": 8, "max": 10}],
        ),
        "ID",
    ),
}

# The examples above that find nothing in the local MAST, at a place (or a magnitude) it
# holds: the same calls, so that their rows are compared too.
TABLE_EXAMPLES.update(
    {
        "obs_query_region_m101": (
            lambda Observations, Catalogs, Mast: Observations.query_region("210.802429 54.34875"),
            "obsid",
        ),
        "cat_query_object_tic_m101": (
            lambda Observations, Catalogs, Mast: Catalogs.query_object(
                "M101", radius=0.02, catalog="TIC"
            ),
            "ID",
        ),
        "cat_query_criteria_tic_bmag_bright": (
            lambda Observations, Catalogs, Mast: Catalogs.query_criteria(
                catalog="Tic", Bmag=[10, 11], objType="STAR"
            ),
            "ID",
        ),
        "mast_service_request_cone_m101": (
            lambda Observations, Catalogs, Mast: Mast.service_request(
                "Mast.Caom.Cone", {"ra": 210.802429, "dec": 54.34875, "radius": 0.2}
            ),
            "obsid",
        ),
    }
)

# Examples whose answer the local MAST holds, so that the comparison sees rows.
WITH_ROWS = {
    "obs_query_object",
    "obs_query_criteria_osten",
    "obs_query_criteria_filters_objectname",
    "obs_get_metadata_observations",
    "obs_get_metadata_products",
    "obs_get_product_list_of_rows",
    "obs_get_product_list_of_obsids",
    "cat_query_criteria_ctl_m101",
    "mast_query_tic_rows",
    "obs_query_region_m101",
    "cat_query_object_tic_m101",
    "cat_query_criteria_tic_bmag_bright",
    "mast_service_request_cone_m101",
    "cat_get_hsc_spectra",
}


KNOWN_BUGS = {}  # a documented example mastq gets wrong is marked here, with the reason


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=KNOWN_BUGS.get(name, ())) for name in TABLE_EXAMPLES]
)
def test_table_example(ours, theirs, name):
    example, key = TABLE_EXAMPLES[name]
    mine, my_warnings = run(example, ours)
    other, their_warnings = run(example, theirs)
    assert (len(mine) > 0) == (name in WITH_ROWS)
    assert my_warnings == their_warnings
    assert_same_table(mine, other, key)


COUNT_EXAMPLES = {
    "query_region_count": lambda Observations, Catalogs, Mast: Observations.query_region_count(
        "322.49324 12.16683"
    ),
    "query_region_count_m101": lambda Observations, Catalogs, Mast: Observations.query_region_count(
        "210.802429 54.34875"
    ),
    "query_object_count": lambda Observations, Catalogs, Mast: Observations.query_object_count(
        "M8", radius=".02 deg"
    ),
    "query_criteria_count": lambda Observations, Catalogs, Mast: Observations.query_criteria_count(
        dataproduct_type="image", filters=["NUV", "FUV"], t_max=[52264.4586, 54452.8914]
    ),
}


@pytest.mark.parametrize("name", list(COUNT_EXAMPLES))
def test_count_example(ours, theirs, name):
    mine, my_warnings = run(COUNT_EXAMPLES[name], ours)
    other, their_warnings = run(COUNT_EXAMPLES[name], theirs)
    assert isinstance(mine, (int, np.integer)) and mine == other
    assert my_warnings == their_warnings == set()
    assert (mine > 0) == (name != "query_region_count")


def test_list_missions_example(ours, theirs):
    mine, other = ours[0].list_missions(), theirs[0].list_missions()
    assert mine == other and {"HST", "JWST", "TESS"} <= set(mine)
    assert all(type(name) is str for name in mine)


def test_product_lists_by_rows_and_by_obsids_are_equal(ours, theirs):
    def example(Observations, Catalogs, Mast):
        obs_table = Observations.query_object("M8", radius=".02 deg")
        data_products_by_obs = Observations.get_product_list(obs_table[0:2])
        obsids = obs_table[0:2]["obsid"]
        data_products_by_id = Observations.get_product_list(obsids)
        return (data_products_by_obs == data_products_by_id).all()

    assert run(example, ours)[0] == run(example, theirs)[0] == True  # noqa: E712


def test_niriss_instrument_names_example(ours, theirs):
    def example(Observations, Catalogs, Mast):
        obs_table = Observations.query_criteria(
            proposal_pi="Espinoza, Nestor", instrument_name="NIRISS*"
        )
        return set(obs_table["instrument_name"])

    assert run(example, ours)[0] == run(example, theirs)[0]


ERROR_EXAMPLES = {
    "query_object_positional_radius": (
        lambda Observations, Catalogs, Mast: Observations.query_object("M8", ".02 deg"),
        TypeError,
    ),
    "get_metadata_unknown_type": (
        lambda Observations, Catalogs, Mast: Observations.get_metadata("observation"),
        aq_exceptions.InvalidQueryError,
    ),
    "catalog_criteria_without_criterion": (
        lambda Observations, Catalogs, Mast: Catalogs.query_criteria(
            catalog="Tic", objectname="M101", radius=1
        ),
        aq_exceptions.InvalidQueryError,
    ),
    "service_request_without_position": (
        lambda Observations, Catalogs, Mast: Mast.service_request(
            "Mast.Caom.Cone", {"columns": "*", "filters": {}}
        ),
        aq_exceptions.RemoteServiceError,
    ),
}


@pytest.mark.parametrize("name", list(ERROR_EXAMPLES))
def test_error_example(ours, theirs, name):
    example, error = ERROR_EXAMPLES[name]
    for objects in (ours, theirs):
        with pytest.raises(error):
            run(example, objects)


def test_service_request_without_position_names_the_missing_parameter(ours, theirs):
    example, error = ERROR_EXAMPLES["service_request_without_position"]
    with pytest.raises(error) as mine:
        run(example, ours)
    with pytest.raises(error) as other:
        run(example, theirs)
    assert "ra" in str(other.value).lower() and str(other.value) in str(mine.value)


def test_name_lookup_async_example(ours, theirs):
    def example(Observations, Catalogs, Mast):
        service = "Mast.Name.Lookup"
        params = {"input": "M8", "format": "json"}
        response = Mast.service_request_async(service, params)
        return response[0].json()

    mine, other = run(example, ours)[0], run(example, theirs)[0]
    assert mine["resolvedCoordinate"] == other["resolvedCoordinate"]
    assert mine["resolvedCoordinate"][0]["ra"] == pytest.approx(270.904, abs=0.01)


def test_gaia_means_gaia_dr2(ours, theirs):
    """The Gaia example without ``version=2``: both ask for Gaia DR2."""

    def example(Observations, Catalogs, Mast):
        return Catalogs.query_region("158.47924 -7.30962", radius=0.1, catalog="Gaia")

    try:
        other, their_warnings = run(example, theirs)
    except aq_exceptions.RemoteServiceError as error:  # a local MAST without Gaia DR2
        assert "GaiaDR2" in str(error)
        with pytest.raises(aq_exceptions.RemoteServiceError, match="GaiaDR2"):
            run(example, ours)
        return
    mine, my_warnings = run(example, ours)
    assert my_warnings == their_warnings
    assert_same_table(mine, other, "source_id")


def test_columns_on_a_cone_service_warn_and_are_ignored(ours, theirs):
    """The GaiaDR1 example's point (columns ignored, with a warning) where there are rows."""

    def example(Observations, Catalogs, Mast):
        return Mast.mast_query(
            "Mast.Caom.Cone", columns="ra", ra=210.802429, dec=54.34875, radius=0.02
        )

    (mine, my_warnings), (other, their_warnings) = run(example, ours), run(example, theirs)
    assert "InputWarning" in their_warnings and "InputWarning" in my_warnings
    assert len(mine) > 0
    assert_same_table(mine, other, "obsid")


MANIFEST_EXTRAS = {"Size", "SHA256", "Fetched"}
"""Columns mastq's download manifest adds after astroquery's four (branch ``download``)."""


def in_dir(monkeypatch, path, example, objects):
    """Run ``example`` with ``path`` as the working directory (the page downloads to ".")."""
    path.mkdir()
    with monkeypatch.context() as patch:
        patch.chdir(path)
        return run(example, objects)


def m8_first_obsid(Observations):
    """The obsid of the first M8 observation: the local MAST's stand-in for the page's."""
    return str(m8_obs(Observations)[0]["obsid"])


def test_download_products_filtered_example(ours, theirs, monkeypatch, tmp_path):
    """``download_products('25119363', productType=[...], extension="fits")`` on an obsid
    the local MAST holds."""

    def example(Observations, Catalogs, Mast):
        return Observations.download_products(
            m8_first_obsid(Observations), productType=["SCIENCE", "PREVIEW"], extension="fits"
        )

    mine, _ = in_dir(monkeypatch, tmp_path / "mastq", example, ours)
    other, _ = in_dir(monkeypatch, tmp_path / "astroquery", example, theirs)
    assert len(mine) > 0 and set(mine["Status"]) == {"COMPLETE"}
    assert mine.colnames[: len(other.colnames)] == other.colnames
    # Deliberately more: mastq's manifest tells what it checked (not yet on the migration page)
    assert set(mine.colnames[len(other.colnames) :]) <= MANIFEST_EXTRAS
    assert _texts(mine["Status"]) == _texts(other["Status"])
    assert _texts(mine["Local Path"]) == _texts(other["Local Path"])
    for path in _texts(mine["Local Path"]):
        mine_bytes = (tmp_path / "mastq" / path).read_bytes()
        assert mine_bytes == (tmp_path / "astroquery" / path).read_bytes()


def test_download_file_example(ours, theirs, monkeypatch, tmp_path):
    """``download_file(data_products[0]["dataURI"])`` of a product the local MAST holds."""

    def example(Observations, Catalogs, Mast):
        single_obs = m8_obs(Observations)[0:1]
        data_products = Observations.get_product_list(single_obs)
        product = data_products[0]["dataURI"]
        return product, Observations.download_file(product)

    (uri, mine), _ = in_dir(monkeypatch, tmp_path / "mastq", example, ours)
    (their_uri, other), _ = in_dir(monkeypatch, tmp_path / "astroquery", example, theirs)
    assert uri == their_uri
    assert mine == other == ("COMPLETE", None, None)
    name = uri.rsplit("/", 1)[-1]
    assert (tmp_path / "mastq" / name).read_bytes() == (tmp_path / "astroquery" / name).read_bytes()


def test_curl_script_example(ours, theirs, monkeypatch, tmp_path):
    """``download_products(data_products, productType="SCIENCE", curl_flag=True)``."""

    def example(Observations, Catalogs, Mast):
        single_obs = m8_obs(Observations)[0:1]
        data_products = Observations.get_product_list(single_obs)
        return Observations.download_products(data_products, productType="SCIENCE", curl_flag=True)

    mine, _ = in_dir(monkeypatch, tmp_path / "mastq", example, ours)
    other, _ = in_dir(monkeypatch, tmp_path / "astroquery", example, theirs)
    assert len(mine) == len(other) == 1
    assert mine.colnames[: len(other.colnames)] == other.colnames
    assert _texts(mine["Status"]) == _texts(other["Status"]) == ["COMPLETE"]
    assert str(mine["Local Path"][0]).startswith("./mastDownload_")
    assert str(other["Local Path"][0]).startswith("./mastDownload_")
    script = (tmp_path / "mastq" / str(mine["Local Path"][0])).read_text()
    assert script.count("curl") == (
        tmp_path / "astroquery" / str(other["Local Path"][0])
    ).read_text().count("curl")


def test_download_methods_are_not_interchangeable(ours, theirs, monkeypatch, tmp_path):
    """The page's two errors: a URI to ``download_products``, a table to ``download_file``."""

    def uri_to_products(Observations, Catalogs, Mast):
        data_products = Observations.get_product_list(m8_obs(Observations)[0:1])
        return Observations.download_products(data_products[0]["dataURI"])

    def table_to_file(Observations, Catalogs, Mast):
        data_products = Observations.get_product_list(m8_obs(Observations)[0:1])
        return Observations.download_file(data_products)

    # Deliberately earlier: mastq rejects both before sending anything, naming the argument
    # (docs/migration.rst, "Errors and warnings"), where MAST answers astroquery an error
    # for the first and astroquery fails on string concatenation for the second.
    errors = {
        "mastq": (aq_exceptions.InvalidQueryError, aq_exceptions.InvalidQueryError),
        "astroquery": (aq_exceptions.RemoteServiceError, TypeError),
    }
    for name, objects in (("mastq", ours), ("astroquery", theirs)):
        with pytest.raises(errors[name][0]):
            in_dir(monkeypatch, tmp_path / name, uri_to_products, objects)
        with pytest.raises(errors[name][1]):
            run(table_to_file, objects)


def test_filter_products_example(ours, theirs):
    """The page's example on products the local MAST holds (obsid 25588063 it has not)."""

    def example(Observations, Catalogs, Mast):
        data_products = Observations.get_product_list(
            Observations.query_object("M8", radius=".02 deg")[0:2]
        )
        return Observations.filter_products(
            data_products, productType=["SCIENCE", "PREVIEW"], extension="fits"
        )

    mine, other = run(example, ours)[0], run(example, theirs)[0]
    assert len(mine) > 0
    assert_same_table(mine, other, "dataURI")


def test_units_are_the_only_addition(ours, theirs):
    """mastq carries units where astroquery has none (docs/migration.rst, "Units")."""
    mine = ours[0].query_object("M8", radius=".02 deg")
    other = theirs[0].query_object("M8", radius=".02 deg")
    assert mine["s_ra"].unit == u.deg and other["s_ra"].unit is None
