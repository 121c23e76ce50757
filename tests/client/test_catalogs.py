"""
Every catalog against the local MAST, through mastq and through astroquery.mast.

astroquery.mast 0.4.11 is used unchanged: its URLs, frozen at import, are pointed at the
local MAST for the module (and restored); ``catalogs_server`` of both clients is the
local MAST's root too, since it serves the catalogs REST API (PanSTARRS) itself.
"""

import json
import threading
import time
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table, vstack
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import mastq
from mastq import registry
from mastq.catalogs import CatalogsClass
from mastq.catalogs_rest import RestCatalogs, build_rest_table
from mastq.exceptions import (
    InvalidQueryError,
    MaxResultsWarning,
    NoResultsWarning,
    ProtocolError,
    QueryDeadlineError,
    ResolverError,
    TruncatedResultWarning,
)
from mastq.transport import MastTransport

aq_mast = pytest.importorskip("astroquery.mast")
from astroquery.mast.services import _json_to_table  # noqa: E402 (after the skip)

M101 = SkyCoord(210.802429 * u.deg, 54.34875 * u.deg)
_PATHS = {
    "MAST_REQUEST_URL": "/api/v0/invoke",
    "COLUMNS_CONFIG_URL": "/portal/Mashup/Mashup.asmx/columnsconfig",
}


@pytest.fixture(scope="module")
def both(mast_emulator):
    """``(mastq CatalogsClass, astroquery Catalogs)`` of the session's local MAST."""
    portal, rest = aq_mast.Catalogs._portal_api_connection, aq_mast.Catalogs._service_api_connection
    saved = dict(portal.__dict__), dict(portal._column_configs), rest.REQUEST_URL
    portal._column_configs.clear()
    for attr, path in _PATHS.items():
        setattr(portal, attr, mast_emulator + path)
    rest.REQUEST_URL = mast_emulator + "/api/v0.1/"
    try:
        with (
            mastq.conf.set_temp("server", mast_emulator),
            mastq.conf.set_temp("catalogs_server", mast_emulator),
            mastq.conf.set_temp("cache", False),
            aq_mast.conf.set_temp("catalogs_server", mast_emulator),
        ):
            yield CatalogsClass(), aq_mast.Catalogs
    finally:
        for attr in _PATHS:
            if attr in saved[0]:
                setattr(portal, attr, saved[0][attr])
            else:
                delattr(portal, attr)
        portal._column_configs.clear()
        portal._column_configs.update(saved[1])
        rest.REQUEST_URL = saved[2]


def keys(table, key):
    return np.asarray(table[key]).astype(str).tolist()


def assert_units_reach_columns(table):
    """Every numeric column whose metadata declares a unit spelling carries a unit."""
    lost = [
        name
        for name in table.colnames
        if table[name].meta.get("mast_unit") not in (None, "", "NULL")
        and table[name].dtype.kind in "iuf"
        and table[name].unit is None
    ]
    assert not lost, lost


CONES = [  # (catalog, version, radius in deg, key)
    ("Hsc", None, 0.1, "MatchID"),
    ("Hsc", 2, 0.1, "MatchID"),
    ("Galex", None, 0.1, "objID"),
    ("Gaia", None, 0.1, "source_id"),
    ("Gaia", 1, 0.1, "source_id"),
    ("GaiaDR3", None, 0.1, "source_id"),
    ("Tic", None, 0.1, "ID"),
    ("Ctl", None, 0.2, "ID"),
    ("DiskDetective", None, 0.5, "designation"),
    ("Plato", None, 0.2, "PICidDR1"),
    ("Panstarrs", None, 0.1, "objID"),
]


@pytest.mark.parametrize("catalog, version, radius, key", CONES)
def test_cone_same_rows_as_astroquery_with_units(both, catalog, version, radius, key):
    ours = both[0].query_region(M101, radius=radius, catalog=catalog, version=version)
    theirs = both[1].query_region(M101, radius=radius * u.deg, catalog=catalog, version=version)
    assert len(ours) > 0
    assert sorted(keys(ours, key)) == sorted(keys(theirs, key))
    assert ours.colnames == [name for name in theirs.colnames if name != "_selected_"]
    assert_units_reach_columns(ours)
    assert any(ours[name].unit is not None for name in ours.colnames)


@pytest.mark.parametrize("catalog, version, radius, key", CONES)
def test_cone_counts(both, catalog, version, radius, key):
    rows = both[0].query_region(M101, radius=radius, catalog=catalog, version=version)
    assert both[0].query_region_count(M101, radius=radius, catalog=catalog, version=version) == len(
        rows
    )


def test_default_catalog_and_release_are_astroquerys(both):
    ours = both[0].query_region(M101, radius=0.1)
    assert ours.meta["service"] == "Mast.Hsc.Db.v3"
    assert keys(ours, "MatchID") == keys(both[1].query_region(M101, radius=0.1 * u.deg), "MatchID")
    assert (
        both[0].query_region(M101, radius=0.05, catalog="gaia").meta["service"]
        == "Mast.Catalogs.GaiaDR2.Cone"
    )
    assert (
        both[0].query_region(M101, radius=0.05, catalog="Gaia", version=3).meta["service"]
        == "Mast.Catalogs.GaiaDR3.Cone"
    )


def test_query_object_reaches_the_catalog(both):
    named = both[0].query_object("M101", radius=0.1, catalog="Gaia", version=3)
    assert keys(named, "source_id") == keys(
        both[0].query_region(M101, radius=0.1, catalog="GaiaDR3"), "source_id"
    )
    assert both[0].query_object_count("M101", radius=0.1, catalog="Tic") == both[
        0
    ].query_region_count(M101, radius=0.1, catalog="Tic")
    with pytest.raises(ResolverError, match="Nowhere Object 9"):
        both[0].query_object("Nowhere Object 9", catalog="Tic")


CRITERIA = {  # astroquery supports these (TIC, CTL, Disk Detective, PanSTARRS)
    "tic": (
        "Tic",
        "ID",
        {"Tmag": (None, 14), "objType": "STAR"},
        {"Tmag": [-10, 14], "objType": "STAR"},
    ),
    "ctl": ("Ctl", "ID", {"Tmag": (5, 14)}, {"Tmag": [5, 14]}),
    "panstarrs": (
        "Panstarrs",
        "objID",
        {"nDetections": [("gte", 5)]},
        {"nDetections": [("gte", 5)]},
    ),
}


@pytest.mark.parametrize("case", sorted(CRITERIA))
def test_criteria_same_rows_as_astroquery(both, case):
    catalog, key, ours_criteria, their_criteria = CRITERIA[case]
    ours = both[0].query_criteria(catalog, coordinates=M101, radius=0.5, **ours_criteria)
    theirs = both[1].query_criteria(catalog=catalog, coordinates=M101, radius=0.5, **their_criteria)
    assert len(ours) > 0
    assert sorted(keys(ours, key)) == sorted(keys(theirs, key))
    assert_units_reach_columns(ours)
    assert both[0].query_criteria_count(
        catalog, coordinates=M101, radius=0.5, **ours_criteria
    ) == len(ours)


def test_disk_detective_criteria_match_astroquerys_cone(both):
    # astroquery sends Disk Detective criteria without a 'columns' param, which the local
    # MAST refuses: its rows are compared with astroquery's cone, filtered here.
    ours = both[0].query_criteria("DiskDetective", coordinates=M101, radius=0.5, j_m_2mass=(0, 16))
    cone = both[1].query_region(M101, radius=0.5 * u.deg, catalog="DiskDetective")
    magnitude = np.asarray(cone["j_m_2mass"].filled(np.inf))
    inside = (magnitude >= 0) & (magnitude <= 16)
    assert len(ours) > 0
    assert sorted(keys(ours, "designation")) == sorted(keys(cone[inside], "designation"))
    assert both[0].query_criteria_count(
        "DiskDetective", coordinates=M101, radius=0.5, j_m_2mass=(0, 16)
    ) == len(ours)


@pytest.mark.parametrize(
    "catalog, version, criteria, column, low, high",
    [
        ("Gaia", 3, {"parallax": (0.5 * u.mas, 1 * u.arcsec)}, "parallax", 0.5, 1000),
        ("Gaia", 2, {"phot_g_mean_mag": (None, 18)}, "phot_g_mean_mag", -np.inf, 18),
        ("Plato", None, {"ra": (210, 211)}, "ra", 210, 211),
    ],
)
def test_criteria_through_mastq_alone(both, catalog, version, criteria, column, low, high):
    table = both[0].query_criteria(
        catalog, version=version, coordinates=M101, radius=0.5, **criteria
    )
    assert len(table) > 0
    assert np.all((table[column] >= low) & (table[column] <= high))
    assert_units_reach_columns(table)
    assert both[0].query_criteria_count(
        catalog, version=version, coordinates=M101, radius=0.5, **criteria
    ) == len(table)


def test_tic_units_and_quantities(both):
    table = both[0].query_criteria(
        "Tic", objectname="M101", radius=0.2, Teff=(5000 * u.K, 6000 * u.K)
    )
    assert len(table) > 0 and np.all((table["Teff"] >= 5000) & (table["Teff"] <= 6000))
    assert table["Teff"].unit == u.K and table["dstArcSec"].unit == u.arcsec
    assert table["logg"].unit == u.dex(u.cm / u.s**2)  # MAST says "cgs"
    assert table["mass"].unit == u.M_sun and table["rad"].unit == u.R_sun
    assert table["rho"].unit.to(u.g / u.cm**3) == pytest.approx(1.41, abs=0.01)


@pytest.mark.parametrize("catalog, cap", [("Hsc", "nr"), ("Galex", "maxrecords")])
def test_a_capped_result_warns_and_says_so(both, catalog, cap):
    full = both[0].query_region(M101, radius=0.2, catalog=catalog)
    assert full.meta["truncated"] is False and full.meta["row_cap"] == 50000
    limit = len(full) // 2
    with pytest.warns(TruncatedResultWarning, match=cap):
        capped = both[0].query_region(M101, radius=0.2, catalog=catalog, **{cap: limit})
    assert issubclass(TruncatedResultWarning, MaxResultsWarning)
    assert len(capped) == limit and capped.meta["truncated"] is True


def test_hsc_parameters_reach_mast(both):
    ours = both[0].query_region(M101, radius=0.1, catalog="Hsc", magtype=2, ni=2)
    theirs = both[1].query_region(M101, radius=0.1 * u.deg, catalog="Hsc", magtype=2, ni=2)
    assert ours.meta["params"]["magtype"] == 2 and ours.meta["params"]["ni"] == 2
    assert keys(ours, "MatchID") == keys(theirs, "MatchID")


def test_hsc_matchid_and_spectra_as_astroquery(both):
    hsc = both[0].query_region(M101, radius=0.1, catalog="Hsc")
    ours = both[0].query_hsc_matchid(hsc[0])
    theirs = both[1].query_hsc_matchid(int(hsc["MatchID"][0]))
    assert len(ours) > 0 and keys(ours, "MatchID") == keys(theirs, "MatchID")
    hsc2 = both[0].query_region(M101, radius=0.1, catalog="Hsc", version=2)
    ours2 = both[0].query_hsc_matchid(str(hsc2["MatchID"][0]), version=2)
    assert len(ours2) > 0 and keys(ours2, "MatchID") == keys(
        both[1].query_hsc_matchid(hsc2["MatchID"][0], version=2), "MatchID"
    )
    spectra = both[0].get_hsc_spectra(pagesize=50, page=1)
    assert keys(spectra, "DatasetName") == keys(
        both[1].get_hsc_spectra(pagesize=50, page=1), "DatasetName"
    )


def test_panstarrs_options(both):
    cat = both[0]
    table = cat.query_criteria(
        "PanSTARRS",
        coordinates=M101,
        radius=0.2,
        table="mean",
        data_release="dr1",
        nDetections=[("gte", 2)],
        columns=["objID", "raMean", "decMean", "nDetections"],
        sort_by=[("desc", "nDetections")],
    )
    assert table.colnames == ["objID", "raMean", "decMean", "nDetections"]
    assert len(table) > 0 and np.all(table["nDetections"] >= 2)
    assert np.all(np.diff(np.asarray(table["nDetections"])) <= 0)
    assert table["raMean"].unit == u.deg
    assert table.meta["service"].endswith("/panstarrs/dr1/mean.json")
    page = cat.query_region(M101, radius=0.2, catalog="Panstarrs", pagesize=3, page=1)
    assert len(page) == 3
    assert (
        cat.query_region(M101, radius=0.2, catalog="Panstarrs", version="dr1")
        .meta["service"]
        .endswith("/dr1/mean.json")
    )


@pytest.mark.parametrize(
    "criteria, words",
    [
        ({"nDetectionz": [("gte", 2)]}, "no column 'nDetectionz' (did you mean 'nDetections'?)"),
        ({"nDetections": 2, "columns": ["objID", "bogus"]}, "'bogus'"),
        ({"nDetections": 2, "table": "means"}, "table must be one of"),
        ({"columns": ["objID"]}, "At least one non-positional criterion"),
        ({"nDetections": 2, "data_release": "dr9"}, "version of catalog 'PanSTARRS'"),
    ],
)
def test_panstarrs_errors_name_the_problem(both, criteria, words):
    with pytest.raises(InvalidQueryError) as info:
        both[0].query_criteria("PanSTARRS", coordinates=M101, radius=0.1, **criteria)
    assert words in str(info.value)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda c: c.query_region(M101, catalog="Hsc", nr=-1), "nr must be a non-negative"),
        (lambda c: c.query_region(M101, catalog="Hsc", nrr=2), "did you mean 'nr'"),
        (lambda c: c.query_region(M101, catalog="Tic", Tmag=3), "Filter 'Tmag' does not exist"),
        (lambda c: c.query_region(M101, catalog="Gaia", version=4), "must be one of [1, 2, 3]"),
        (lambda c: c.query_region(M101, catalog="Gaiaa"), "did you mean 'Gaia'"),
        (lambda c: c.query_region(M101, catalog="GaiaDR3", version=2), "contradicts"),
        (lambda c: c.query_criteria("Hsc", coordinates=M101, x=1), "takes no criteria"),
        (lambda c: c.query_criteria("Galex", coordinates=M101, x=1), "takes no criteria"),
        (lambda c: c.query_hsc_matchid("abc"), "HSC MatchID"),
        (lambda c: c.query_region(M101, catalog="Tic", data_release="dr2"), "data_release"),
    ],
)
def test_bad_input_is_refused_before_sending(both, call, words):
    with pytest.raises(InvalidQueryError) as info:
        call(both[0])
    assert words in str(info.value)


@pytest.mark.parametrize(
    "catalog, criteria, words",
    [
        ("Tic", {"Tmagg": (1, 2)}, "did you mean 'Tmag'"),
        ("Tic", {"Tmag": 12}, "give a range"),
        ("Tic", {"Teff": (1 * u.m, None)}, "Teff is in K"),
        ("GaiaDR3", {"parallax": 3}, "give a range"),
        ("Ticc", {"Tmag": (1, 2)}, "did you mean 'Tic'"),
        ("Tic", {}, "at least one criterion"),
    ],
)
def test_catalog_criteria_errors(both, catalog, criteria, words):
    with pytest.raises(InvalidQueryError) as info:
        both[0].query_criteria(catalog, coordinates=M101, radius=0.1, **criteria)
    assert words in str(info.value)


def test_async_variants_answer_raw_pages(both):
    pages = both[0].query_region_async(M101, radius=0.1, catalog="Tic", pagesize=5)
    assert len(pages) >= 2 and all(p.status_code == 200 for p in pages)
    [rest] = both[0].query_region_async(M101, radius=0.1, catalog="Panstarrs")
    assert rest.json()["info"] and rest.status_code == 200
    criteria = both[0].query_criteria_async("Ctl", coordinates=M101, radius=0.2, Tmag=(5, 14))
    assert criteria and criteria[0].json()["status"] == "COMPLETE"


def test_an_empty_cone_warns(both):
    with pytest.warns(NoResultsWarning):
        assert (
            len(
                both[0].query_region(
                    SkyCoord(1 * u.deg, -89 * u.deg), radius=1 * u.arcsec, catalog="Gaia"
                )
            )
            == 0
        )


def test_hsc_spectra_download_through_the_local_hla(both, tmp_path):
    spectra = both[0].get_hsc_spectra(pagesize=20, page=1)
    grism = spectra[np.asarray(spectra["SpectrumType"]) >= 2][:1]
    chosen = vstack([spectra[:2], grism])
    with mastq.conf.set_temp("hla_server", mastq.conf.server):
        result = both[0].download_hsc_spectra(chosen, download_dir=tmp_path)
        again = both[0].download_hsc_spectra(chosen[0], download_dir=tmp_path)
        script = both[0].download_hsc_spectra(chosen, download_dir=tmp_path, curl_flag=True)
    assert list(result["Status"]) == ["COMPLETE"] * len(chosen)
    for row, path in zip(chosen, result["Local Path"], strict=True):
        assert path.endswith(f"mastDownload/HSC/{row['DatasetName']}.fits")
        with fits.open(path) as hdus:
            assert "FLUX" in hdus[1].columns.names
    assert again["Status"][0] == "COMPLETE" and not again["Fetched"][0]  # already there
    text = Path(script["Local Path"][0]).read_text()
    assert script["Status"][0] == "COMPLETE" and text.count("curl ") == len(chosen)
    assert len(grism) == 1 and "ecfproxy?file_id=" in text and "getdata.cgi?" in text
    with pytest.raises(InvalidQueryError, match="rows of get_hsc_spectra"):
        both[0].download_hsc_spectra(Table({"x": [1]}))


@pytest.fixture
def flaky_catalogs_api():
    """A catalogs API that answers 503 twice, then JSON; or sleeps past a deadline."""
    calls = []

    @Request.application
    def app(request):
        calls.append(request.method)
        if request.path.endswith("/slow/metadata.json"):
            time.sleep(2)
        if len(calls) <= 2:
            return Response("busy", status=503)
        return Response(
            '[{"column_name": "objID", "db_type": "NUMBER", "unit": "NULL"}]',
            mimetype="application/json",
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", calls
    finally:
        server.shutdown()
        thread.join()


def test_rest_calls_retry_and_keep_the_deadline(flaky_catalogs_api):
    root, calls = flaky_catalogs_api
    rest = RestCatalogs(MastTransport())
    release = registry.lookup("PanSTARRS")
    with mastq.conf.set_temp("catalogs_server", root), mastq.conf.set_temp("retry_backoff", 0):
        assert list(rest.metadata(release, "mean")) == ["objID"]
        assert calls == ["GET"] * 3  # two 503s retried
        with mastq.conf.set_temp("deadline", 0.5), pytest.raises(QueryDeadlineError):
            rest.metadata(release, "slow")


def test_recorded_panstarrs_answer_reads_as_astroquery_reads_it():
    data = Path(__file__).parent.parent / "data"
    answer = json.loads((data / "panstarrs.json").read_text())
    metadata = {
        e["column_name"]: e for e in json.loads((data / "panstarrs_columns.json").read_text())
    }
    ours = build_rest_table(answer, metadata, url="recorded")
    theirs = _json_to_table(answer)
    assert ours.colnames == theirs.colnames
    for name in ours.colnames:
        assert np.asarray(ours[name]).tolist() == np.asarray(theirs[name]).tolist(), name
    assert ours["objID"].dtype.kind == "i" and ours["objname"].dtype.kind == "U"
    assert ours["iMeanApMag"].unit == u.mag  # the metadata's unit ("objName" in any case)
    assert ours["objname"].description == "IAU name for this object."
    with pytest.raises(ProtocolError, match="'info' and 'data'"):
        build_rest_table({"data": []}, metadata, url="recorded")


@pytest.mark.parametrize("catalog", ["Panstarrs", "Hsc", "Tic"])
def test_an_empty_count_is_zero_without_a_warning(both, catalog):
    nowhere = SkyCoord(1 * u.deg, -89 * u.deg)
    assert both[0].query_region_count(nowhere, radius=1 * u.arcsec, catalog=catalog) == 0
