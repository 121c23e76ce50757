"""
A local MAST over a small archive of files, behind a recorder that keeps every request.

Used by the download tests and the download benchmark: the recorder sees what the server
saw (method, path, ``Range`` and ``Cookie`` headers), so "zero requests", "resumed with
Range" and "no token after a redirect" are checked on the server side.
"""

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass

from astropy.table import Table
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.serving import make_server
from werkzeug.utils import redirect
from werkzeug.wrappers import Request

from mastq.emulator import make_app


@dataclass(frozen=True)
class File:
    uri: str
    filename: str
    content: bytes
    proprietary: bool = False
    content_type: str = "application/fits"


def make_files(n, size, *, collection="HST", proprietary=()):
    """``n`` files of ``size`` bytes (distinct contents), ``{uri: File}``."""
    files = {}
    for i in range(n):
        name = f"f{i:04d}_raw.fits"
        seed = hashlib.sha256(str(i).encode()).digest()
        uri = f"mast:{collection}/product/{name}"
        files[uri] = File(uri, name, (seed * (size // 32 + 1))[:size], i in proprietary)
    return files


class FileArchive:
    """Serves ``files``; ``fail[uri] = k`` answers the first k requests of uri with
    ``failure()`` (503 by default)."""

    def __init__(self, files):
        self.files = dict(files)
        self.fail = Counter()
        self.failure = ServiceUnavailable

    def product_file(self, uri):
        if self.fail[uri] > 0:
            self.fail[uri] -= 1
            raise self.failure()
        return self.files.get(uri)

    def products(self, *, obs_id="OBS1"):
        """A product table of every file (astroquery's download columns)."""
        files = list(self.files.values())
        return Table(
            {
                "obsID": ["1"] * len(files),
                "obs_collection": ["HST"] * len(files),
                "obs_id": [obs_id] * len(files),
                "dataURI": [f.uri for f in files],
                "productFilename": [f.filename for f in files],
                "productGroupDescription": ["Minimum Recommended Products"] * len(files),
                "size": [len(f.content) for f in files],
            }
        )


class Recorder:
    """WSGI middleware recording requests; ``/redirect?to=URL`` answers 302 to URL."""

    def __init__(self, app):
        self.app = app
        self.log = []
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self.log.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "uri": request.args.get("uri"),
                    "range": request.headers.get("Range"),
                    "cookie": request.headers.get("Cookie"),
                }
            )
        if request.path == "/redirect":
            return redirect(request.args["to"], 302)(environ, start_response)
        return self.app(environ, start_response)

    def files(self):
        return [e for e in self.log if e["path"].endswith("/Download/file")]


class FileMast:
    """A started local MAST over ``archive`` (``url``, ``recorder``); stop() when done."""

    def __init__(self, archive, *, host="127.0.0.1", **overrides):
        from tests.conftest import synth_columns_config, synth_run_service

        self.archive = archive
        self.recorder = Recorder(
            make_app(
                archive=archive,
                run_service=synth_run_service,
                columns_config=synth_columns_config,
                **overrides,
            )
        )
        self._server = make_server(host, 0, self.recorder, threaded=True)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
