"""
The ``mastq`` command line, run in-process (`mastq.cli.main`) against the local MAST.

Every command and every error path: a one-line ``mastq: error: ...`` on stderr, exit code 2
for bad input, unknown names and server errors (1 for files that cannot be written), never a
traceback.  Two runs go through a real ``python -m mastq`` subprocess.
"""

import json
import os
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table

import mastq
from mastq.cli import main
from mastq.commands.values import (
    criteria_dict,
    criterion,
    parse_value,
    position,
    product_filter,
    radius,
)

M101 = SkyCoord(210.802429, 54.34875, unit="deg")


@pytest.fixture(scope="module")
def server(mast_emulator):
    """The local MAST's URL, with the persistent cache off for the module."""
    with mastq.conf.set_temp("cache", False):
        yield mast_emulator


@pytest.fixture
def run(server, capsys):
    """``run(*argv, server=True) -> (exit code, stdout, stderr)``, against the local MAST."""

    def run(*argv, server_url=server):
        argv = [*argv, "--server", server_url] if server_url else list(argv)
        code = main(argv)
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run


def _rows(out):
    document = json.loads(out)
    names = [column["name"] for column in document["columns"]]
    assert all(list(row) == names for row in document["rows"])
    return document


def _one_error(err, *words):
    """One error line (after notes on the work, if any) holding ``words``."""
    lines = [line for line in err.strip().splitlines() if line.startswith("mastq: error: ")]
    assert len(lines) == 1 and err.strip().endswith(lines[0]), err
    for word in words:
        assert word in lines[0]


# ----------------------------------------------------------------------- typed values


@pytest.mark.parametrize(
    "text, value",
    [
        ("HST,JWST", ["HST", "JWST"]),
        ("100..1000", (100, 1000)),
        ("100..", (100, None)),
        ("..1e3", (None, 1000.0)),
        ("2.5", 2.5),
        ("42", 42),
        ("NIRCAM*", "NIRCAM*"),
        ("2015-01-01..", ("2015-01-01", None)),
        ("1..2, 5..6", [(1, 2), (5, 6)]),
        ("nan", "nan"),
    ],
)
def test_values_are_parsed_as_astronomers_type_them(text, value):
    assert parse_value(text) == value
    assert criterion(f"col={text}") == ("col", value)


@pytest.mark.parametrize("text", ["novalue", "=HST", "col=", "col=.."])
def test_a_criterion_needs_a_name_and_a_value(text):
    with pytest.raises(Exception, match="name=value|no end"):
        criterion(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("productType=SCIENCE", ("productType", "SCIENCE")),
        ("productSubGroupDescription=CAL, X1D", ("productSubGroupDescription", ["CAL", "X1D"])),
        ("size=<1000", ("size", "<1000")),
        ("size=100..2000", ("size", "100..2000")),
        ("productType=!PREVIEW", ("productType", "!PREVIEW")),
    ],
)
def test_product_filters_keep_the_text_filter_products_reads(text, value):
    assert product_filter(text) == value


@pytest.mark.parametrize("text", ["productType", "=SCIENCE", "size=", "size=,"])
def test_a_product_filter_needs_a_name_and_a_value(text):
    with pytest.raises(Exception, match="name=value"):
        product_filter(text)


def test_a_criterion_given_twice_is_refused():
    assert criteria_dict([("a", 1), ("b", 2)]) == {"a": 1, "b": 2}
    with pytest.raises(ValueError, match="a given twice"):
        criteria_dict([("a", 1), ("a", 2)])


@pytest.mark.parametrize(
    "text, degrees",
    [("3arcmin", 0.05), ("0.05", 0.05), ("0.05 deg", 0.05), ('180"', 0.05), ("180arcsec", 0.05)],
)
def test_radius_takes_any_angular_unit_and_bare_degrees(text, degrees):
    assert radius(text).to_value(u.deg) == pytest.approx(degrees)


@pytest.mark.parametrize("text", ["3 m", "wide", "-1arcmin", "0"])
def test_radius_must_be_a_positive_angle(text):
    with pytest.raises(Exception, match="angle|positive"):
        radius(text)


@pytest.mark.parametrize(
    "words",
    [
        ["210.802429", "54.34875"],
        ["14h03m12.583s", "+54d20m55.5s"],
        ["14:03:12.583", "+54:20:55.5"],
    ],
)
def test_position_reads_degrees_and_sexagesimal(words):
    assert position(words).separation(M101) < 0.01 * u.arcsec


def test_position_of_one_word_is_a_name_and_of_three_an_error():
    assert position(["NGC 5457"]) == "NGC 5457"
    for words in (["NGC", "5457"], ["1", "2", "3"], ["10", "100"]):
        with pytest.raises(ValueError, match="NAME or RA DEC|RA DEC"):
            position(words)


# ----------------------------------------------------------------------- commands


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"mastq {mastq.__version__}"
    assert main([]) == 2
    listed = capsys.readouterr().out
    for command in (
        "resolve",
        "search",
        "count",
        "products",
        "download",
        "catalog",
        "serve",
        "demo",
    ):
        assert command in listed


def test_resolve_names_to_a_table(run):
    code, out, err = run("resolve", "M101", "NGC 1068", "--json")
    assert code == 0
    document = _rows(out)
    assert [row["name"] for row in document["rows"]] == ["M101", "NGC 1068"]
    assert document["columns"][1]["unit"] == "deg"
    first = document["rows"][0]
    assert SkyCoord(first["ra"], first["dec"], unit="deg").separation(M101) < 1e-3 * u.arcsec
    code, out, err = run("resolve", "M101")
    assert code == 0 and "210.802429" in out and "deg" in out


def test_resolve_an_unknown_name_is_an_error_and_among_others_a_warning(run):
    code, out, err = run("resolve", "No Such Object 42")
    assert code == 2 and out == ""
    _one_error(err, "No Such Object 42")
    code, out, err = run("resolve", "M101", "No Such Object 42", "--json")
    assert code == 0 and [row["name"] for row in _rows(out)["rows"]] == ["M101"]
    assert err.count("mastq: warning: ") == 1 and "No Such Object 42" in err


def test_search_by_name_with_radius_and_criteria(run):
    code, out, err = run(
        "search",
        "M101",
        "--radius",
        "3arcmin",
        "--criteria",
        "obs_collection=HST,JWST",
        "t_exptime=100..",
        "--json",
    )
    assert code == 0
    rows = _rows(out)["rows"]
    assert rows and f"{len(rows)} observations" in err and "searching observations" in err
    assert {row["obs_collection"] for row in rows} <= {"HST", "JWST"}
    assert all(row["t_exptime"] >= 100 for row in rows)
    assert all(row["distance"] <= 180 + 1e-6 for row in rows)


def test_search_by_ra_dec_matches_search_by_name(run):
    by_name = _rows(run("search", "M101", "--radius", "2arcmin", "--json", "-q")[1])["rows"]
    code, out, err = run("search", "210.802429", "54.34875", "--radius", "2arcmin", "--json", "-q")
    assert code == 0 and err == ""
    assert sorted(r["obs_id"] for r in _rows(out)["rows"]) == sorted(r["obs_id"] for r in by_name)


def test_search_by_criteria_only_and_screen_table(run):
    code, out, err = run(
        "search",
        "--criteria",
        "obs_collection=JWST",
        "instrument_name=NIRCAM*",
        "t_min=2023-01-01..",
        "-q",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["obs_collection", "instrument_name"] and "deg" in lines[1]
    body = lines[3:]
    assert body and all(line.split()[0] == "JWST" for line in body)
    assert all(line.split()[1].startswith("NIRCAM") for line in body)


def test_search_columns_are_chosen_with_columns(run):
    code, out, err = run(
        "search", "M101", "--radius", "1arcmin", "--columns", "obsid,s_ra", "--json", "-q"
    )
    assert code == 0 and [c["name"] for c in _rows(out)["columns"]] == ["obsid", "s_ra"]
    code, out, err = run("search", "M101", "--columns", "obsid,nope")
    assert code == 2
    _one_error(err, "--columns", "nope")


def test_search_without_rows_warns_in_one_line(run):
    code, out, err = run(
        "search",
        "M101",
        "--radius",
        "1arcmin",
        "--criteria",
        "obs_collection=NOSUCHMISSION",
        "--json",
        "-q",
    )
    assert code == 0 and _rows(out)["rows"] == []
    assert err.startswith("mastq: warning: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("extension", ["ecsv", "fits", "csv", "xml", "parquet"])
def test_output_is_written_by_extension_through_astropy(run, tmp_path, extension):
    path = tmp_path / f"m101.{extension}"
    code, out, err = run("search", "M101", "--radius", "2arcmin", "--output", str(path))
    assert code == 0 and out == "" and f"to {path}" in err
    table = Table.read(path)
    expected = _rows(run("search", "M101", "--radius", "2arcmin", "--json", "-q")[1])["rows"]
    assert len(table) == len(expected) > 0
    assert sorted(map(str, table["obs_id"])) == sorted(row["obs_id"] for row in expected)
    if extension != "csv":
        assert table["s_ra"].unit == u.deg and table["t_exptime"].unit == u.s


def test_output_refuses_to_overwrite_and_unknown_formats(run, tmp_path):
    path = tmp_path / "m101.ecsv"
    assert run("search", "M101", "--radius", "1arcmin", "-o", str(path), "-q")[0] == 0
    code, out, err = run("search", "M101", "--radius", "1arcmin", "-o", str(path))
    assert code == 1
    assert err.startswith("mastq: error: ")  # before any query is sent
    _one_error(err, "--overwrite")
    assert (
        run("search", "M101", "--radius", "1arcmin", "-o", str(path), "--overwrite", "-q")[0] == 0
    )
    code, out, err = run("search", "M101", "-o", str(tmp_path / "m101.txt"))
    assert code == 2 and err.startswith("mastq: error: ")
    _one_error(err, "m101.txt", ".ecsv")
    code, out, err = run("search", "M101", "-o", str(tmp_path / "no" / "dir" / "m.ecsv"), "-q")
    assert code == 1
    _one_error(err, "cannot write")


def test_count_agrees_with_search(run):
    args = ("M101", "--radius", "3arcmin", "--criteria", "obs_collection=HST")
    rows = _rows(run("search", *args, "--json", "-q")[1])["rows"]
    code, out, err = run("count", *args)
    assert code == 0 and int(out) == len(rows) > 0
    assert json.loads(run("count", *args, "--json", "-q")[1]) == {"count": len(rows)}
    cone = _rows(run("search", "M101", "--radius", "1arcmin", "--json", "-q")[1])["rows"]
    assert int(run("count", "210.802429", "54.34875", "--radius", "1arcmin", "-q")[1]) == len(cone)


def test_catalog_tic_around_a_position_with_criteria(run):
    code, out, err = run(
        "catalog",
        "M101",
        "--catalog",
        "Tic",
        "--radius",
        "6arcmin",
        "--criteria",
        "Tmag=..16",
        "--json",
    )
    assert code == 0
    rows = _rows(out)["rows"]
    assert rows and all(row["Tmag"] <= 16 for row in rows)
    assert "searching Tic" in err
    code, out, err = run("catalog", "210.802429", "54.34875", "--radius", "6arcmin", "--json", "-q")
    cone = _rows(out)["rows"]
    assert code == 0 and len(cone) >= len(rows)
    assert all(row["dstArcSec"] <= 360 + 1e-6 for row in cone)


def test_catalog_unknown_is_an_error(run):
    code, out, err = run("catalog", "M101", "--catalog", "NoSuchCatalog")
    assert code == 2
    _one_error(err, "NoSuchCatalog")


def _some_obsids(run, n=2):
    rows = _rows(
        run(
            "search",
            "M101",
            "--radius",
            "2arcmin",
            "--criteria",
            "obs_collection=HST",
            "--json",
            "-q",
        )[1]
    )["rows"]
    return [str(row["obsid"]) for row in rows[:n]]


def test_products_of_observations(run):
    obsids = _some_obsids(run)
    code, out, err = run("products", *obsids, "--json")
    assert code == 0
    rows = _rows(out)["rows"]
    assert rows and {str(row["obsID"]) for row in rows} <= set(obsids)
    assert "products" in err


def test_products_filtered_with_filter_and_extension(run):
    obsids = _some_obsids(run, 3)
    every = _rows(run("products", *obsids, "--json", "-q")[1])["rows"]
    code, out, err = run(
        "products",
        *obsids,
        "--filter",
        "productType=SCIENCE",
        "size=<1000000",
        "--extension",
        "fits",
        "--json",
        "-q",
    )
    assert code == 0
    kept = _rows(out)["rows"]
    assert 0 < len(kept) < len(every)
    assert all(
        row["productType"] == "SCIENCE"
        and row["productFilename"].endswith("fits")
        and row["size"] < 1000000
        for row in kept
    )
    assert kept == [row for row in every if row in kept]
    code, out, err = run("products", *obsids, "--filter", "nosuchcolumn=1")
    assert code == 2
    _one_error(err, "nosuchcolumn")


def test_download_writes_files_and_reports_where(run, tmp_path):
    obsid = _some_obsids(run, 1)
    code, out, err = run(
        "download",
        *obsid,
        "--dir",
        str(tmp_path),
        "--extension",
        "fits",
        "--filter",
        "productType=SCIENCE",
        "--json",
    )
    assert code == 0
    rows = _rows(out)["rows"]
    assert rows and {row["Status"] for row in rows} == {"COMPLETE"}
    for row in rows:
        path = row["Local Path"]
        assert path.startswith(str(tmp_path)) and path.endswith(".fits") and os.path.getsize(path)
    assert f"{len(rows)} files under {tmp_path}: {len(rows)} complete" in err
    code, out, err = run(
        "download",
        *obsid,
        "--dir",
        str(tmp_path),
        "--extension",
        "fits",
        "--filter",
        "productType=SCIENCE",
        "--flat",
        "--json",
        "-q",
    )
    assert code == 0 and all(
        os.path.dirname(row["Local Path"]) == str(tmp_path) for row in _rows(out)["rows"]
    )


def test_download_failures_exit_1_and_nothing_to_download_exits_2(run, tmp_path):
    jwst = _rows(run("search", "M101", "--criteria", "obs_collection=JWST", "--json", "-q")[1])
    obsids = [str(row["obsid"]) for row in jwst["rows"]]
    private = _rows(
        run("products", *obsids, "--filter", "dataRights=EXCLUSIVE_ACCESS", "--json", "-q")[1]
    )["rows"]
    assert private, "the sample archive holds exclusive-access products around M101"
    code, out, err = run(
        "download",
        str(private[0]["obsID"]),
        "--dir",
        str(tmp_path),
        "--filter",
        "dataRights=EXCLUSIVE_ACCESS",
        "-q",
    )
    assert code == 1 and "ERROR" in out and "mastq: warning: " in err
    _one_error(err, "failed to download")
    code, out, err = run(
        "download", *obsids[:1], "--dir", str(tmp_path), "--extension", "nosuchext"
    )
    assert code == 2
    _one_error(err, "no product to download")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["search", "NGC", "5457", "1"], ["NAME or RA DEC"]),
        (["search", "10", "100"], ["RA DEC"]),
        (["search"], ["give a target"]),
        (["search", "--criteria", "obs_collection=HST", "--radius", "1arcmin"], ["--radius"]),
        (["search", "M101", "--criteria", "a=1", "a=2"], ["a given twice"]),
        (["search", "M101", "--criteria", "nosuchcolumn=1"], ["nosuchcolumn"]),
        (["search", "M101", "--criteria", "t_exptime=100"], ["t_exptime", "range"]),
        (["search", "No Such Object 42"], ["No Such Object 42"]),
        (["count", "No Such Object 42"], ["No Such Object 42"]),
        (["catalog", "M101", "--criteria", "Tmag=bright"], ["Tmag"]),
    ],
)
def test_bad_input_and_unknown_names_exit_2_in_one_line(run, argv, words):
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    _one_error(err, *words)


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "M101", "--criteria", "obs_collection"],
        ["search", "M101", "--radius", "3 metres"],
        ["search", "M101", "--local", "--server", "http://127.0.0.1:1"],
        ["resolve"],
        ["nosuchcommand"],
    ],
)
def test_usage_errors_exit_2_as_argparse_does(capsys, argv):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "usage: mastq" in err and "Traceback" not in err


def test_a_server_url_must_be_http(run):
    code, out, err = run("search", "M101", server_url="ftp://example.org")
    assert code == 2
    _one_error(err, "--server", "ftp://example.org")


def test_server_errors_exit_2_in_one_line(run, mast_emulator_factory, unused_port):
    failing = mast_emulator_factory(p_503=1.0)
    with mastq.conf.set_temp("retries", 0):
        code, out, err = run("search", "M101", server_url=failing.url)
        assert code == 2
        _one_error(err, "503")
        code, out, err = run("resolve", "M101", server_url=f"http://127.0.0.1:{unused_port}")
        assert code == 2
        _one_error(err, f"127.0.0.1:{unused_port}")


def test_verbose_logs_retries_on_stderr(run, mast_emulator_factory):
    failing = mast_emulator_factory(p_503=1.0)
    with mastq.conf.set_temp("retries", 1), mastq.conf.set_temp("retry_backoff", 0.01):
        code, out, err = run("resolve", "M101", "--verbose", server_url=failing.url)
    assert code == 2
    assert "mastq: info: retrying" in err
    _one_error(err, "503")


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_local_starts_the_embedded_local_mast(run):
    code, out, err = run("resolve", "Vega", "--local", "--json", server_url=None)
    assert code == 0 and "local MAST running at http://127.0.0.1:" in err
    row = _rows(out)["rows"][0]
    assert row["name"] == "Vega" and row["ra"] == pytest.approx(279.234735)


def test_serve_list_objects_shows_the_named_objects(capsys):
    from mastq.emulator.services.names import OBJECTS

    assert main(["serve", "--list-objects"]) == 0
    out = capsys.readouterr().out
    for named in OBJECTS:
        assert named.name in out
    assert "Pinwheel Galaxy" in out and f"{len(OBJECTS)} objects" in out


# ----------------------------------------------------------------------- real processes


def _environment():
    """This checkout first on the path of a child ``python -m mastq``."""
    return dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _python_m_mastq(*argv):
    return subprocess.run(
        [sys.executable, "-m", "mastq", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=_environment(),
    )


def test_python_m_mastq_searches_and_reports_errors(server):
    done = _python_m_mastq("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"mastq {mastq.__version__}"
    done = _python_m_mastq(
        "search", "M101", "--radius", "1arcmin", "--server", server, "--json", "-q"
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert rows and np.all(np.array([row["distance"] for row in rows]) <= 60 + 1e-6)
    done = _python_m_mastq("search", "No Such Object 42", "--server", server, "-q")
    assert done.returncode == 2 and done.stdout == ""
    _one_error(done.stderr, "No Such Object 42")


def test_a_reader_that_stops_early_ends_the_command_quietly(server):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mastq",
            "search",
            "--criteria",
            "obs_collection=HST",
            "--server",
            server,
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    with process.stdout, process.stderr:
        assert process.stdout.readline().split()[0] == "obs_collection"
        process.stdout.close()  # as `| head -1` does
        err = process.stderr.read()
    assert process.wait(timeout=120) == 141 and err == ""


def test_every_example_of_the_help_runs(run, monkeypatch, tmp_path):
    import shlex

    from mastq.cli import _EXAMPLES

    monkeypatch.chdir(tmp_path)
    examples = [
        shlex.split(line.strip()) for line in _EXAMPLES.splitlines() if line.startswith("  mastq ")
    ]
    assert len(examples) >= 7
    obsid = _some_obsids(run, 1)[0]
    for argv in examples:
        argv = [obsid if word == "OBSID" else word for word in argv]
        local = {"server_url": None} if argv[1] == "serve" else {}
        code, out, err = run(*argv[1:], **local)
        assert code == 0 and (out or "wrote" in err), (argv, err)
    assert (tmp_path / "products.ecsv").exists() and list((tmp_path / "data").rglob("*.fits"))


def test_ctrl_c_ends_the_command_with_130_in_one_line(run, monkeypatch):
    from mastq.observations import Observations

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Observations, "resolve_object", interrupted)
    code, out, err = run("resolve", "M101")
    assert code == 130 and out == ""
    _one_error(err, "interrupted")
