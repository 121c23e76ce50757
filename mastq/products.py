"""
Which products of which observations to ask for (``Mast.Caom.Products``).

`obsids_of` reads what users have at hand: a query result, some of its rows, or obsids
(integers, digit strings, bytestrings of a FITS-like text column).  `product_requests`
splits them into batches (``obsid`` is a comma-separated list, so a long list is split to
keep each request a reasonable size); `mastq.observations.ObservationsClass.get_product_list`
runs them.  `filter_mask` selects products as astroquery's ``filter_products`` does.  Downloads live
elsewhere.
"""

import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests
from astropy.table import MaskedColumn, Row, Table, vstack

from .download import Downloader, Transfer, download_plan, file_path, file_url, manifest
from .exceptions import (
    AuthenticationError,
    DownloadError,
    InvalidQueryError,
    NoResultsWarning,
    warn_user,
)
from .settings import Settings

__all__ = [
    "PRODUCTS_SERVICE",
    "BATCH",
    "MRP",
    "ProductQueries",
    "obsids_of",
    "product_requests",
    "filter_mask",
    "unique_products",
    "cloud_paths",
]

log = logging.getLogger(__name__)

PRODUCTS_SERVICE = "Mast.Caom.Products"
BATCH = 500
"""Most obsids sent in one ``Mast.Caom.Products`` request."""
MRP = "Minimum Recommended Products"
CLOUD_BUCKET = "stpubdata"
_FFI_TARGETS = ("TESS FFI", "TICA FFI")
_RANGE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\.\.[+-]?(\d+(\.\d*)?|\.\d+)")
_COMPARISONS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}


def obsids_of(observations):
    """
    Read the obsids of observations, in order and without repeats.

    Parameters
    ----------
    observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
        Query rows (their ``obsid`` column) or obsids (integers or digit strings,
        a comma-separated string included).

    Returns
    -------
    list of str

    Raises
    ------
    InvalidQueryError
        If ``observations`` holds no obsid, or a value is not an integer id.

    Examples
    --------
    >>> from astropy.table import Table
    >>> obsids_of(Table({"obsid": ["2000073487", "2000086478", "2000073487"]}))
    ['2000073487', '2000086478']
    """
    if isinstance(observations, (Table, Row)):
        if "obsid" not in observations.colnames:
            raise InvalidQueryError("observations has no 'obsid' column: give query rows or obsids")
        values = _unmasked(_without_ffis(observations)["obsid"])
    elif isinstance(observations, str):
        values = [part for part in observations.split(",") if part.strip()]
    elif isinstance(observations, Mapping):
        raise InvalidQueryError(
            f"observations must be query rows or obsids, not a "
            f"{type(observations).__name__} (its keys are no obsids)"
        )
    elif isinstance(observations, Iterable) and not isinstance(observations, bytes):
        values = list(observations)  # lists, arrays, columns, generators: one id each
    else:
        values = [observations]
    ids = [_obsid(value) for value in values]
    if not ids:
        raise InvalidQueryError("observations holds no obsid")
    return list(dict.fromkeys(ids))


def _without_ffis(observations):
    """The rows that are not TESS/TICA full-frame images (far too large: as astroquery)."""
    table = Table(observations) if isinstance(observations, Row) else observations
    if "target_name" not in table.colnames:
        return table
    names = _filled(table["target_name"])
    ffi = np.isin(names, _FFI_TARGETS)
    if ffi.any():
        key = "obs_id" if "obs_id" in table.colnames else "obsid"
        log.warning(
            "products of %d TESS/TICA full-frame image observation(s) are not listed "
            "(too large: use TESScut, https://mast.stsci.edu/tesscut/, or "
            "https://archive.stsci.edu/tess/): %s %s",
            int(ffi.sum()),
            key,
            ", ".join(str(v) for v in table[key][ffi][:5]),
        )
    return table[~ffi]


def _unmasked(column):
    """The values of an obsid column (or a Row's value), masked ones and blanks left out."""
    values = np.ma.atleast_1d(np.ma.asanyarray(column))
    kept = values.compressed() if np.ma.isMaskedArray(values) else values
    return [v for v in kept.tolist() if str(v).strip()]


def _obsid(value):
    if isinstance(value, np.generic):
        value = value.item()
    text = (value.decode("utf-8") if isinstance(value, bytes) else str(value)).strip()
    if isinstance(value, (bool, np.bool_)) or not text.isdigit():
        raise InvalidQueryError(
            f"observations: an obsid is an integer id (e.g. 2003738726), "
            f"got {value!r}; for mission ids like 'U24Z0101T' query "
            f"obs_id first"
        )
    return text


def product_requests(observations):
    """
    The ``Mast.Caom.Products`` params of observations, one per batch of obsids.

    Parameters
    ----------
    observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
        See `obsids_of`.

    Returns
    -------
    list of dict
        ``{"obsid": "id,id,..."}`` with at most `BATCH` obsids each, in order.

    Raises
    ------
    InvalidQueryError
        If no obsid can be read from ``observations``.

    Examples
    --------
    >>> product_requests(["2000073487", "2000086478"])
    [{'obsid': '2000073487,2000086478'}]
    """
    ids = obsids_of(observations)
    return [{"obsid": ",".join(ids[i : i + BATCH])} for i in range(0, len(ids), BATCH)]


def unique_products(products):
    """
    The products with distinct ``dataURI``, first occurrence kept, in order.

    Parameters
    ----------
    products : `~astropy.table.Table`

    Returns
    -------
    `~astropy.table.Table`

    Examples
    --------
    >>> from astropy.table import Table
    >>> products = Table({"dataURI": ["mast:HST/a.fits", "mast:HST/b.fits", "mast:HST/a.fits"]})
    >>> unique_products(products)["dataURI"].tolist()
    ['mast:HST/a.fits', 'mast:HST/b.fits']
    """
    if len(products) == 0:
        return products
    _, first = np.unique(np.asarray(products["dataURI"], dtype=str), return_index=True)
    if len(first) < len(products):
        log.info("%d of %d products were duplicates", len(products) - len(first), len(products))
    return products[np.sort(first)]


def filter_mask(products, *, mrp_only=False, extension=None, filters=None):
    """
    Which products pass astroquery's ``filter_products`` rules.

    Parameters
    ----------
    products : `~astropy.table.Table`
    mrp_only : bool
        Only "Minimum Recommended Products" (``productGroupDescription``).
    extension : str or list of str, optional
        File name endings (``productFilename``), any of them.
    filters : dict, optional
        Column -> value or list of values.  Values of one column are OR-ed, a value
        starting with ``!`` is excluded (AND-ed); columns are AND-ed.  Numeric columns also
        take ``"<1000"``, ``">=3"``, ``"100..200"``.

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    InvalidQueryError
        If a column does not exist (the message names those that do), or a numeric filter
        does not parse.

    Examples
    --------
    >>> from astropy.table import Table
    >>> products = Table({"productFilename": ["a_cal.fits", "a.jpg"],
    ...                   "productType": ["SCIENCE", "PREVIEW"]})
    >>> filter_mask(products, extension="fits").tolist()
    [True, False]
    >>> filter_mask(products, filters={"productType": ["SCIENCE", "AUXILIARY"]}).tolist()
    [True, False]
    """
    mask = np.ones(len(products), dtype=bool)
    if mrp_only:
        mask &= _filled(products["productGroupDescription"]) == MRP
    if extension:
        endings = (extension,) if isinstance(extension, str) else tuple(extension)
        names = _filled(products["productFilename"])
        mask &= np.array([bool(n) and n.endswith(endings) for n in names], dtype=bool)
    for name, values in (filters or {}).items():
        if name not in products.colnames:
            raise InvalidQueryError(
                f"filter {name!r}: no such product column; the columns "
                f"are {', '.join(products.colnames)}"
            )
        mask &= _column_mask(products[name], name, values)
    return mask


def _filled(column):
    data = np.ma.asanyarray(column)
    return np.asarray(data.filled("") if np.ma.isMaskedArray(data) else data, dtype=str)


def _column_mask(column, name, values):
    values = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
    numeric = column.dtype.kind in "iuf"
    data = np.ma.asanyarray(column) if numeric else _filled(column)
    keep = (
        np.zeros(len(column), dtype=bool)
        if any(not _negated(v) for v in values)
        else np.ones(len(column), dtype=bool)
    )
    drop = np.zeros(len(column), dtype=bool)
    for value in values:
        negated = _negated(value)
        value = value[1:] if negated else value
        hit = _numeric_hit(data, name, value) if numeric else data == str(value)
        if negated:
            drop |= hit
        else:
            keep |= hit
    return keep & ~drop


def _negated(value):
    return isinstance(value, str) and value.startswith("!")


def _numeric_hit(data, name, value):
    text = str(value).strip()
    try:
        for op, compare in _COMPARISONS.items():
            if text.startswith(op):
                hit = compare(data, float(text[len(op) :]))
                break
        else:
            if _RANGE.fullmatch(text):
                low, high = map(float, text.split(".."))
                hit = (data >= low) & (data <= high)
            else:
                hit = data == float(text)
    except ValueError:
        raise InvalidQueryError(
            f"filter {name!r}: {value!r} is not a number, a comparison "
            f"such as '<1000' or a range such as '100..200'"
        ) from None
    return np.ma.filled(hit, False)


class ProductQueries:
    """
    Product lists, filters and downloads of observations (mixed into `ObservationsClass`).

    Needs the class's `mastq.services.ServiceClient` (``_client``) and ``self._login``
    (a `mastq.auth.Login`, from `mastq.auth.LoginMixin`).
    """

    def get_product_list(self, observations, *, cache=None):
        """
        The data products of observations (``Mast.Caom.Products``).

        Long lists go to the server in batches of `BATCH` obsids, `mastq.conf.max_workers`
        at a time; masked obsids are skipped.

        Parameters
        ----------
        observations : `~astropy.table.Table`, `~astropy.table.Row`, int, str or list
            Rows of a query result (their ``obsid``), or obsids.
        cache : bool, optional
            Use the persistent query cache; default `mastq.conf.cache`.

        Returns
        -------
        `~astropy.table.Table`
            One row per product (``obsID``, ``dataURI``, ``productFilename``, ``size``...).

        Raises
        ------
        InvalidQueryError
            If no obsid can be read from ``observations``.

        Examples
        --------
        >>> from mastq import Observations
        >>> observations = Observations.query_object("M101", radius=0.02)
        >>> products = Observations.get_product_list(observations[:2])
        >>> len(products), products["productFilename"][:1].tolist()
        (6, ['jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits'])
        """
        client, settings = self._client, Settings.current()
        batches = product_requests(observations)
        with ThreadPoolExecutor(max(1, min(settings.max_workers, len(batches)))) as pool:
            parts = list(
                pool.map(
                    lambda params: client.service_request(
                        PRODUCTS_SERVICE, params, cache=cache, settings=settings
                    ),
                    batches,
                )
            )
        log.debug("%d product rows from %d requests", sum(len(p) for p in parts), len(parts))
        return parts[0] if len(parts) == 1 else vstack(parts, metadata_conflicts="silent")

    def get_unique_product_list(self, observations, *, cache=None):
        """
        The products of observations, each ``dataURI`` once (shared products appear once).

        Parameters
        ----------
        observations, cache
            As in `get_product_list`.

        Returns
        -------
        `~astropy.table.Table`

        Examples
        --------
        >>> from mastq import Observations
        >>> observations = Observations.query_object("M101", radius=0.02)
        >>> len(Observations.get_unique_product_list(observations[:2]))
        6
        """
        return unique_products(self.get_product_list(observations, cache=cache))

    def filter_products(self, products, *, mrp_only=False, extension=None, **filters):
        """
        The products that pass filters, as astroquery's ``filter_products``.

        Parameters
        ----------
        products : `~astropy.table.Table`
            A product list.
        mrp_only : bool, optional
            Only "Minimum Recommended Products".
        extension : str or list of str, optional
            File name endings, e.g. ``"fits"`` or ``["_drz.fits", "jpg"]``.
        **filters
            Column -> value(s): a list means OR, ``"!x"`` excludes ``x``, columns are
            AND-ed; numeric columns take ``size="<1000"``, ``calib_level=[">2"]``,
            ``size="100..2000"``.

        Returns
        -------
        `~astropy.table.Table`

        Raises
        ------
        InvalidQueryError
            For an unknown column (the message lists the columns) or a bad numeric filter.

        Examples
        --------
        >>> from astropy.table import Table
        >>> from mastq.observations import Observations
        >>> products = Table({"productType": ["SCIENCE", "PREVIEW"], "size": [10, 2000]})
        >>> Observations.filter_products(products, size="<1000")["productType"].tolist()
        ['SCIENCE']
        """
        return products[
            filter_mask(products, mrp_only=mrp_only, extension=extension, filters=filters)
        ]

    def download_products(
        self,
        products,
        *,
        download_dir=None,
        flat=False,
        cache=True,
        curl_flag=False,
        mrp_only=False,
        cloud_only=False,
        verbose=True,
        connections=None,
        progress=None,
        raise_on_error=False,
        **filters,
    ):
        """
        Download products: verified, in parallel, resumable, local files first.

        Parameters
        ----------
        products : `~astropy.table.Table`, `~astropy.table.Row`, str or list
            A product list (see `get_product_list`), or obsids to list products of.
        download_dir : str or path, optional
            Folder to write into (default the current one); nothing is written outside it.
        flat : bool, optional
            All files directly in ``download_dir``; default
            ``download_dir/mastDownload/<obs_collection>/<obs_id>/``.
        cache : bool, optional
            Keep files already present and verified (no request for them).
        curl_flag : bool, optional
            Write the server's curl script instead of the files.
        mrp_only : bool, optional
            Only "Minimum Recommended Products".
        cloud_only : bool, optional
            astroquery's; without cloud access enabled it has no effect (as there).
        verbose : bool, optional
            ``False`` turns the progress bar off.
        connections : int, optional
            Files transferred at once; default `mastq.conf.download_connections`.
        progress : bool, optional
            Show the progress bar; default: when ``verbose`` and stderr is a terminal.
        raise_on_error : bool, optional
            Raise `DownloadError` when a file fails, instead of warning.
        **filters
            Column filters and ``extension``, as in `filter_products`.

        Returns
        -------
        `~astropy.table.Table` or None
            The manifest: ``Local Path``, ``Status`` (COMPLETE, SKIPPED or ERROR),
            ``Message``, ``URL`` then ``Size``, ``SHA256``, ``Fetched`` (bytes moved by this
            call); None when no product is left to download.

        Raises
        ------
        DownloadError
            If the files need more than the free disk space, or a file fails with
            ``raise_on_error=True``.
        AuthenticationError
            With ``raise_on_error=True``, when a file needs a token.

        Examples
        --------
        >>> import tempfile
        >>> from mastq import Observations
        >>> observations = Observations.query_object("M101", radius=0.02)
        >>> products = Observations.get_product_list(observations[:1])
        >>> manifest = Observations.download_products(products, download_dir=tempfile.mkdtemp(),
        ...                                           productType="SCIENCE", extension="fits")
        >>> manifest["Status"].tolist()
        ['COMPLETE']
        """
        products = self._as_products(products)
        products = self.filter_products(
            products, mrp_only=mrp_only, extension=filters.pop("extension", None), **filters
        )
        products = unique_products(products)
        if len(products) == 0:
            warn_user("No products to download.", NoResultsWarning)
            return None
        root = Path(download_dir or ".")
        if curl_flag:
            if flat:
                warn_user("flat=True has no effect on curl downloads.")
            table = self._curl_script(products, root)
            table["Local Path"] = [_shown_path(table["Local Path"][0], root, download_dir)]
            return table
        plan = download_plan(products, root, flat=flat)
        progress = progress if progress is not None else (None if verbose else False)
        outcomes = Downloader(
            connections=connections, progress=progress, auth=self._login.auth
        ).run(plan, cache=cache)
        table = manifest(plan, outcomes)
        table["Local Path"] = [
            _shown_path(path, root, download_dir) for path in table["Local Path"]
        ]
        return _report(table, outcomes, raise_on_error)

    def download_file(
        self,
        uri,
        *,
        local_path=None,
        base_url=None,
        cache=True,
        cloud_only=False,
        verbose=True,
        progress=None,
    ):
        """
        Download one file by its ``dataURI``, as astroquery's ``download_file``.

        Parameters
        ----------
        uri : str
            e.g. ``mast:HST/product/u9o40504m_c3m.fits``.
        local_path : str or path, optional
            A file name, or a folder (no suffix) to put the file in; default the file's
            name in the current folder.
        base_url : str, optional
            The download endpoint; default ``<mastq.conf.server>/api/v0.1/Download/file``.
        cache : bool, optional
            Keep a file mastq already verified there (no request).
        cloud_only, verbose
            As in `download_products`.
        progress : bool, optional
            As in `download_products`.

        Returns
        -------
        status : str
            COMPLETE or ERROR.
        msg : str or None
            Why it failed.
        url : str or None
            The URL, when it failed.

        Examples
        --------
        >>> import tempfile
        >>> from mastq import Observations
        >>> uri = "mast:JWST/product/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits"
        >>> Observations.download_file(uri, local_path=tempfile.mkdtemp())
        ('COMPLETE', None, None)
        """
        if not isinstance(uri, str) or not uri.strip():
            raise InvalidQueryError(
                f"uri must be a MAST dataURI such as 'mast:HST/product/x.fits', got {uri!r}"
            )
        path = file_path(uri, local_path)
        url = file_url(uri, base_url)
        progress = progress if progress is not None else (None if verbose else False)
        (outcome,) = Downloader(connections=1, progress=progress, auth=self._login.auth).run(
            [Transfer(url, path)], cache=cache
        )
        if outcome.status == "ERROR":
            return outcome.status, outcome.message, url
        return outcome.status, None, None

    def _as_products(self, products):
        if isinstance(products, Row):
            return Table(products, masked=True)
        if isinstance(products, Table):
            return products
        return self.get_product_list(products)

    def _curl_script(self, products, root):
        settings = Settings.current()
        url = settings.server + "/api/v0.1/Download/bundle.sh"
        path = root / ("mastDownload_" + time.strftime("%Y%m%d%H%M%S") + ".sh")
        status, message = "COMPLETE", None
        try:
            response = requests.post(
                url,
                data=[("uri", str(u)) for u in products["dataURI"]],
                auth=self._login.auth,
                timeout=(settings.connect_timeout, settings.timeout),
            )
            response.raise_for_status()
            root.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            part.write_bytes(response.content)
            os.replace(part, path)
        except (requests.RequestException, OSError) as exc:
            status, message = "ERROR", f"Curl could not be downloaded: {type(exc).__name__}"
        return Table(
            {
                "Local Path": [str(path)],
                "Status": [status],
                "Message": MaskedColumn([message or ""], mask=[message is None]),
            }
        )

    def get_cloud_uris(
        self,
        data_products,
        *,
        include_bucket=True,
        full_url=False,
        mrp_only=False,
        extension=None,
        filter_products=None,
        return_uri_map=False,
        verbose=True,
    ):
        """
        The public-cloud (``stpubdata``) URIs of products, through MAST's ``path_lookup``.

        Needs no cloud library: the URIs are plain text (reading the files from S3 is
        left to the user's own tools, e.g. boto3 or s3fs).

        Parameters
        ----------
        data_products : `~astropy.table.Table` or list of str
            A product list (filtered first) or ``dataURI`` values.
        include_bucket : bool, optional
            ``s3://stpubdata/<path>``; False gives the path alone.
        full_url : bool, optional
            ``http://s3.amazonaws.com/stpubdata/<path>`` (with ``include_bucket=False``).
        mrp_only, extension, filter_products
            Filters of a product table, as in `filter_products`.
        return_uri_map : bool, optional
            Return ``{dataURI: cloud URI or None}`` instead of a list.
        verbose : bool, optional
            Warn about products that have no cloud copy.

        Returns
        -------
        list of str or dict
            Products without a cloud copy are left out of the list (None in the map).

        Examples
        --------
        >>> from mastq import Observations
        >>> observations = Observations.query_object("M101", radius=0.02)
        >>> Observations.get_cloud_uris(Observations.get_product_list(observations[:1]))
        ['s3://stpubdata/jwst/public/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits',
         's3://stpubdata/jwst/public/jw01024-o495_t878_niriss_clear-gr700xd_i2d.jpg']
        """
        if isinstance(data_products, Table):
            data_products = self.filter_products(
                data_products, mrp_only=mrp_only, extension=extension, **(filter_products or {})
            )
            data_products = [str(u) for u in data_products["dataURI"]]
        uris = list(dict.fromkeys(str(u) for u in np.atleast_1d(data_products)))
        if not uris:
            warn_user("No matching products to fetch associated cloud URIs.", NoResultsWarning)
            return None
        paths = cloud_paths(uris)
        found = {uri: _cloud_uri(path, include_bucket, full_url) for uri, path in paths.items()}
        missing = [uri for uri, path in found.items() if path is None]
        if missing and verbose:
            warn_user(
                f"{len(missing)} product(s) have no public cloud copy, e.g. {missing[0]}",
                NoResultsWarning,
            )
        if return_uri_map:
            return found
        return [path for path in found.values() if path is not None]


def _shown_path(path, root, download_dir):
    """A manifest's ``Local Path`` as astroquery writes it (``./mastDownload/...`` by default)."""
    return os.path.join(str(download_dir or "."), os.path.relpath(path, root))


def _report(table, outcomes, raise_on_error):
    failed = table[table["Status"] == "ERROR"]
    if len(failed):
        summary = (
            f"{len(failed)} of {len(table)} file(s) failed to download, e.g. "
            f"{Path(failed['Local Path'][0]).name}: {failed['Message'][0]} "
            f"(see the manifest's Status and Message)"
        )
        if raise_on_error and any(o.needs_token for o in outcomes):
            raise AuthenticationError(summary)
        if raise_on_error:
            raise DownloadError(summary)
        warn_user(summary)
    return table


def cloud_paths(uris):
    """
    ``{dataURI: bucket path or None}`` from MAST's ``path_lookup``, 50 URIs a request.

    Parameters
    ----------
    uris : list of str

    Returns
    -------
    dict

    Examples
    --------
    >>> uri = "mast:JWST/product/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits"
    >>> cloud_paths([uri])[uri]
    '/jwst/public/jw01024-o495_t878_niriss_clear-gr700xd_i2d.fits'
    """
    settings = Settings.current()
    url = settings.server + "/api/v0.1/path_lookup/"
    found = {}
    with requests.Session() as session:
        for start in range(0, len(uris), 50):
            chunk = uris[start : start + 50]
            response = session.post(
                url,
                data=[("uri", u) for u in chunk],
                timeout=(settings.connect_timeout, settings.timeout),
            )
            response.raise_for_status()
            answer = response.json()
            found.update({u: (answer.get(u) or {}).get("path") for u in chunk})
    return found


def _cloud_uri(path, include_bucket, full_url):
    if path is None:
        return None
    path = path.lstrip("/")
    if include_bucket:
        return f"s3://{CLOUD_BUCKET}/{path}"
    if full_url:
        return f"http://s3.amazonaws.com/{CLOUD_BUCKET}/{path}"
    return path
