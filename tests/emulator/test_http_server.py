"""The local MAST as a server: lifecycle, concurrency, big results, row limit, `mastq serve`."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from mastq.emulator import Emulator, EmulatorConfig, running
from mastq.emulator.model import DocumentResult

INVOKE = "/api/v0/invoke"


def invoke(url, n, **request):
    body = {"service": "Test.Table", "params": {"n": n}, "format": "json", **request}
    return requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=60)


def test_twenty_concurrent_clients_all_succeed(synth_mast):
    server = synth_mast(query_seconds=0.5, max_hold=1.0)

    def client(k):
        with requests.Session() as session:
            body = {
                "service": "Test.Table",
                "params": {"n": 200 + k},
                "format": "json",
                "pagesize": 100,
                "page": 2,
                "cachebreaker": f"c{k}",
            }
            answer = session.post(
                server.url + INVOKE, data={"request": json.dumps(body)}, timeout=30
            )
            answer.raise_for_status()
            return answer.json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        docs = list(pool.map(client, range(20)))
    elapsed = time.monotonic() - started
    assert all(d["status"] == "COMPLETE" for d in docs)
    assert [d["paging"]["rowsTotal"] for d in docs] == [200 + k for k in range(20)]
    assert all(d["data"][0]["obsid"] == 2**60 + 100 for d in docs)
    assert elapsed < 5.0  # twenty 0.5 s jobs (10 s one after another) ran concurrently


@pytest.mark.slow
def test_500k_rows_stream_out_chunked(synth_mast):
    # How fast: bench/bench_emulator.py.  Here: streamed in chunks, all rows there.
    server = synth_mast()
    with requests.post(
        server.url + INVOKE,
        stream=True,
        timeout=60,
        data={
            "request": json.dumps(
                {"service": "Test.Table", "params": {"n": 500_000}, "format": "json"}
            )
        },
    ) as answer:
        assert answer.headers.get("Transfer-Encoding") == "chunked"
        blocks = [len(block) for block in answer.iter_content(1 << 20)]
    assert len(blocks) > 10 and sum(blocks) > 50_000_000


def test_more_rows_than_the_limit_resets_the_connection(synth_mast):
    server = synth_mast(row_limit=1000)
    assert invoke(server.url, 1000).json()["paging"]["rowsTotal"] == 1000
    with pytest.raises(requests.ConnectionError):
        invoke(server.url, 1001, pagesize=10, page=1)
    assert invoke(server.url, 5).ok  # the server keeps serving


def test_emulator_lifecycle_and_running():
    server = Emulator(
        EmulatorConfig(), archive=object(), run_service=_doc_service, columns_config=_no_config
    )
    with pytest.raises(RuntimeError, match="not started"):
        server.url  # noqa: B018
    server.start()
    url = server.url
    try:
        assert url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        assert invoke(server.url, 1).json() == {"status": "COMPLETE", "msg": "", "echo": "x"}
    finally:
        server.stop()
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/whoami", timeout=2)


def _doc_service(service, params, archive):
    return DocumentResult({"status": "COMPLETE", "msg": "", "echo": "x"})


def _no_config(config_id, archive):
    return None


def test_running_yields_a_url_and_stops_after():
    with running(
        archive=object(), run_service=_doc_service, columns_config=_no_config, latency=0.0
    ) as url:
        assert requests.get(url + "/whoami", timeout=10).json()["anon"] is True
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/whoami", timeout=2)


def test_mastq_serve_subprocess_answers_queries(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mastq.cli",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--executing-polls",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert "serving at http://127.0.0.1:" in line, process.stderr.read()
        url = line.split("serving at ")[1].split()[0]
        body = {
            "service": "Mast.Name.Lookup",
            "params": {"input": "M101", "format": "json"},
            "format": "json",
            "cachebreaker": "cli",
        }
        statuses = [
            requests.post(url + INVOKE, data={"request": json.dumps(body)}, timeout=30).json()
            for _ in range(2)
        ]
        assert statuses[0]["status"] == "EXECUTING"
        assert statuses[1]["resolvedCoordinate"][0]["canonicalName"]
    finally:
        process.terminate()
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopped" in out


def test_cli_without_subcommand_prints_help(capsys):
    from mastq.cli import main

    assert main([]) == 2
    assert "serve" in capsys.readouterr().out


def test_plugin_factory_starts_and_stops_custom_servers(mast_emulator_factory):
    server = mast_emulator_factory(
        archive=object(), run_service=_doc_service, columns_config=_no_config, executing_polls=1
    )
    assert server.config.executing_polls == 1
    first = invoke(server.url, 1, cachebreaker="p").json()
    assert first["status"] == "EXECUTING"
    assert invoke(server.url, 1, cachebreaker="p").json()["echo"] == "x"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["--p-503", "2"], "p_503"),
        (["--max-hold", "-1"], "max_hold"),
        (["--row-limit", "0"], "row_limit"),
        (["--socket-timeout", "0"], "socket_timeout"),
        (["--max-content-length", "0"], "max_content_length"),
    ],
)
def test_mastq_serve_rejects_bad_settings(capsys, argv, expected):
    from mastq.cli import main

    assert main(["serve", "--port", "0", *argv]) == 2
    assert expected in capsys.readouterr().err


def test_package_exports():
    import mastq.emulator as emulator

    for name in ("running", "Emulator", "EmulatorConfig", "FaultConfig", "make_app", "Archive"):
        assert getattr(emulator, name) is not None
    assert set(emulator.__all__) >= {"running", "Emulator", "make_app", "Archive"}


def _serve_args(*argv):
    from mastq.cli import build_parser

    return build_parser().parse_args(["serve", *argv])


def test_serve_tokens_come_from_file_environment_and_flag(tmp_path):
    from mastq.cli import TOKEN_ENV, accepted_tokens
    from mastq.emulator import DEFAULT_TOKEN

    token_file = tmp_path / "tokens"
    token_file.write_text("# accepted tokens\nfile-token-1\n\n  file-token-2  \n")
    args = _serve_args("--token", "flag-token", "--token-file", str(token_file))
    environ = {TOKEN_ENV: "env-token-1, env-token-2"}
    assert accepted_tokens(args, environ) == (
        "flag-token",
        "file-token-1",
        "file-token-2",
        "env-token-1",
        "env-token-2",
    )
    assert accepted_tokens(_serve_args(), {}) == (DEFAULT_TOKEN,)
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n")
    for path, word in ((empty, "holds no token"), (tmp_path / "missing", "cannot read")):
        with pytest.raises(ValueError, match=word):
            accepted_tokens(_serve_args("--token-file", str(path)), {})


def test_mastq_serve_rejects_an_empty_token_file(capsys, tmp_path):
    from mastq.cli import main

    (tmp_path / "tokens").write_text("\n")
    assert main(["serve", "--port", "0", "--token-file", str(tmp_path / "tokens")]) == 2
    assert "--token-file" in capsys.readouterr().err


def test_mastq_serve_takes_tokens_without_showing_them_in_ps(tmp_path):
    from mastq.cli import TOKEN_ENV

    (tmp_path / "tokens").write_text("file-secret-token\n")
    env = dict(os.environ, PYTHONUNBUFFERED="1", **{TOKEN_ENV: "env-secret-token"})
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mastq.cli",
            "serve",
            "--port",
            "0",
            "--quiet",
            "--token-file",
            str(tmp_path / "tokens"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()
        assert "serving at http://127.0.0.1:" in line, process.stderr.read()
        url = line.split("serving at ")[1].split()[0]
        with open(f"/proc/{process.pid}/cmdline", "rb") as stream:
            assert b"secret" not in stream.read()
        for token, anon in (
            ("file-secret-token", False),
            ("env-secret-token", False),
            ("mastq-emulator-token", True),
        ):
            answer = requests.get(url + "/whoami", cookies={"mast_token": token}, timeout=30)
            assert answer.json()["anon"] is anon
            assert "secret" not in answer.text
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert process.returncode == 0
