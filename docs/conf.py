# Sphinx configuration of the mastq documentation (built with sphinx-astropy).
import datetime

from sphinx_astropy.conf.v2 import *  # noqa: F401,F403

import mastq

project = "mastq"
author = "mastq developers"
copyright = f"{datetime.date.today().year}, {author}"
version = release = mastq.__version__
html_theme_options = {}
intersphinx_mapping.update({  # noqa: F405
    "astroquery": ("https://astroquery.readthedocs.io/en/latest/", None),
    "requests": ("https://requests.readthedocs.io/en/latest/", None),
})
nitpicky = False
