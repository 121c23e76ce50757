"""
Pointing other MAST clients at a local MAST, so that their pipelines run offline too.

astroquery.mast freezes MAST's URLs into attributes of its query objects;
`point_astroquery` rewrites them (on the instance given) to a local MAST's.
"""

__all__ = ["point_astroquery"]


def point_astroquery(query, url):
    """
    Point an astroquery.mast query object (Observations, Catalogs, Mast) at ``url``.

    Parameters
    ----------
    query : astroquery.mast.ObservationsClass, CatalogsClass or MastClass
        Changed in place: its portal and service connections get ``url``'s endpoints.
    url : str
        Root URL of a local MAST, e.g. from `mastq.emulator.running`.

    Returns
    -------
    object
        ``query`` itself.

    Examples
    --------
    >>> from astroquery.mast import ObservationsClass
    >>> query = point_astroquery(ObservationsClass(), "http://127.0.0.1:8080")
    >>> query._portal_api_connection.MAST_REQUEST_URL
    'http://127.0.0.1:8080/api/v0/invoke'
    """
    url = url.rstrip("/")
    portal = query._portal_api_connection
    portal.MAST_REQUEST_URL = url + "/api/v0/invoke"
    portal.COLUMNS_CONFIG_URL = url + "/portal/Mashup/Mashup.asmx/columnsconfig"
    portal.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
    portal.MAST_BUNDLE_URL = url + "/api/v0.1/Download/bundle"
    service = query._service_api_connection
    service.SERVICE_URL = url
    service.REQUEST_URL = url + "/api/v0.1/"
    service.MAST_DOWNLOAD_URL = url + "/api/v0.1/Download/file"
    return query
