"""
The subcommands of ``mastq`` (see `mastq.cli`), one module per group.

- `mastq.commands.query`: ``resolve``, ``search``, ``count``, ``catalog``;
- `mastq.commands.products`: ``products``, ``download``;
- `mastq.commands.serve`: ``serve``, ``demo`` (the local MAST);
- `mastq.commands.values` (words as typed -> Python inputs) and `mastq.commands.common`
  (server and output options) serve them all.

`SUBCOMMANDS` maps each name to the function adding its parser,
``add(subparsers, server, output)`` with the shared parent parsers of the server and output
options; each parser sets ``func``, a function ``(args) -> exit code``.
"""

from mastq.commands.products import add_download, add_products
from mastq.commands.query import add_catalog, add_count, add_resolve, add_search
from mastq.commands.serve import add_demo, add_serve

__all__ = ["SUBCOMMANDS"]

SUBCOMMANDS = {
    "resolve": add_resolve,
    "search": add_search,
    "count": add_count,
    "catalog": add_catalog,
    "products": add_products,
    "download": add_download,
    "serve": add_serve,
    "demo": add_demo,
}
"""Subcommand name -> ``add(subparsers, server, output)``, in the order ``--help`` lists."""
