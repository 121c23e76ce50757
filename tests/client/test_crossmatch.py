"""`Catalogs.crossmatch` of a user's table, and many targets on a Dask cluster."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

import mastq
from mastq.exceptions import InvalidQueryError


@pytest.fixture(scope="module")
def mine(cat):
    """Five rows: three on TIC stars, two far from any (the south pole, empty sky)."""
    stars = cat.query_region("210.8 54.35", radius=0.5, catalog="Tic")[:3]
    return Table(
        {
            "name": ["a", "b", "c", "pole", "d"],
            "ra": list(stars["ra"]) + [0.5, 211.3],
            "dec": list(stars["dec"]) + [-89.99, 54.9],
            "mag": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )


def cone_ids(cat, row, radius):
    table = cat.query_region(
        SkyCoord(row["ra"], row["dec"], unit="deg"), radius=radius, catalog="Tic"
    )
    return [str(v) for v in table["ID"]], np.asarray(table["dstArcSec"])


def test_every_row_is_kept_with_all_its_matches(cat, mine):
    radius = 2 * u.arcmin
    out = cat.crossmatch(mine, catalog="Tic", radius=radius)
    assert out.colnames[:4] == ["name", "ra", "dec", "mag"]
    assert {"ra_match", "dec_match", "ID", "separation"} <= set(out.colnames)
    assert out["separation"].unit == u.arcsec
    assert out.meta["service"] == "Mast.Tic.Crossmatch"
    for row in mine[:3]:
        ids, distance = cone_ids(cat, row, radius)
        here = out[out["name"] == row["name"]]
        assert [str(v) for v in here["ID"]] == ids
        assert np.allclose(here["separation"], distance)
    pole = out[out["name"] == "pole"]
    assert len(pole) == 1 and pole["ID"].mask.all() and pole["separation"].mask.all()
    assert pole["mag"][0] == 4.0


def test_nearest_keeps_one_row_per_input_in_order(cat, mine):
    out = cat.crossmatch(mine, catalog="Tic", radius=2 * u.arcmin, nearest=True)
    assert out["name"].tolist() == mine["name"].tolist()
    assert np.allclose(out["separation"][:3], 0.0, atol=1e-6)
    assert out["ID"].mask.tolist()[3] is True


def test_small_chunks_give_the_same_answer(cat, mine):
    whole = cat.crossmatch(mine, catalog="Tic", radius=1 * u.arcmin)
    with mastq.conf.set_temp("crossmatch_chunk", 2):
        chunked = cat.crossmatch(mine, catalog="Tic", radius=1 * u.arcmin)
    assert [str(v) for v in chunked["ID"].filled("")] == [str(v) for v in whole["ID"].filled("")]
    assert chunked["name"].tolist() == whole["name"].tolist()


def test_observations_crossmatch_and_positions_in_quantities(cat, mine):
    table = Table({"where": ["m101"], "ra": [210.8] * u.deg, "dec": [54.35 * 3600] * u.arcsec})
    out = cat.crossmatch(table, catalog="Caom", radius=0.05, nearest=False)
    assert len(out) > 1 and "obsid" in out.colnames
    assert (out["separation"] <= 0.05 * 3600 + 1e-6).all()


@pytest.mark.parametrize(
    "catalog, version, ra, dec, key",
    [
        ("Hsc", None, "MatchRA", "MatchDec", "MatchID"),
        ("Gaia", 3, "ra", "dec", "source_id"),
        ("Ctl", None, "ra", "dec", "ID"),
    ],
)
def test_a_catalogs_own_positions_match_themselves(cat, catalog, version, ra, dec, key):
    rows = cat.query_region("210.8 54.35", radius=0.3, catalog=catalog, version=version)[:4]
    mine = Table({"ra": rows[ra], "dec": rows[dec]})
    name = catalog if version is None else f"{catalog}DR{version}"
    out = cat.crossmatch(mine, catalog=name, radius=0.1 * u.arcsec, nearest=True)
    assert [str(v) for v in out[key]] == [str(v) for v in rows[key]]


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"catalog": "DiskDetective", "radius": 0.01}, "no server-side crossmatch"),
        ({"catalog": "Tic", "radius": 0.01, "ra_col": "RA"}, "ra_col='RA'"),
        ({"catalog": "Tic", "radius": 1 * u.kg}, "radius"),
        ({"catalog": "Tic", "radius": 0.01, "ra_col": "name"}, "ra_col='name'"),
    ],
)
def test_bad_crossmatch_input_is_named(cat, mine, kwargs, words):
    with pytest.raises(InvalidQueryError, match=words):
        cat.crossmatch(mine, **kwargs)


def test_a_batch_runs_on_a_dask_cluster(obs, cat, mine):
    distributed = pytest.importorskip("distributed")
    # tcp on loopback: dask's default in-process transport looks for the machine's IP online
    with (
        distributed.LocalCluster(
            n_workers=1,
            threads_per_worker=2,
            processes=False,
            protocol="tcp://",
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        positions = SkyCoord([210.8, 10.68], [54.35, 41.27], unit="deg")
        on_dask = obs.query_region(positions, radius=0.1, executor=client.get_executor())
        counts = obs.query_region_count(positions, radius=0.1, executor=client.get_executor())
        matched = cat.crossmatch(
            mine, catalog="Tic", radius=1 * u.arcmin, executor=client.get_executor()
        )
    here = obs.query_region(positions, radius=0.1)
    assert [str(v) for v in on_dask["obsid"]] == [str(v) for v in here["obsid"]]
    assert counts.tolist() == np.bincount(here["target_index"]).tolist()
    assert len(matched) >= len(mine)
