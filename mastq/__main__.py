"""``python -m mastq``: the ``mastq`` command line (see `mastq.cli`)."""

import sys

from mastq.cli import main

sys.exit(main())
