"""File, bundle, whoami and path lookup endpoints of the local MAST."""

import base64
import hashlib
import re
import subprocess

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


@pytest.mark.parametrize(
    "header, lo, hi",
    [
        ("bytes=100-199", 100, 199),
        ("bytes=12000-", 12000, len(CONTENT) - 1),
        ("bytes=-50", len(CONTENT) - 50, len(CONTENT) - 1),
    ],
)
def test_range_gives_206_with_content_range(synth_url, header, lo, hi):
    answer = get_file(synth_url, PUBLIC_URI, headers={"Range": header})
    assert answer.status_code == 206
    assert answer.headers["Content-Range"] == f"bytes {lo}-{hi}/{len(CONTENT)}"
    assert answer.content == CONTENT[lo : hi + 1]
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
    header = get_file(synth_url, PRIVATE_URI, headers={"Authorization": f"token {DEFAULT_TOKEN}"})
    assert cookie.status_code == header.status_code == 200
    assert cookie.content == CONTENT[:999]


def test_custom_tokens_replace_the_default(synth_mast):
    server = synth_mast(tokens=("secret-1",))
    assert (
        get_file(server.url, PRIVATE_URI, cookies={"mast_token": DEFAULT_TOKEN}).status_code == 401
    )
    assert (
        get_file(server.url, PRIVATE_URI, headers={"Authorization": "Bearer secret-1"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "bundle.sh"), ("GET", "bundle.sh"), ("POST", "bundle")]
)
def test_bundle_script_points_back_at_this_server(synth_url, method, path):
    uris = [("uri", PUBLIC_URI), ("uri", PRIVATE_URI), ("uri", "mast:HST/product/nope.fits")]
    kwargs = {"data": uris} if method == "POST" else {"params": uris}
    answer = requests.request(
        method, synth_url + "/api/v0.1/Download/" + path, timeout=30, **kwargs
    )
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
    user = requests.get(
        synth_url + "/whoami", cookies={"mast_token": DEFAULT_TOKEN}, timeout=30
    ).json()
    assert user["anon"] is False and user["ezid"] == "mastq"
    assert user["attrib"]["display_name"] and "mast:exclusive_access" in user["scopes"]


def test_path_lookup_has_the_recorded_shape(synth_url):
    uris = [PUBLIC_URI, "mast:HST/product/does_not_exist.fits", PRIVATE_URI]
    answer = requests.get(synth_url + "/api/v0.1/path_lookup/", params={"uri": uris}, timeout=30)
    assert answer.json() == {
        PUBLIC_URI: {"status_code": 200, "path": "/hst/public/u9o4/u9o40504m/u9o40504m_c3m.fits"},
        "mast:HST/product/does_not_exist.fits": {"status_code": 404, "path": None},
        PRIVATE_URI: {"status_code": 404, "path": None},
    }


@pytest.mark.parametrize(
    "uri",
    [
        "mast:HST/product/x.fits\ntouch pwned",
        "mast:HST/product/x.fits'; touch pwned; '",
        "mast:HST/product/a b.fits",
        "mast:HST/\x00.fits",
        "no-scheme.fits",
        "mast:" + "x" * 2000,
    ],
)
def test_bundle_refuses_a_uri_that_could_reach_the_shell(synth_url, uri):
    answer = requests.post(
        synth_url + "/api/v0.1/Download/bundle.sh",
        timeout=30,
        data=[("uri", PUBLIC_URI), ("uri", uri)],
    )
    assert answer.status_code == 400 and "bad 'uri' argument" in answer.text


def test_bundle_script_runs_only_curl_with_quoted_arguments(synth_url, tmp_path):
    odd = "mast:HST/product/x;touch${IFS}pwned$(touch${IFS}pwned2)`touch${IFS}p3`.fits"
    answer = requests.post(
        synth_url + "/api/v0.1/Download/bundle.sh",
        timeout=30,
        data=[("uri", PUBLIC_URI), ("uri", odd)],
    )
    assert answer.status_code == 200
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_curl = bin_dir / "curl"
    fake_curl.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> calls\n')
    fake_curl.chmod(0o755)
    script = tmp_path / "bundle.sh"
    script.write_text(answer.text)
    subprocess.run(
        ["sh", str(script)],
        cwd=tmp_path,
        check=True,
        timeout=30,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "bundle.sh", "calls"]
    args = (tmp_path / "calls").read_text().splitlines()
    assert args[-3:] == [
        "--output",
        "mastDownload/HST/u9o40504m/u9o40504m_c3m.fits",
        f"{synth_url}{FILE}?uri={PUBLIC_URI}",
    ]


def multipart_parts(answer):
    kind, _, boundary = answer.headers["Content-Type"].partition("; boundary=")
    assert kind == "multipart/byteranges" and boundary
    pieces = answer.content.split(b"--" + boundary.encode())
    assert pieces[0] == b"" and pieces[-1] == b"--\r\n"
    parts = []
    for piece in pieces[1:-1]:
        head, _, body = piece[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        assert body.endswith(b"\r\n")
        parts.append((headers["Content-Range"], body[:-2]))
    return parts


def test_multi_range_is_multipart_byteranges(synth_url):
    n = len(CONTENT)
    answer = get_file(synth_url, PUBLIC_URI, headers={"Range": "bytes=0-9, 100-199, -5"})
    assert answer.status_code == 206
    assert multipart_parts(answer) == [
        (f"bytes 0-9/{n}", CONTENT[:10]),
        (f"bytes 100-199/{n}", CONTENT[100:200]),
        (f"bytes {n - 5}-{n - 1}/{n}", CONTENT[-5:]),
    ]
    assert answer.headers["X-Checksum-SHA256"] == hashlib.sha256(CONTENT).hexdigest()


def test_multi_range_edge_cases(synth_url):
    n = len(CONTENT)
    one_left = get_file(synth_url, PUBLIC_URI, headers={"Range": f"bytes=10-19,{n + 1}-"})
    assert one_left.status_code == 206 and one_left.content == CONTENT[10:20]
    assert one_left.headers["Content-Range"] == f"bytes 10-19/{n}"
    overlapping = get_file(synth_url, PUBLIC_URI, headers={"Range": "bytes=0-99,50-149"})
    assert overlapping.status_code == 200 and overlapping.content == CONTENT
    many = ",".join(f"{k * 10}-{k * 10 + 4}" for k in range(40))
    assert get_file(synth_url, PUBLIC_URI, headers={"Range": f"bytes={many}"}).content == CONTENT
    none = get_file(synth_url, PUBLIC_URI, headers={"Range": f"bytes={n}-,{n + 9}-"})
    assert none.status_code == 416 and none.headers["Content-Range"] == f"bytes */{n}"
    head = get_file(synth_url, PUBLIC_URI, method="HEAD", headers={"Range": "bytes=0-1,5-6"})
    assert head.status_code == 206 and head.content == b""


def test_whoami_never_echoes_the_token(synth_mast):
    token = "s3cr3t-t0ken-value-0123456789"
    server = synth_mast(tokens=(token,))
    for cookies in ({"mast_token": token}, {"mast_token": token[:-1]}, {}):
        answer = requests.get(server.url + "/whoami", cookies=cookies, timeout=30)
        text = answer.text
        assert not any(token[i : i + 4] in text for i in range(len(token) - 3)), text
    user = requests.get(server.url + "/whoami", cookies={"mast_token": token}, timeout=30).json()
    assert user["anon"] is False and user["ezid"] == "mastq" and "token" not in user
