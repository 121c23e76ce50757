"""
The file side of the local MAST: one file, bundle scripts, token check and cloud path lookup.

``GET|HEAD /api/v0.1/Download/file?uri=mast:...`` answers the file with ``Content-Length``,
``Accept-Ranges: bytes`` (a ``Range`` header gets ``206 Partial Content`` with
``Content-Range``; several ranges get one ``multipart/byteranges`` body, per RFC 9110),
``Content-Disposition`` and two checksums of the *whole* file:
``Content-MD5`` (base64 of the MD5 digest, RFC 1864) and ``X-Checksum-SHA256`` (hex).
Unknown URIs answer 404; proprietary files answer 401 unless a token the server accepts is
sent as the ``mast_token`` cookie or an ``Authorization: token <T>`` (or ``Bearer <T>``) header.
"""

import base64
import hashlib
import re
import secrets
import shlex
import time
from urllib.parse import quote

import orjson
from werkzeug.wrappers import Response

__all__ = [
    "request_token",
    "file_response",
    "bundle_response",
    "whoami_response",
    "path_lookup_response",
    "bad_uri",
]

DOWNLOAD_PATH = "api/v0.1/Download/file"
MAX_URI_LENGTH = 1024
MAX_RANGES = 16
_RANGE_SPEC = re.compile(r"(\d{0,18})-(\d{0,18})")
"""Most ranges of one ``Range`` header answered part by part (more: the whole file)."""
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[!#-&(-~]+")  # printable ASCII but ' " and blanks


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
        return _text(
            f"{uri} is proprietary: send a valid MAST token (mast_token cookie or "
            "'Authorization: token <T>')",
            401,
        )
    spans = _multi_range(request, len(product.content))
    if spans is not None:
        response = _ranges_response(product, spans)
    else:
        response = Response(product.content, mimetype=product.content_type)
    md5, sha256 = _checksums(product.content)
    response.headers["Content-Disposition"] = f'attachment; filename="{product.filename}"'
    response.headers["Content-MD5"] = md5
    response.headers["X-Checksum-SHA256"] = sha256
    if spans is not None:
        response.headers["Accept-Ranges"] = "bytes"
        return response
    return response.make_conditional(
        request, accept_ranges=True, complete_length=len(product.content)
    )


def _multi_range(request, length):
    """
    The spans of a satisfiable multi-range ``Range`` header, in the order asked for.

    Returns None when werkzeug's single-range handling applies (no ``Range``, one range,
    an ``If-Range``, or a malformed header).  Returns ``[]`` when no range is satisfiable
    (416), and ``[(0, length)]`` (the whole file, 200) for overlapping ranges or more
    than `MAX_RANGES` of them, as RFC 9110 (section 14.2) lets a server do.
    """
    header = request.headers.get("Range")
    if not header or "If-Range" in request.headers:
        return None
    ranges = _byte_ranges(header)
    if ranges is None or len(ranges) < 2:
        return None
    spans = []
    for first, last in ranges:
        if first is None:  # suffix range "-N": the last N bytes
            start, stop = max(0, length - last), length
        else:
            start, stop = first, length if last is None else min(last + 1, length)
        if start < stop:
            spans.append((start, stop))
    ordered = sorted(spans)
    overlap = any(b[0] < a[1] for a, b in zip(ordered, ordered[1:], strict=False))
    if overlap or len(spans) > MAX_RANGES:
        return [(0, length)]
    return spans


def _byte_ranges(header):
    """
    The ``(first, last)`` positions of a ``bytes=`` Range header, in its order, or None.

    ``last`` is None for ``first-``; ``first`` is None for a suffix ``-N`` (``last`` is N).
    Unlike werkzeug's parser, overlapping and unordered ranges are kept (RFC 9110 allows
    them; the caller decides).
    """
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    ranges = []
    for spec in specs.split(","):
        match = _RANGE_SPEC.fullmatch(spec.strip())
        if match is None:
            return None
        first, last = (None if g == "" else int(g) for g in match.groups())
        if (first is None and last is None) or (None not in (first, last) and last < first):
            return None
        ranges.append((first, last))
    return ranges


def _ranges_response(product, spans):
    """206 for one or several spans (multipart/byteranges), 200 whole, 416 for none."""
    content, length = product.content, len(product.content)
    if not spans:
        return Response(
            f"no satisfiable range in a file of {length} bytes\n",
            status=416,
            mimetype="text/plain",
            headers={"Content-Range": f"bytes */{length}"},
        )
    if spans == [(0, length)]:
        return Response(content, mimetype=product.content_type)
    if len(spans) == 1:
        ((start, stop),) = spans
        return Response(
            content[start:stop],
            status=206,
            mimetype=product.content_type,
            headers={"Content-Range": f"bytes {start}-{stop - 1}/{length}"},
        )
    boundary = secrets.token_hex(16)
    parts = []
    for start, stop in spans:
        head = (
            f"--{boundary}\r\nContent-Type: {product.content_type}\r\n"
            f"Content-Range: bytes {start}-{stop - 1}/{length}\r\n\r\n"
        )
        parts += [head.encode(), content[start:stop], b"\r\n"]
    parts.append(f"--{boundary}--\r\n".encode())
    return Response(
        b"".join(parts), status=206, content_type=f"multipart/byteranges; boundary={boundary}"
    )


def _local_name(uri, filename):
    mission = uri.partition(":")[2].split("/", 1)[0] or "MAST"
    stem = filename.split("_", 1)[0] if "_" in filename else filename.rsplit(".", 1)[0]
    return f"mastDownload/{mission}/{stem}/{filename}"


def bad_uri(uri):
    """
    Say what is wrong with a product URI, or return None when it is well formed.

    A URI is ``scheme:path`` of printable ASCII without blanks (``mast:HST/product/x.fits``),
    at most `MAX_URI_LENGTH` characters.  Anything else (a newline, a quote, a control
    character) is refused before it could reach a shell script.

    Parameters
    ----------
    uri : str

    Returns
    -------
    str or None
    """
    if len(uri) > MAX_URI_LENGTH:
        return f"is longer than {MAX_URI_LENGTH} characters"
    if not _URI.fullmatch(uri):
        return "is not a product URI (scheme:path, printable characters, no blanks or quotes)"
    return None


def _bundle_lines(uris, archive, base_url):
    for uri in uris:
        product = archive.product_file(uri)
        if product is None:
            yield f"# {uri}: file not found"  # validated: no newline can end the comment
            continue
        url = f"{base_url}{DOWNLOAD_PATH}?uri={quote(uri, safe=':/')}"
        output = shlex.quote(_local_name(uri, product.filename))
        yield (
            f"curl --globoff --location-trusted -f --progress-bar --create-dirs "
            f"--output {output} {shlex.quote(url)}"
        )


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
        The script, or 400 without ``uri`` or with a malformed one (see `bad_uri`).
    """
    uris = request.form.getlist("uri") + request.args.getlist("uri")
    if not uris:
        return _text("missing 'uri' argument: expected one uri=mast:... per file", 400)
    for uri in uris:
        problem = bad_uri(uri)
        if problem:
            return _text(f"bad 'uri' argument {uri!r}: {problem}", 400)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    lines = [
        "#!/bin/sh",
        "#",
        f"# Requested from the local MAST on {stamp} UTC",
        f"# {len(uris)} file(s)",
        "#",
        *_bundle_lines(uris, archive, base_url),
        "",
    ]
    response = Response("\n".join(lines), mimetype="text/x-sh")
    response.headers["Content-Disposition"] = 'attachment; filename="mastDownload.sh"'
    return response


def whoami_response(request, *, tokens):
    """
    Answer ``/whoami``: who the request's token belongs to (``anon: true`` when none/invalid).

    The answer never carries the token, nor any part of it: a shared server's log or a
    proxy must not learn a secret from it.

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
        return _json(
            {
                "anon": True,
                "ezid": "anonymous",
                "eppn": None,
                "attrib": {},
                "scopes": [],
                "session": None,
            }
        )
    return _json(
        {
            "anon": False,
            "ezid": "mastq",
            "eppn": "mastq@localhost",
            "attrib": {
                "display_name": "Local MAST user",
                "first_name": "Local",
                "last_name": "User",
                "email": "mastq@localhost",
            },
            "scopes": ["mast:user:info", "mast:exclusive_access"],
            "session": None,
        }
    )


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
