# Sphinx configuration of the mastq documentation (built with sphinx-astropy).
#
# The build is offline by default: links to other projects' docs (intersphinx) are
# fetched only when MASTQ_DOCS_INTERSPHINX=1, so that ``sphinx-build -W`` (warnings as
# errors, as in the test suite) passes on a machine without network access.
import datetime
import os

from sphinx_astropy.conf.v2 import *  # noqa: F401,F403

import mastq

project = "mastq"
author = "mastq developers"
copyright = f"{datetime.date.today().year}, {author}"
version = release = mastq.__version__
html_theme_options = {}
html_static_path = ["_static"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "conftest.py"]
nitpicky = False

if os.environ.get("MASTQ_DOCS_INTERSPHINX") == "1":
    intersphinx_mapping.update({  # noqa: F405
        "astroquery": ("https://astroquery.readthedocs.io/en/latest/", None),
        "requests": ("https://requests.readthedocs.io/en/latest/", None),
    })
else:
    intersphinx_mapping = {}
