"""Synthetic MAST answers for the benchmarks: the CAOM recording's rows, varied and repeated."""

import json
from pathlib import Path

import numpy as np
import orjson

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def caom_page(nrows, *, seed=0):
    """
    Return a Mashup json page of ``nrows`` CAOM rows (bytes), shaped like ``caom.json``.

    Rows cycle through the recording's 19 rows with varied positions, times and ids,
    a sprinkle of nulls in float and string columns, and 64-bit ids above 2**53.
    """
    doc = json.loads((DATA / "caom.json").read_text())
    base = doc["data"]
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, nrows).tolist()
    dec = rng.uniform(-90, 90, nrows).tolist()
    tmin = rng.uniform(44000, 60000, nrows).tolist()
    nulls = (rng.random(nrows) < 0.05).tolist()
    rows = []
    for i in range(nrows):
        row = dict(base[i % len(base)])
        row.update(
            s_ra=ra[i],
            s_dec=dec[i],
            t_min=tmin[i],
            t_max=tmin[i] + 0.01,
            obsid=9_007_199_254_740_993 + i,
            objID=2_000_000_000 + i,
            obs_id=f"U{i:09d}",
            distance=None if nulls[i] else ra[i] * 3.0,
            target_name=None if nulls[i] else row["target_name"],
        )
        rows.append(row)
    doc["data"] = rows
    doc["paging"] = {
        "page": 1,
        "pageSize": nrows,
        "pagesFiltered": 1,
        "rows": nrows,
        "rowsFiltered": nrows,
        "rowsTotal": nrows,
    }
    return orjson.dumps(doc)


def caom_config():
    """The CAOM columns config recording (bytes)."""
    return (DATA / "columnsconfig.json").read_bytes()
