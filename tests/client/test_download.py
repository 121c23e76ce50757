"""Downloads from a local MAST: parallel, verified, resumable, local-first, safe paths."""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from werkzeug.exceptions import TooManyRequests

import mastq
from mastq.download import SIDECAR
from mastq.emulator.config import DEFAULT_TOKEN
from mastq.exceptions import AuthenticationError, DownloadError, MastqWarning, NoResultsWarning
from mastq.observations import ObservationsClass
from tests.client.filemast import FileArchive, FileMast, make_files

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def file_mast():
    """Factory ``file_mast(files, **overrides) -> FileMast``, conf pointed at the first one."""
    started = []

    def start(files, **overrides):
        server = FileMast(FileArchive(files), **overrides)
        started.append(server)
        return server

    with mastq.conf.set_temp("retry_backoff", 0.01), mastq.conf.set_temp("cache", False):
        yield start
    for server in started:
        server.stop()


def _download(server, products, folder, **options):
    with mastq.conf.set_temp("server", server.url):
        return ObservationsClass().download_products(
            products, download_dir=folder, progress=False, **options
        )


def _local(folder, name):
    return Path(folder, "mastDownload", "HST", "OBS1", name)


def test_parallel_download_writes_verified_files(file_mast, tmp_path):
    server = file_mast(make_files(12, 50_000))
    manifest = _download(server, server.archive.products(), tmp_path, connections=4)
    assert manifest.colnames[:4] == ["Local Path", "Status", "Message", "URL"]
    assert list(manifest["Status"]) == ["COMPLETE"] * 12
    assert all(manifest["Fetched"]) and manifest["Message"].mask.all()
    for f in server.archive.files.values():
        assert _local(tmp_path, f.filename).read_bytes() == f.content
    assert not list(tmp_path.rglob("*.part"))
    assert {e["method"] for e in server.recorder.log} == {"GET"}  # no HEAD per file
    assert len(server.recorder.files()) == 12


def test_rerun_costs_zero_requests_and_refetches_a_wrong_size(file_mast, tmp_path):
    server = file_mast(make_files(5, 10_000))
    products = server.archive.products()
    _download(server, products, tmp_path)
    before = len(server.recorder.log)
    again = _download(server, products, tmp_path)
    assert len(server.recorder.log) == before
    assert list(again["Status"]) == ["COMPLETE"] * 5 and not any(again["Fetched"])
    assert not again["SHA256"].mask.any()  # known from the record, not re-hashed
    victim = _local(tmp_path, "f0002_raw.fits")
    victim.write_bytes(b"short")
    third = _download(server, products, tmp_path)
    assert [e["uri"] for e in server.recorder.log[before:]] == ["mast:HST/product/f0002_raw.fits"]
    assert list(third["Fetched"]) == [False, False, True, False, False]
    assert victim.read_bytes() == server.archive.files[products["dataURI"][2]].content


def test_cache_false_fetches_again(file_mast, tmp_path):
    server = file_mast(make_files(2, 1000))
    _download(server, server.archive.products(), tmp_path)
    _download(server, server.archive.products(), tmp_path, cache=False)
    assert len(server.recorder.files()) == 4


def test_partial_file_resumes_with_range(file_mast, tmp_path):
    files = make_files(1, 100_000)
    server = file_mast(files)
    content = next(iter(files.values())).content
    part = _local(tmp_path, "f0000_raw.fits.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(content[:40_000])
    manifest = _download(server, server.archive.products(), tmp_path)
    assert manifest["Status"][0] == "COMPLETE"
    assert [e["range"] for e in server.recorder.files()] == ["bytes=40000-"]
    assert _local(tmp_path, "f0000_raw.fits").read_bytes() == content
    assert not part.exists()


def test_corrupt_partial_file_fails_checksum_and_is_fetched_anew(file_mast, tmp_path):
    files = make_files(1, 100_000)
    server = file_mast(files)
    content = next(iter(files.values())).content
    part = _local(tmp_path, "f0000_raw.fits.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * 40_000)
    manifest = _download(server, server.archive.products(), tmp_path)
    assert manifest["Status"][0] == "COMPLETE"
    assert [e["range"] for e in server.recorder.files()] == ["bytes=40000-", None]
    assert _local(tmp_path, "f0000_raw.fits").read_bytes() == content


def test_truncated_bodies_are_resumed_until_complete(file_mast, tmp_path):
    server = file_mast(make_files(3, 200_000), p_truncate=0.6, seed=3)
    with mastq.conf.set_temp("retries", 30):
        manifest = _download(server, server.archive.products(), tmp_path, connections=1)
    assert list(manifest["Status"]) == ["COMPLETE"] * 3
    assert any(e["range"] for e in server.recorder.files())
    for f in server.archive.files.values():
        assert _local(tmp_path, f.filename).read_bytes() == f.content


def test_always_truncated_body_is_an_error_and_leaves_no_final_file(file_mast, tmp_path):
    server = file_mast(make_files(1, 200_000), p_truncate=1.0)
    with mastq.conf.set_temp("retries", 1), pytest.warns(MastqWarning, match="1 of 1 file"):
        manifest = _download(server, server.archive.products(), tmp_path)
    assert manifest["Status"][0] == "ERROR" and "truncated" in manifest["Message"][0]
    assert manifest["URL"][0].startswith(server.url)
    assert not _local(tmp_path, "f0000_raw.fits").exists()


def test_503_then_success(file_mast, tmp_path):
    server = file_mast(make_files(2, 5000))
    for uri in server.archive.files:
        server.archive.fail[uri] = 2
    manifest = _download(server, server.archive.products(), tmp_path)
    assert list(manifest["Status"]) == ["COMPLETE"] * 2
    assert len(server.recorder.files()) == 6


def test_429_waits_for_retry_after_then_succeeds(file_mast, tmp_path):
    server = file_mast(make_files(1, 5000))
    server.archive.failure = lambda: TooManyRequests(retry_after=1)
    server.archive.fail[next(iter(server.archive.files))] = 1
    started = time.monotonic()
    manifest = _download(server, server.archive.products(), tmp_path)
    assert manifest["Status"][0] == "COMPLETE" and len(server.recorder.files()) == 2
    assert time.monotonic() - started >= 1.0  # the pause the server asked for


def test_raise_on_error_raises_download_error(file_mast, tmp_path):
    server = file_mast(make_files(1, 5000))
    server.archive.fail[next(iter(server.archive.files))] = 99
    with mastq.conf.set_temp("retries", 1), pytest.raises(DownloadError, match="1 of 1"):
        _download(server, server.archive.products(), tmp_path, raise_on_error=True)


def test_proprietary_needs_a_token_and_downloads_with_it(file_mast, tmp_path):
    server = file_mast(make_files(2, 5000, proprietary={1}))
    products = server.archive.products()
    with pytest.warns(MastqWarning, match="needs a valid MAST token"):
        manifest = _download(server, products, tmp_path)
    assert list(manifest["Status"]) == ["COMPLETE", "ERROR"]
    assert not _local(tmp_path, "f0001_raw.fits").exists()
    with pytest.raises(AuthenticationError, match="needs a valid MAST token"):
        _download(server, products, tmp_path, raise_on_error=True)
    with mastq.conf.set_temp("server", server.url):
        obs = ObservationsClass(mast_token=DEFAULT_TOKEN)
        manifest = obs.download_products(products, download_dir=tmp_path, progress=False)
    assert list(manifest["Status"]) == ["COMPLETE", "COMPLETE"]
    cookies = [e["cookie"] for e in server.recorder.files()]
    assert cookies[-1] == f"mast_token={DEFAULT_TOKEN}"
    assert DEFAULT_TOKEN not in repr(obs._login) and DEFAULT_TOKEN not in str(manifest)


def test_redirect_to_another_host_drops_the_token(file_mast, tmp_path):
    files = make_files(1, 5000)
    mast = file_mast(files)
    elsewhere = FileMast(mast.archive, host="localhost")
    try:
        uri = next(iter(files))
        target = f"{elsewhere.url}/api/v0.1/Download/file"
        with mastq.conf.set_temp("server", mast.url):
            obs = ObservationsClass(mast_token=DEFAULT_TOKEN)
            status, msg, _ = obs.download_file(
                uri,
                local_path=tmp_path / "f.fits",
                progress=False,
                base_url=f"{mast.url}/redirect?to={target}",
            )
        assert (status, msg) == ("COMPLETE", None)
        assert mast.recorder.log[-1]["cookie"] == f"mast_token={DEFAULT_TOKEN}"
        assert elsewhere.recorder.files()[0]["cookie"] is None
    finally:
        elsewhere.stop()


def test_hostile_names_stay_inside_the_download_folder(file_mast, tmp_path):
    server = file_mast(make_files(3, 1000))
    products = server.archive.products()
    products["productFilename"] = ["../../evil1.fits", "/tmp/evil2.fits", "..\\evil3.fits"]
    products["obs_id"] = ["../..", "/etc", "ok"]
    folder = tmp_path / "dl"
    manifest = _download(server, products, folder)
    assert list(manifest["Status"]) == ["COMPLETE"] * 3
    written = sorted(p.name for p in tmp_path.rglob("evil*"))
    assert written == ["evil1.fits", "evil2.fits", "evil3.fits"]
    assert all(Path(p).resolve().is_relative_to(folder.resolve()) for p in manifest["Local Path"])
    products["productFilename"][0] = ".."
    with pytest.raises(DownloadError, match="names no file"):
        _download(server, products, folder)


def test_not_enough_disk_space_fails_before_any_request(file_mast, tmp_path):
    server = file_mast(make_files(1, 1000))
    products = server.archive.products()
    products["size"] = [10**18]
    with pytest.raises(DownloadError, match="free"):
        _download(server, products, tmp_path)
    assert server.recorder.log == []


def test_flat_and_filters(file_mast, tmp_path):
    server = file_mast(make_files(4, 1000))
    manifest = _download(
        server,
        server.archive.products(),
        tmp_path,
        flat=True,
        productFilename=["f0001_raw.fits", "f0003_raw.fits"],
    )
    assert sorted(Path(p).name for p in manifest["Local Path"]) == [
        "f0001_raw.fits",
        "f0003_raw.fits",
    ]
    assert (tmp_path / "f0001_raw.fits").exists()
    with pytest.warns(NoResultsWarning, match="No products"):
        assert _download(server, server.archive.products(), tmp_path, extension="jpg") is None


def test_curl_flag_writes_the_servers_bundle_script(file_mast, tmp_path):
    server = file_mast(make_files(3, 1000))
    manifest = _download(server, server.archive.products(), tmp_path, curl_flag=True)
    assert list(manifest.colnames) == ["Local Path", "Status", "Message"]
    script = Path(manifest["Local Path"][0]).read_text()
    assert manifest["Status"][0] == "COMPLETE" and script.startswith("#!/bin/sh")
    assert script.count("curl ") == 3 and "f0002_raw.fits" in script
    assert server.recorder.files() == []


def test_download_file_as_astroquery(file_mast, tmp_path):
    files = make_files(1, 3000)
    server = file_mast(files)
    uri = next(iter(files))
    with mastq.conf.set_temp("server", server.url):
        obs = ObservationsClass()
        assert obs.download_file(uri, local_path=tmp_path / "sub", verbose=False) == (
            "COMPLETE",
            None,
            None,
        )
        status, msg, url = obs.download_file(
            "mast:HST/product/nothere.fits", local_path=tmp_path, verbose=False
        )
    assert (tmp_path / "sub" / "f0000_raw.fits").read_bytes() == files[uri].content
    assert status == "ERROR" and "HTTP 404" in msg and url.endswith("nothere.fits")


_CHILD = """
import sys, mastq
from mastq.observations import ObservationsClass
from tests.client.filemast import FileArchive, make_files
mastq.conf.server = sys.argv[1]
products = FileArchive(make_files(1, 400_000)).products()
ObservationsClass().download_products(products, download_dir=sys.argv[2], progress=False)
"""


def test_killed_process_leaves_nothing_under_the_final_name_then_resumes(file_mast, tmp_path):
    files = make_files(1, 400_000)
    slow = file_mast(files, slow_stream=100_000)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, slow.url, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    part = _local(tmp_path, "f0000_raw.fits.part")
    try:
        for _ in range(200):
            if part.exists() and part.stat().st_size > 0:
                break
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert part.exists() and 0 < part.stat().st_size < 400_000
    assert not _local(tmp_path, "f0000_raw.fits").exists()
    fast = file_mast(files)
    kept = part.stat().st_size
    manifest = _download(fast, fast.archive.products(), tmp_path)
    assert manifest["Status"][0] == "COMPLETE"
    assert fast.recorder.files()[0]["range"] == f"bytes={kept}-"
    assert _local(tmp_path, "f0000_raw.fits").read_bytes() == next(iter(files.values())).content
    assert _local(tmp_path, SIDECAR).exists()


def test_one_progress_bar_only_when_asked_or_interactive(file_mast, tmp_path, capsys):
    from mastq.download import _progress_bar

    assert _progress_bar(False, 10, 1) is None
    assert _progress_bar(None, 10, 1) is None  # pytest's stderr is not a terminal
    bar = _progress_bar(True, 10, 1)
    bar.close()
    server = file_mast(make_files(3, 20_000))
    with mastq.conf.set_temp("server", server.url):
        ObservationsClass().download_products(
            server.archive.products(), download_dir=tmp_path, progress=True
        )
        assert "3/3 files" in capsys.readouterr().err
        manifest = ObservationsClass().download_products(
            server.archive.products(), download_dir=tmp_path, cache=False, verbose=False
        )
        assert "files" not in capsys.readouterr().err
    assert all(manifest["Fetched"])  # verbose is astroquery's flag, never a column filter
    assert len(server.recorder.files()) == 6


def test_products_of_the_sample_archive_download_at_their_listed_size(obs, tmp_path):
    observations = obs.query_criteria(obs_collection="HST")[:8]
    products = obs.get_product_list(observations)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        public = obs.download_products(products, download_dir=tmp_path, progress=False)
    failed = public["Status"] == "ERROR"
    assert len(caught) == int(failed.any())  # one summary, whatever the number of failures
    assert all("needs a valid MAST token" in str(m) for m in public["Message"][failed])
    done = public[public["Status"] == "COMPLETE"]
    assert len(done) and set(public["Status"]) <= {"COMPLETE", "ERROR"}
    sizes = dict(zip(products["productFilename"], products["size"], strict=True))
    for path in done["Local Path"]:
        assert Path(path).stat().st_size == sizes[Path(path).name]
    mine = ObservationsClass(mast_token=DEFAULT_TOKEN)
    full = mine.download_products(products, download_dir=tmp_path, progress=False)
    assert set(full["Status"]) == {"COMPLETE"}
    assert list(full["Fetched"]) == list(public["Status"] == "ERROR")
