"""
The file side of the local MAST: one file, bundle scripts, token check and cloud path lookup.

``GET|HEAD /api/v0.1/Download/file?uri=mast:...`` answers the file with ``Content-Length``,
``Accept-Ranges: bytes`` (a ``Range`` header gets ``206 Partial Content`` with
``Content-Range``), ``Content-Disposition`` and two checksums of the *whole* file:
``Content-MD5`` (base64 of the MD5 digest, RFC 1864) and ``X-Checksum-SHA256`` (hex).
Unknown URIs answer 404; proprietary files answer 401 unless a token the server accepts is
sent as the ``mast_token`` cookie or an ``Authorization: token <T>`` (or ``Bearer <T>``) header.
"""

import base64
import hashlib
import time
from urllib.parse import quote

import orjson
from werkzeug.wrappers import Response

__all__ = ["request_token", "file_response", "bundle_response", "whoami_response",
           "path_lookup_response"]

DOWNLOAD_PATH = "api/v0.1/Download/file"


def _text(message, status):
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain")


def _json(document, status=200):
    return Response(orjson.dumps(document), status=status, mimetype="application/json")


def request_token(request):
    """
    The MAST token a request carries, or None.

    Parameters
    ----------
    request : werkzeug Request

    Returns
    -------
    str or None
        From the ``mast_token`` cookie, else from ``Authorization: token <T>`` /
        ``Bearer <T>``.
    """
    token = request.cookies.get("mast_token")
    if token:
        return token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


def _checksums(content):
    md5 = base64.b64encode(hashlib.md5(content).digest()).decode()  # noqa: S324 (RFC 1864)
    return md5, hashlib.sha256(content).hexdigest()


def file_response(request, archive, *, tokens):
    """
    Answer ``/api/v0.1/Download/file`` (GET or HEAD).

    Parameters
    ----------
    request : werkzeug Request
    archive : Archive
        Has ``product_file(uri) -> ProductFile | None``.
    tokens : collection of str
        Tokens accepted for proprietary files.

    Returns
    -------
    werkzeug Response
        200/206 with the bytes, 400 without ``uri``, 401, 404 or 416.
    """
    uri = request.args.get("uri")
    if not uri:
        return _text("missing 'uri' argument: expected uri=mast:<MISSION>/product/<file>", 400)
    product = archive.product_file(uri)
    if product is None:
        return _text(f"file not found: {uri}", 404)
    if product.proprietary and request_token(request) not in tokens:
        return _text(f"{uri} is proprietary: send a valid MAST token (mast_token cookie or "
                     "'Authorization: token <T>')", 401)
    md5, sha256 = _checksums(product.content)
    response = Response(product.content, mimetype=product.content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{product.filename}"'
    response.headers["Content-MD5"] = md5
    response.headers["X-Checksum-SHA256"] = sha256
    return response.make_conditional(request, accept_ranges=True,
                                     complete_length=len(product.content))


def _local_name(uri, filename):
    mission = uri.partition(":")[2].split("/", 1)[0] or "MAST"
    stem = filename.split("_", 1)[0] if "_" in filename else filename.rsplit(".", 1)[0]
    return f"mastDownload/{mission}/{stem}/{filename}"


def _bundle_lines(uris, archive, base_url):
    for uri in uris:
        product = archive.product_file(uri)
        if product is None:
            yield f"# {uri}: file not found"
            continue
        url = f"{base_url}{DOWNLOAD_PATH}?uri={quote(uri, safe=':/')}"
        yield (f"curl --globoff --location-trusted -f --progress-bar --create-dirs "
               f"--output '{_local_name(uri, product.filename)}' '{url}'")


def bundle_response(request, archive, *, base_url):
    """
    Answer ``/api/v0.1/Download/bundle.sh``: a shell script of curl lines back to this server.

    Parameters
    ----------
    request : werkzeug Request
        ``uri`` repeated in the form (POST) or query string (GET).
    archive : Archive
    base_url : str
        Root URL of this server, ending with ``/``.

    Returns
    -------
    werkzeug Response
    """
    uris = request.form.getlist("uri") + request.args.getlist("uri")
    if not uris:
        return _text("missing 'uri' argument: expected one uri=mast:... per file", 400)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    lines = ["#!/bin/sh", "#", f"# Requested from the local MAST on {stamp} UTC",
             f"# {len(uris)} file(s)", "#", *_bundle_lines(uris, archive, base_url), ""]
    response = Response("\n".join(lines), mimetype="text/x-sh")
    response.headers["Content-Disposition"] = 'attachment; filename="mastDownload.sh"'
    return response


def whoami_response(request, *, tokens):
    """
    Answer ``/whoami``: who the request's token belongs to (``anon: true`` when none/invalid).

    Parameters
    ----------
    request : werkzeug Request
    tokens : collection of str

    Returns
    -------
    werkzeug Response
    """
    token = request_token(request)
    if token is None or token not in tokens:
        return _json({"anon": True, "ezid": "anonymous", "eppn": None, "attrib": {},
                      "scopes": [], "session": None, "token": None})
    return _json({"anon": False, "ezid": "mastq", "eppn": "mastq@localhost",
                  "attrib": {"display_name": "Local MAST user", "first_name": "Local",
                             "last_name": "User", "email": "mastq@localhost"},
                  "scopes": ["mast:user:info", "mast:exclusive_access"], "session": None,
                  "token": token[:8] + "..."})


def _cloud_path(uri, product):
    mission = uri.partition(":")[2].split("/", 1)[0].lower()
    name = product.filename
    if mission == "hst":
        obs = name.split("_", 1)[0]
        return f"/hst/public/{obs[:4]}/{obs}/{name}"
    return f"/{mission}/public/{name}"


def path_lookup_response(request, archive):
    """
    Answer ``/api/v0.1/path_lookup/``: the public-bucket path of each ``uri`` asked for.

    Unknown and proprietary files answer ``{"status_code": 404, "path": null}``, as the
    recording ``mast_relative_path.json`` shows for a missing file.

    Parameters
    ----------
    request : werkzeug Request
    archive : Archive

    Returns
    -------
    werkzeug Response
    """
    uris = request.args.getlist("uri") + request.form.getlist("uri")
    if not uris:
        return _text("missing 'uri' argument: expected one uri=mast:... per file", 400)
    answer = {}
    for uri in uris:
        product = archive.product_file(uri)
        if product is None or product.proprietary:
            answer[uri] = {"status_code": 404, "path": None}
        else:
            answer[uri] = {"status_code": 200, "path": _cloud_path(uri, product)}
    return _json(answer)
