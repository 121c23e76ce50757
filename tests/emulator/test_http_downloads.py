"""File, bundle, whoami and path lookup endpoints of the local MAST."""

import base64
import hashlib
import re

import pytest
import requests

from mastq.emulator import DEFAULT_TOKEN

FILE = "/api/v0.1/Download/file"
PUBLIC_URI = "mast:HST/product/u9o40504m_c3m.fits"
PRIVATE_URI = "mast:JWST/product/jw01234001001_01101_00001_nrca1_cal.fits"
CONTENT = hashlib.sha256(b"mastq").digest() * 400


def get_file(url, uri, method="GET", **kwargs):
    return requests.request(method, url + FILE, params={"uri": uri}, timeout=30, **kwargs)


def test_public_file_with_length_and_checksums(synth_url):
    answer = get_file(synth_url, PUBLIC_URI)
    assert answer.status_code == 200 and answer.content == CONTENT
    assert int(answer.headers["Content-Length"]) == len(CONTENT)
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.headers["X-Checksum-SHA256"] == hashlib.sha256(CONTENT).hexdigest()
    md5 = base64.b64encode(hashlib.md5(CONTENT).digest()).decode()
    assert answer.headers["Content-MD5"] == md5
    assert 'filename="u9o40504m_c3m.fits"' in answer.headers["Content-Disposition"]


def test_head_gives_length_without_body(synth_url):
    answer = get_file(synth_url, PUBLIC_URI, method="HEAD")
    assert answer.status_code == 200 and answer.content == b""
    assert int(answer.headers["Content-Length"]) == len(CONTENT)
    assert answer.headers["X-Checksum-SHA256"] == hashlib.sha256(CONTENT).hexdigest()


@pytest.mark.parametrize("header, lo, hi", [("bytes=100-199", 100, 199),
                                            ("bytes=12000-", 12000, len(CONTENT) - 1),
                                            ("bytes=-50", len(CONTENT) - 50, len(CONTENT) - 1)])
def test_range_gives_206_with_content_range(synth_url, header, lo, hi):
    answer = get_file(synth_url, PUBLIC_URI, headers={"Range": header})
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes {lo}-{hi}/{len(CONTENT)}"
    assert answer.content == CONTENT[lo:hi + 1]
    assert answer.headers["X-Checksum-SHA256"] == hashlib.sha256(CONTENT).hexdigest()


def test_unsatisfiable_range_is_416(synth_url):
    answer = get_file(synth_url, PUBLIC_URI, headers={"Range": f"bytes={len(CONTENT) + 5}-"})
    assert answer.status_code == 416


def test_unknown_file_is_404_and_missing_uri_400(synth_url):
    answer = get_file(synth_url, "mast:HST/product/nope.fits")
    assert answer.status_code == 404 and "nope.fits" in answer.text
    assert requests.get(synth_url + FILE, timeout=30).status_code == 400


def test_proprietary_file_needs_a_valid_token(synth_url):
    assert get_file(synth_url, PRIVATE_URI).status_code == 401
    bad = get_file(synth_url, PRIVATE_URI, cookies={"mast_token": "wrong"})
    assert bad.status_code == 401 and "token" in bad.text
    cookie = get_file(synth_url, PRIVATE_URI, cookies={"mast_token": DEFAULT_TOKEN})
    header = get_file(synth_url, PRIVATE_URI,
                      headers={"Authorization": f"token {DEFAULT_TOKEN}"})
    assert cookie.status_code == header.status_code == 200
    assert cookie.content == CONTENT[:999]


def test_custom_tokens_replace_the_default(synth_mast):
    server = synth_mast(tokens=("secret-1",))
    assert get_file(server.url, PRIVATE_URI,
                    cookies={"mast_token": DEFAULT_TOKEN}).status_code == 401
    assert get_file(server.url, PRIVATE_URI,
                    headers={"Authorization": "Bearer secret-1"}).status_code == 200


@pytest.mark.parametrize(("method", "path"), [("POST", "bundle.sh"), ("GET", "bundle.sh"),
                                            ("POST", "bundle")])
def test_bundle_script_points_back_at_this_server(synth_url, method, path):
    uris = [("uri", PUBLIC_URI), ("uri", PRIVATE_URI), ("uri", "mast:HST/product/nope.fits")]
    kwargs = {"data": uris} if method == "POST" else {"params": uris}
    answer = requests.request(method, synth_url + "/api/v0.1/Download/" + path,
                              timeout=30, **kwargs)
    assert answer.status_code == 200
    script = answer.text
    assert script.startswith("#!/bin/sh")
    urls = re.findall(r"'(http[^']+)'", script)
    assert len(urls) == 2 and all(u.startswith(synth_url + FILE) for u in urls)
    assert "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits" in script
    assert "# mast:HST/product/nope.fits: file not found" in script
    assert requests.get(urls[0], timeout=30).content == CONTENT


def test_bundle_without_uri_is_400(synth_url):
    answer = requests.post(synth_url + "/api/v0.1/Download/bundle.sh", timeout=30)
    assert answer.status_code == 400


def test_whoami_anonymous_and_with_token(synth_url):
    anon = requests.get(synth_url + "/whoami", timeout=30).json()
    assert anon["anon"] is True and anon["ezid"] == "anonymous"
    wrong = requests.get(synth_url + "/whoami", cookies={"mast_token": "x"}, timeout=30).json()
    assert wrong["anon"] is True
    user = requests.get(synth_url + "/whoami", cookies={"mast_token": DEFAULT_TOKEN},
                        timeout=30).json()
    assert user["anon"] is False and user["ezid"] == "mastq"
    assert user["attrib"]["display_name"] and "mast:exclusive_access" in user["scopes"]


def test_path_lookup_has_the_recorded_shape(synth_url):
    uris = [PUBLIC_URI, "mast:HST/product/does_not_exist.fits", PRIVATE_URI]
    answer = requests.get(synth_url + "/api/v0.1/path_lookup/", params={"uri": uris},
                          timeout=30)
    assert answer.json() == {
        PUBLIC_URI: {"status_code": 200, "path": "/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"},
        "mast:HST/product/does_not_exist.fits": {"status_code": 404, "path": None},
        PRIVATE_URI: {"status_code": 404, "path": None},
    }
