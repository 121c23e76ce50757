"""Product lists of the local MAST, and filter_products as astroquery documents it."""

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table, vstack
from astroquery.mast import Observations as AstroqueryObservations

from mastq import products as products_module
from mastq.exceptions import InvalidQueryError


@pytest.fixture(scope="module")
def observations(obs):
    return obs.query_criteria(obs_collection="HST")[:6]


@pytest.fixture(scope="module")
def products(obs, observations):
    return obs.get_product_list(observations)


def test_product_list_of_table_row_and_obsids(obs, observations, products):
    assert len(products) > 6
    assert set(str(o) for o in products["obsID"]) == set(str(o) for o in observations["obsid"])
    one = obs.get_product_list(observations[0])
    assert set(str(o) for o in one["obsID"]) == {str(observations["obsid"][0])}
    by_id = obs.get_product_list([str(o) for o in observations["obsid"]])
    assert list(by_id["dataURI"]) == list(products["dataURI"])


def test_masked_obsids_are_skipped(obs, observations):
    table = Table(
        {
            "obsid": MaskedColumn(
                [str(o) for o in observations["obsid"][:3]], mask=[False, True, False]
            )
        }
    )
    got = obs.get_product_list(table)
    assert set(str(o) for o in got["obsID"]) == {table["obsid"][0], table["obsid"][2]}
    with pytest.raises(InvalidQueryError, match="no obsid"):
        obs.get_product_list(Table({"obsid": MaskedColumn(["1"], mask=[True])}))


def test_long_lists_go_in_batches_with_the_same_answer(obs, observations, products, monkeypatch):
    monkeypatch.setattr(products_module, "BATCH", 2)
    assert len(products_module.product_requests(observations)) == 3
    batched = obs.get_product_list(observations)
    assert list(batched["dataURI"]) == list(products["dataURI"])


def test_unique_product_list_keeps_the_first_of_shared_products(obs, observations, products):
    twice = vstack([products, products])
    unique = products_module.unique_products(twice)
    first_seen = list(dict.fromkeys(products["dataURI"]))  # association products are shared
    assert list(unique["dataURI"]) == first_seen
    assert len(obs.get_unique_product_list(observations)) == len(set(products["dataURI"]))


CASES = [
    {"productType": "SCIENCE"},
    {"productType": ["SCIENCE", "PREVIEW"]},
    {"productType": ["!PREVIEW"]},
    {"productType": ["SCIENCE", "!PREVIEW"], "size": "<40000"},
    {"size": ">=30000"},
    {"size": ["!40320", "<50000"]},
    {"size": "20000..40000"},
    {"size": [23040, ">50000"]},
    {"mrp_only": True},
    {"extension": "fits"},
    {"extension": ["jpg", "txt"], "productType": "!SCIENCE"},
]


def _as_str(products):
    """A copy with str text columns (astroquery's filters only work on str, not bytes)."""
    table = Table(products, copy=True)
    for name in table.colnames:
        if table[name].dtype.kind == "S":
            table[name] = table[name].astype(str)
    return table


@pytest.mark.parametrize("criteria", CASES)
def test_filters_match_astroquery(obs, products, criteria):
    ours = obs.filter_products(products, **criteria)
    theirs = AstroqueryObservations.filter_products(_as_str(products), **criteria)
    assert len(ours) and len(ours) < len(products)
    assert list(ours["dataURI"]) == list(theirs["dataURI"])


def test_filters_select_what_they_say(obs, products):
    small = obs.filter_products(products, size="<30000", productType="SCIENCE")
    assert len(small) and np.all(small["size"] < 30000)
    assert set(small["productType"]) == {"SCIENCE"}
    mrp = obs.filter_products(products, mrp_only=True)
    assert set(mrp["productGroupDescription"]) == {"Minimum Recommended Products"}


def test_unknown_column_names_the_columns(obs, products):
    with pytest.raises(InvalidQueryError, match="productTpye.*productType"):
        obs.filter_products(products, productTpye="SCIENCE")
    with pytest.raises(InvalidQueryError, match="'size'.*not a number"):
        obs.filter_products(products, size="big")


def test_cloud_uris_through_path_lookup(obs, products):
    public = products[:2]
    uris = obs.get_cloud_uris(public, verbose=False)
    assert all(u.startswith("s3://stpubdata/") for u in uris)
    mapping = obs.get_cloud_uris(list(public["dataURI"]), include_bucket=False, return_uri_map=True)
    assert set(mapping) == set(public["dataURI"])
    assert all(not path.startswith(("s3:", "/")) for path in mapping.values())


def test_tess_full_frame_images_are_left_out_as_in_astroquery(obs, observations, caplog):
    table = Table(observations[:3], copy=True)
    table["target_name"] = table["target_name"].astype("U20")
    table["target_name"][1] = "TESS FFI"
    got = obs.get_product_list(table)
    kept = {str(table["obsid"][0]), str(table["obsid"][2])}
    assert set(str(o) for o in got["obsID"]) == kept
    assert "full-frame image" in caplog.text
