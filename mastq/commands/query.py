"""
``mastq resolve``, ``mastq search``, ``mastq count`` and ``mastq catalog``.

::

    mastq resolve M101 "NGC 1068" --local
    mastq search M101 --radius 3arcmin --criteria obs_collection=HST,JWST t_exptime=100..
    mastq search 210.80 54.35 --criteria dataproduct_type=image --output m101.ecsv
    mastq count --criteria obs_collection=JWST instrument_name=NIRCAM*
    mastq catalog M101 --catalog Tic --criteria Tmag=..12 --json
"""

from astropy.table import Table

from mastq import conf
from mastq.commands.common import connected, emit_json, emit_table, note
from mastq.commands.values import criteria_dict, criterion, position, radius

__all__ = ["add_resolve", "add_search", "add_count", "add_catalog"]

SEARCH_COLUMNS = (
    "obs_collection",
    "instrument_name",
    "filters",
    "target_name",
    "obs_id",
    "obsid",
    "s_ra",
    "s_dec",
    "t_exptime",
    "distance",
)
"""Observation columns shown on the screen (``--columns`` or a file gives the others)."""

CATALOG_COLUMNS = (
    "ID",
    "ra",
    "dec",
    "Tmag",
    "Vmag",
    "source_id",
    "phot_g_mean_mag",
    "objType",
    "dstArcSec",
    "distance",
)
"""Catalog columns shown on the screen, when the catalog has them."""


def add_resolve(subparsers, server, output):
    parser = subparsers.add_parser(
        "resolve",
        parents=[server, output],
        help="resolve object names to ICRS positions",
        description="Resolve object names to ICRS positions with MAST's name lookup.",
    )
    parser.add_argument("names", nargs="+", metavar="NAME", help="object name (quote blanks)")
    parser.add_argument(
        "--resolver",
        choices=("SIMBAD", "NED"),
        type=str.upper,
        help="resolver to use (default: MAST's order)",
    )
    parser.set_defaults(func=_resolve)


def _target_arguments(parser, *, criteria_help):
    parser.add_argument(
        "target",
        nargs="*",
        metavar="NAME | RA DEC",
        help="object name, or RA and Dec (degrees or sexagesimal)",
    )
    parser.add_argument(
        "--radius", type=radius, help="cone radius, e.g. 3arcmin or 0.05deg (default 0.2deg)"
    )
    parser.add_argument(
        "--criteria", nargs="+", action="extend", type=criterion, metavar="K=V", help=criteria_help
    )
    parser.add_argument(
        "--resolver",
        choices=("SIMBAD", "NED"),
        type=str.upper,
        help="resolver of NAME (default: MAST's order)",
    )


_CRITERIA_HELP = (
    "column criteria: a=x,y (any of), a=1..10 (range; open ends 1.. or ..10), "
    "a=NIRCAM* (wildcard); dates as 2020-01-01"
)


def add_search(subparsers, server, output):
    parser = subparsers.add_parser(
        "search",
        parents=[server, output],
        help="search observations around a target or by criteria",
        description="Search MAST's observations (CAOM) around a target, by column criteria, "
        "or both.",
    )
    _target_arguments(parser, criteria_help=_CRITERIA_HELP)
    parser.set_defaults(func=_search)


def add_count(subparsers, server, output):
    parser = subparsers.add_parser(
        "count",
        parents=[server],
        help="count observations (as search, without the rows)",
        description="Count the observations `mastq search` would return.",
    )
    _target_arguments(parser, criteria_help=_CRITERIA_HELP)
    parser.add_argument("--json", action="store_true", help='print {"count": N} on stdout')
    parser.add_argument("--quiet", "-q", action="store_true", help="no notes on stderr")
    parser.set_defaults(func=_count)


def add_catalog(subparsers, server, output):
    parser = subparsers.add_parser(
        "catalog",
        parents=[server, output],
        help="search a catalog (TIC, CTL, Gaia...) around a target",
        description="Search one of MAST's catalogs around a target, by criteria, or both.",
    )
    _target_arguments(parser, criteria_help="catalog column criteria, as for `mastq search`")
    parser.add_argument("--catalog", default="Tic", help="catalog: Tic (default), Ctl, GaiaDR3...")
    parser.set_defaults(func=_catalog)


def _resolve(args):
    from mastq.observations import Observations

    with connected(args):
        names = args.names if len(args.names) > 1 else args.names[0]
        found = Observations.resolve_object(names, resolver=args.resolver)
    if isinstance(names, str):
        found = {names: found}
    rows = [(name, coord.ra.deg, coord.dec.deg) for name, coord in found.items()]
    table = Table(
        rows=rows,
        names=("name", "ra", "dec"),
        units=(None, "deg", "deg"),
        dtype=(str, float, float),
    )
    emit_table(table, args)
    return 0


def _ask(client, args, *, count=False, catalog=None):
    """
    Run the query the arguments describe on ``client`` (Observations or Catalogs).

    With criteria it is a criteria query (around the target when there is one); without, a
    cone around the target (``query_object`` or ``query_region``, their ``_count`` forms).
    """
    criteria = criteria_dict(args.criteria)
    if not args.target and not criteria:
        raise ValueError("give a target (NAME or RA DEC), --criteria K=V, or both")
    if not args.target and (args.radius is not None or args.resolver):
        raise ValueError("--radius and --resolver need a target (NAME or RA DEC)")
    target = position(args.target) if args.target else None
    cone = {} if args.radius is None else {"radius": args.radius}
    note(
        args,
        f"{'counting' if count else 'searching'} {catalog or 'observations'} "
        f"{_describe(target, args.radius)} on {conf.server}",
    )
    if criteria:
        if target is not None:
            key = "objectname" if isinstance(target, str) else "coordinates"
            cone.update({key: target, "resolver": args.resolver})
        method = client.query_criteria_count if count else client.query_criteria
        return method(*([catalog] if catalog else []), **cone, **criteria)
    suffix, extra = ("_count" if count else ""), ({"catalog": catalog} if catalog else {})
    if isinstance(target, str):
        return getattr(client, "query_object" + suffix)(
            target, resolver=args.resolver, **cone, **extra
        )
    return getattr(client, "query_region" + suffix)(target, **cone, **extra)


def _describe(target, radius):
    if target is None:
        return "everywhere"
    where = target if isinstance(target, str) else target.to_string("decimal", precision=5)
    return f"around {where} within {radius if radius is not None else '0.2 deg'}"


def _search(args):
    from mastq.observations import Observations

    with connected(args):
        table = _ask(Observations, args)
    note(args, f"{len(table)} observations")
    emit_table(table, args, screen_columns=SEARCH_COLUMNS)
    return 0


def _count(args):
    from mastq.observations import Observations

    with connected(args):
        count = _ask(Observations, args, count=True)
    if args.json:
        emit_json({"count": count})
    else:
        print(count)
    return 0


def _catalog(args):
    from mastq.catalogs import Catalogs

    with connected(args):
        table = _ask(Catalogs, args, catalog=args.catalog)
    note(args, f"{len(table)} rows")
    emit_table(table, args, screen_columns=CATALOG_COLUMNS)
    return 0
