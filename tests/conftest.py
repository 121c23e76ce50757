"""
Shared fixtures of the test suite.

The fixtures ``mast_emulator`` (session URL of a default local MAST) and
``mast_emulator_factory`` come from mastq's own pytest plugin
(`mastq.emulator.pytest_plugin`).  This file adds a *synthetic* backend for the tests of
the emulator's HTTP layer: a tiny archive and two services whose answers are known exactly,
so that paging, formats, polling and faults can be checked without the sample archive.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
import pytest

from mastq.emulator import Emulator
from mastq.emulator.model import DocumentResult, Field, ServiceError, TableResult

SYNTH_FIELDS = (
    Field("obsid", "string"),
    Field("s_ra", "float"),
    Field("target_name", "string"),
    Field("flag", "boolean"),
    Field("calib_level", "int"),
    Field("empty", "float"),
)
SYNTH_COLUMNS_CONFIG = {
    "s_ra": {
        "text": "RA",
        "vot.unit": "deg",
        "vot.ucd": "pos.eq.ra;meta.main",
        "vot.description": "Right ascension (ICRS)",
        "vot.datatype": "double",
    },
    "calib_level": {
        "text": "Calibration level",
        "vot.description": "Level of calibration",
        "vot.datatype": "short",
    },
    "obsid": {"text": "Obs ID", "vot.ucd": "meta.id", "vot.datatype": "long"},
}
PUBLIC_URI = "mast:HST/product/u9o40504m_c3m.fits"
PRIVATE_URI = "mast:JWST/product/jw01234001001_01101_00001_nrca1_cal.fits"


def synthetic_columns(start, stop):
    """Rows ``start:stop`` of the synthetic table (ids above 2**53, NaNs, masks, a comma)."""
    i = np.arange(start, stop, dtype=np.int64)
    n = len(i)
    ra = (i * 0.37) % 360.0
    ra[i % 7 == 3] = np.nan
    names = np.array([f"T{k}" if k % 10 else f'Star, "{k}"' for k in i.tolist()], dtype=object)
    return {
        "obsid": (2**60 + i).astype(np.int64),
        "s_ra": ra,
        "target_name": names,
        "flag": i % 2 == 0,
        "calib_level": np.ma.MaskedArray(i % 4, mask=(i % 5 == 4)),
        "empty": np.ma.MaskedArray(np.zeros(n), mask=np.ones(n, dtype=bool)),
    }


def synthetic_result(n, *, cost=0.0):
    """A lazily generated `TableResult` of ``n`` synthetic rows (chunks made on demand)."""
    return TableResult(fields=SYNTH_FIELDS, nrows=n, make_chunk=synthetic_columns, cost=cost)


@dataclass(frozen=True)
class SynthProduct:
    uri: str
    filename: str
    content: bytes
    proprietary: bool
    content_type: str = "application/fits"


class SynthArchive:
    """Two files: one public, one proprietary (counts the calls it gets)."""

    def __init__(self):
        data = hashlib.sha256(b"mastq").digest() * 400
        self.files = {
            PUBLIC_URI: SynthProduct(PUBLIC_URI, "u9o40504m_c3m.fits", data, False),
            PRIVATE_URI: SynthProduct(PRIVATE_URI, PRIVATE_URI.rsplit("/", 1)[1], data[:999], True),
        }
        self.service_calls = 0

    def product_file(self, uri):
        return self.files.get(uri)


def synth_run_service(service, params, archive):
    """Services: ``Test.Table {n, cost}``, ``Mast.Name.Lookup {input}``, ``Test.Boom``."""
    archive.service_calls += 1
    if service == "Test.Table":
        try:
            n = int(params.get("n", 10))
        except (TypeError, ValueError):
            raise ServiceError(
                f"Test.Table: 'n' must be an integer, got {params.get('n')!r}"
            ) from None
        return synthetic_result(n, cost=float(params.get("cost", 0.0)))
    if service == "Mast.Name.Lookup":
        return DocumentResult(
            {
                "resolvedCoordinate": [
                    {"searchString": params.get("input"), "ra": 1.5, "decl": -2.5}
                ],
                "status": "",
            }
        )
    if service == "Test.Boom":
        raise RuntimeError("kaboom")
    raise ServiceError(f"Unknown service: {service}")


def synth_columns_config(config_id, archive):
    return dict(SYNTH_COLUMNS_CONFIG) if config_id == "Test.Table" else None


@pytest.fixture
def synth_mast():
    """Factory ``synth_mast(**overrides) -> Emulator`` over the synthetic backend."""
    started = []

    def start(config=None, **overrides):
        server = Emulator(
            config,
            archive=SynthArchive(),
            run_service=synth_run_service,
            columns_config=synth_columns_config,
            **overrides,
        ).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def synth_url():
    """URL of a default local MAST over the synthetic backend (one per test module)."""
    server = Emulator(
        archive=SynthArchive(), run_service=synth_run_service, columns_config=synth_columns_config
    ).start()
    yield server.url
    server.stop()


def pytest_addoption(parser):
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="also run the long soaks (tests marked 'soak'; minutes)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: a long soak, run only with --soak")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="long soak: run with --soak")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)
