"""
Column metadata of the local MAST (``/portal/Mashup/Mashup.asmx/columnsconfig``).

CAOM services answer the real recorded CAOM config (package data) brought up to today's MAST
(`TODAY_CAOM`: the columns added since the recording, and types, UCDs and descriptions of the
ones it left incomplete), its entries in the order of the ``Mast.Caom.Cone`` fields;
``Mast.Caom.Products`` a config written here for the product fields; anything else is asked
of the archive's catalogs.
"""

import copy
import functools
import json
from importlib import resources

from mastq.emulator.caom.observations import CONE_FIELDS

__all__ = ["columns_config", "CAOM_CONFIG_IDS", "TODAY_CAOM"]

CAOM_CONFIG_IDS = frozenset(
    {"mast.caom.cone", "mast.caom.filtered", "mast.caom.filtered.position", "mast.caom.all"}
)


def _char(text, description, **extra):
    return {
        "text": text,
        "vot.datatype": "char",
        "vot.arraysize": "*",
        "vot.description": description,
        **extra,
    }


TODAY_CAOM = {
    "intentType": {
        "vot.ucd": "meta.code;obs.intent",
        "vot.description": "Whether observation is for science or calibration.",
    },
    "provenance_name": _char(
        "Provenance Name",
        "Name of the pipeline that made the observation's products",
        **{
            "vot.ucd": "meta.id;instr.setup",
            "example": "E.g. CALSTIS, CALWF3, CALJWST, SPOC, TESS-SPOC",
        },
    ),
    "proposal_type": _char(
        "Proposal Type",
        "Type of the proposal",
        **{"vot.ucd": "meta.code.class;obs.proposal", "example": "E.g. GO, GTO, DD, SNAP, CAL"},
    ),
    "sequence_number": {
        "text": "Sequence Number",
        "vot.datatype": "int",
        "vot.ucd": "meta.number;obs.sequence",
        "vot.description": "Sequence number of the observation, e.g. TESS "
        "sector, K2 campaign or Kepler quarter",
        "example": "Integer, e.g. 14",
    },
    "dataRights": _char(
        "Data Rights",
        "Access rights of the data: PUBLIC, EXCLUSIVE_ACCESS (proprietary period) or RESTRICTED",
        type="string",
        **{"vot.ucd": "meta.code", "example": "Valid values: PUBLIC, EXCLUSIVE_ACCESS, RESTRICTED"},
    ),
    "mtFlag": {
        "vot.datatype": "boolean",
        "vot.ucd": "meta.code;src.moving",
        "example": "true or false",
    },
    "srcDen": {"vot.ucd": "src.density", "example": "Float, e.g. 5000; null for many missions"},
    "dataURL": {"vot.ucd": "meta.ref.url"},
    "objID1": {
        "vot.datatype": "long",
        "vot.ucd": "meta.record",
        "vot.description": "objID of the observation, repeated by the positional "
        "search (Mast.Caom.Filtered.Position)",
    },
}
"""Today's MAST's CAOM columns config, where it differs from the recording (merged over it)."""

_PRODUCTS = {
    "obsID": {
        "text": "Product Group ID",
        "vot.datatype": "long",
        "vot.ucd": "meta.record",
        "vot.description": "Database identifier of the observation (obsid)",
    },
    "obs_collection": _char("Mission", "Collection", separator=";"),
    "dataproduct_type": _char("Product Type", "Type of product"),
    "obs_id": _char("Observation ID", "Observation identifier, given by mission"),
    "description": _char("Description", "Description of the file"),
    "type": _char("Type", "S: simple product, C: composite product"),
    "dataURI": _char("URI", "URI of the file, for the Download service"),
    "productType": _char("Product Type", "SCIENCE, PREVIEW, AUXILIARY or INFO"),
    "productGroupDescription": _char(
        "Product Group", "Product group, e.g. Minimum Recommended Products"
    ),
    "productSubGroupDescription": _char("Product Subgroup", "File type code, e.g. DRZ"),
    "productDocumentationURL": _char("Documentation", "URL of the product documentation"),
    "project": _char("Project", "Processing project"),
    "prvversion": _char("Version", "Processing software version"),
    "proposal_id": _char("Proposal ID", "Proposal ID of the owning observation"),
    "productFilename": _char("Filename", "Name of the file"),
    "size": {
        "text": "Size",
        "vot.datatype": "long",
        "vot.unit": "byte",
        "unit": "byte",
        "vot.description": "Size of the file in bytes",
    },
    "parent_obsid": {
        "text": "Parent Observation",
        "vot.datatype": "long",
        "vot.ucd": "meta.record",
        "vot.description": "obsid of the observation "
        "the product list was asked for (obsID owns the product)",
    },
    "dataRights": _char(
        "Data Rights", "PUBLIC, EXCLUSIVE_ACCESS or RESTRICTED; non-public files need a MAST token"
    ),
    "calib_level": {
        "text": "Calibration Level",
        "vot.datatype": "int",
        "vot.ucd": "meta.code.status",
        "vot.description": "Calibration level of the product",
    },
    "filters": _char("Filters", "Instrument filters of the owning observation", separator=";"),
    "_selected_": {"text": "selected", "add": True, "type": "boolean", "hidden": True},
}


@functools.lru_cache(maxsize=1)
def _caom_config():
    text = resources.files("mastq.emulator").joinpath("data/caom_columnsconfig.json")
    recorded = json.loads(text.read_text(encoding="utf-8"))
    order = ["_selected_"] + [f.name for f in CONE_FIELDS] + list(recorded)
    return {
        name: {**recorded.get(name, {}), **TODAY_CAOM.get(name, {})}
        for name in dict.fromkeys(order)
    }


def columns_config(config_id, archive):
    """
    The column metadata of a service (what ``colConfigId`` asks for).

    Parameters
    ----------
    config_id : str
        The config name, usually a service name (``"Mast.Caom.Cone"``), case-insensitive.
    archive : mastq.emulator.caom.archive.Archive
        The archive (its catalogs answer the catalog configs).

    Returns
    -------
    dict or None
        Column name -> metadata (a fresh copy), or None for an unknown config.
    """
    if not isinstance(config_id, str):
        return None
    key = config_id.strip().lower()
    if key in CAOM_CONFIG_IDS:
        return copy.deepcopy(_caom_config())
    if key == "mast.caom.products":
        return copy.deepcopy(_PRODUCTS)
    catalogs = getattr(archive, "catalogs", None)
    if catalogs is None:
        return None
    return catalogs.columns_config(config_id.strip())
