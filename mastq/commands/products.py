"""
``mastq products`` and ``mastq download``: the files behind observations.

::

    mastq products 2003520266 --filter productType=SCIENCE extension=fits --local
    mastq download 2003520266 --dir data --extension fits --local

OBSIDs are the ``obsid`` column of ``mastq search`` (not ``obs_id``).
"""

import os
import sys
from collections import Counter

from mastq.commands.common import connected, emit_table, note
from mastq.commands.values import criteria_dict, product_filter

__all__ = ["add_products", "add_download"]

PRODUCT_COLUMNS = (
    "obsID",
    "obs_collection",
    "productType",
    "productSubGroupDescription",
    "productFilename",
    "size",
)
"""Product columns shown on the screen."""

MANIFEST_COLUMNS = ("Local Path", "Status", "Message")
"""Download manifest columns shown on the screen."""


def add_products(subparsers, server, output):
    parser = subparsers.add_parser(
        "products",
        parents=[server, output],
        help="list the data products of observations",
        description="List the data products of observations, optionally filtered.",
    )
    _product_arguments(parser)
    parser.set_defaults(func=_products)


def add_download(subparsers, server, output):
    parser = subparsers.add_parser(
        "download",
        parents=[server, output],
        help="download the data products of observations",
        description="Download the (filtered) data products of observations; the manifest "
        "(local path, status, message) is the command's table.",
    )
    _product_arguments(parser)
    parser.add_argument(
        "--dir",
        default=".",
        metavar="D",
        help="folder to download into (default: the current folder)",
    )
    parser.add_argument(
        "--flat", action="store_true", help="all files in D itself, not in per-mission sub-folders"
    )
    parser.set_defaults(func=_download)


def _product_arguments(parser):
    parser.add_argument(
        "obsids",
        nargs="+",
        metavar="OBSID",
        help="observation ids (the obsid column of `mastq search`)",
    )
    parser.add_argument(
        "--filter",
        nargs="+",
        action="extend",
        type=product_filter,
        metavar="K=V",
        help="product column filters: productType=SCIENCE, "
        "productSubGroupDescription=CAL,X1D (any of), "
        "productType=!PREVIEW (not), size=<1000 or size=100..2000",
    )
    parser.add_argument(
        "--extension",
        nargs="+",
        action="extend",
        metavar="EXT",
        help="keep files ending so: fits, fits.gz...",
    )


def _product_list(args):
    """The products of ``args.obsids``, filtered by ``--filter`` and ``--extension``."""
    from mastq.observations import Observations

    filters = criteria_dict(args.filter, option="--filter")
    note(args, f"listing the products of {len(args.obsids)} observations")
    products = Observations.get_product_list(list(args.obsids))
    if filters or args.extension:
        products = Observations.filter_products(products, extension=args.extension, **filters)
    note(args, f"{len(products)} products")
    return products


def _products(args):
    with connected(args):
        products = _product_list(args)
    emit_table(products, args, screen_columns=PRODUCT_COLUMNS)
    return 0


def _download(args):
    from mastq.observations import Observations

    with connected(args):
        products = _product_list(args)
        if not len(products):
            raise ValueError("no product to download (check the OBSIDs and the filters)")
        manifest = Observations.download_products(
            products, download_dir=args.dir, flat=args.flat, verbose=not args.quiet
        )
    emit_table(manifest, args, screen_columns=MANIFEST_COLUMNS)
    statuses = Counter(str(status) for status in manifest["Status"])
    note(
        args,
        f"{len(manifest)} files under {os.path.abspath(args.dir)}: "
        + ", ".join(f"{n} {status.lower()}" for status, n in sorted(statuses.items())),
    )
    if statuses["ERROR"]:
        print(
            f"mastq: error: {statuses['ERROR']} of {len(manifest)} files failed to download "
            f"(Status ERROR and Message in the manifest)",
            file=sys.stderr,
        )
        return 1
    return 0
