"""
Column metadata of the local MAST (``/portal/Mashup/Mashup.asmx/columnsconfig``).

CAOM services answer the real recorded CAOM config (package data); ``Mast.Caom.Products``
a config written here for the product fields; anything else is asked of the archive's
catalogs.
"""

import copy
import functools
import json
from importlib import resources

__all__ = ["columns_config", "CAOM_CONFIG_IDS"]

CAOM_CONFIG_IDS = frozenset({"mast.caom.cone", "mast.caom.filtered",
                             "mast.caom.filtered.position", "mast.caom.all"})


def _char(text, description, **extra):
    return {"text": text, "vot.datatype": "char", "vot.arraysize": "*",
            "vot.description": description, **extra}


_PRODUCTS = {
    "obsID": {"text": "Product Group ID", "vot.datatype": "long", "vot.ucd": "meta.record",
              "vot.description": "Database identifier of the observation (obsid)"},
    "obs_collection": _char("Mission", "Collection", separator=";"),
    "dataproduct_type": _char("Product Type", "Type of product"),
    "obs_id": _char("Observation ID", "Observation identifier, given by mission"),
    "description": _char("Description", "Description of the file"),
    "type": _char("Type", "S: simple product, C: composite product"),
    "dataURI": _char("URI", "URI of the file, for the Download service"),
    "productType": _char("Product Type", "SCIENCE, PREVIEW, AUXILIARY or INFO"),
    "productGroupDescription": _char("Product Group", "Product group, e.g. Minimum "
                                     "Recommended Products"),
    "productSubGroupDescription": _char("Product Subgroup", "File type code, e.g. DRZ"),
    "productDocumentationURL": _char("Documentation", "URL of the product documentation"),
    "project": _char("Project", "Processing project"),
    "prvversion": _char("Version", "Processing software version"),
    "productFilename": _char("Filename", "Name of the file"),
    "size": {"text": "Size", "vot.datatype": "long", "vot.unit": "byte", "unit": "byte",
             "vot.description": "Size of the file in bytes"},
    "_selected_": {"text": "selected", "add": True, "type": "boolean", "hidden": True},
}


@functools.lru_cache(maxsize=1)
def _caom_config():
    text = resources.files("mastq.emulator").joinpath("data/caom_columnsconfig.json")
    return json.loads(text.read_text(encoding="utf-8"))


def columns_config(config_id, archive):
    """
    The column metadata of a service (what ``colConfigId`` asks for).

    Parameters
    ----------
    config_id : str
        The config name, usually a service name (``"Mast.Caom.Cone"``), case-insensitive.
    archive : mastq.emulator.archive.Archive
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
