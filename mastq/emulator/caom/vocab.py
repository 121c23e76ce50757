"""
Vocabularies of the sample archive: PIs, titles, classifications, field target names, and
the coded CAOM columns of today's MAST (intent, data rights, proposal types, pipelines).

Every vocabulary is a deterministic function of nothing (or of the mission), built once
at import into read-only numpy arrays.
"""

import numpy as np

from mastq.emulator.caom.missions import MISSIONS, SETUPS
from mastq.emulator.services.names import OBJECTS

__all__ = [
    "PIS",
    "TITLES",
    "CLASSIFICATIONS",
    "TARGETS",
    "POOL_SIZE",
    "pool_offset",
    "INTENTS",
    "DATA_RIGHTS",
    "PUBLIC",
    "EXCLUSIVE_ACCESS",
    "RESTRICTED",
    "PROPOSAL_TYPES",
    "PROVENANCES",
]

INTENTS = np.array(["science", "calibration"])
"""``intentType`` values, indexed by code (0 science, 1 calibration)."""

DATA_RIGHTS = np.array(["PUBLIC", "EXCLUSIVE_ACCESS", "RESTRICTED"])
"""``dataRights`` values, indexed by code; both non-public codes need a token."""
PUBLIC, EXCLUSIVE_ACCESS, RESTRICTED = range(3)

PROPOSAL_TYPES = np.array(
    sorted({"CAL"} | {name for m in MISSIONS for name, _ in m.proposal_types})
)
"""``proposal_type`` values (``CAL`` for calibration programmes)."""

PROVENANCES = np.array(sorted({s.provenance for s in SETUPS if s.provenance}))
"""``provenance_name`` values: the pipelines of the setups."""

PIS = np.array(
    [
        "Griffiths",
        "Osten",
        "Kirshner",
        "Freedman",
        "Riess",
        "Bahcall",
        "Heap",
        "Linsky",
        "Charbonneau",
        "Seager",
        "Kalirai",
        "Dalcanton",
        "Meurer",
        "Filippenko",
        "Ford",
        "Illingworth",
        "Madau",
        "Rieke",
        "Ricker",
        "Borucki",
        "Howell",
        "Martin",
        "Chambers",
        "Gehrels",
        "Boggess",
        "Werner",
        "Fazio",
        "Gardner",
        "Mather",
        "Beichman",
        "Sembach",
        "Sahu",
        "Anderson",
        "Bellini",
        "Stephens",
        "Rodriguez",
        "Nguyen",
        "O'Brien",
        "Smith",
        "Zhang",
        "Kowalski",
        "Garcia",
        "Tanaka",
        "Muller",
        "Okafor",
        "Chen",
        "Ivanova",
    ]
)

_TOPICS = (
    "Star Clusters",
    "Exoplanet Atmospheres",
    "Galaxy Evolution",
    "Cepheid Distances",
    "Supernova Remnants",
    "Active Galactic Nuclei",
    "Brown Dwarfs",
    "Dark Matter",
    "Stellar Populations",
    "Protoplanetary Disks",
    "White Dwarfs",
    "Quasar Hosts",
)
_VERBS = (
    "Age-dating",
    "A Survey of",
    "Mapping",
    "Resolving",
    "Monitoring",
    "Spectroscopy of",
    "Deep Imaging of",
    "The Origin of",
)
_PLACES = (
    "in M101",
    "in the Local Group",
    "at High Redshift",
    "in the Galactic Bulge",
    "in Nearby Galaxies",
    "with Transits",
    "in the Magellanic Clouds",
    "Across Cosmic Time",
)
TITLES = np.array([f"{v} {t} {p}" for v in _VERBS for t in _TOPICS for p in _PLACES][::7])

CLASSIFICATIONS = np.array(
    sorted(
        {o.classification for o in OBJECTS}
        | {
            "STAR;BINARY",
            "GALAXY;CLUSTER OF GALAXIES",
            "CALIBRATION;SKY",
            "STAR;WHITE DWARF",
            "ISM;MOLECULAR CLOUD",
            "STAR;M DWARF;FLARE STAR",
            "GALAXY;HIGH Z GALAXY;BLANK SKY",
            "SOLAR SYSTEM;PLANET",
            "STAR;CATACLYSMIC VARIABLE",
        }
    )
)

POOL_SIZE = 500


def _pool(mission, count):
    """Deterministic field target names of one mission, in its style."""
    k = np.arange(count)
    styles = {
        "HST": lambda i: f"HD-{1000 + 97 * i}" if i % 3 else f"FIELD-{i:03d}",
        "JWST": lambda i: f"NGC-{100 + 13 * i}" if i % 2 else f"JADES-FIELD-{i}",
        "TESS": lambda i: str(25155310 + 104729 * i),
        "Kepler": lambda i: f"kplr{1000000 + 7919 * i:09d}",
        "K2": lambda i: f"EPIC {201000000 + 6007 * i}",
        "GALEX": lambda i: f"AIS_{100 + i // 8}_1_{i % 8 * 4 + 2}",
        "PS1": lambda i: f"skycell.{1100 + i}",
        "SWIFT": lambda i: f"GRB{50101 + 97 * i:06d}" if i % 2 else f"SWIFT J{i:04d}.5+1234",
        "IUE": lambda i: f"HD {2000 + 331 * i}",
        "SPITZER_SHA": lambda i: f"IRAC-FIELD-{i}",
    }
    style = styles[mission]
    return [style(int(i)) for i in k]


def _targets():
    names = [o.target for o in OBJECTS]
    for mission in MISSIONS:
        names.extend(_pool(mission.name, POOL_SIZE))
    return np.array(names)


TARGETS = _targets()


def pool_offset(mission_index):
    """Index in `TARGETS` of the first field target name of a mission (array-aware)."""
    return len(OBJECTS) + np.asarray(mission_index, dtype=np.int64) * POOL_SIZE
