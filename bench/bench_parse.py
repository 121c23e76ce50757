"""
Parse a large CAOM json page: mastq vs astroquery's ``_json_to_table`` (+ its json decode).

Run ``python bench/bench_parse.py [--rows N] [--bytes]``.  Times are best of ``--repeat``
runs in this process; peak memory is measured in a fresh subprocess per method (peak RSS
growth while parsing a body already in memory).  mastq builds ``str`` (numpy ``U``) text
columns, as astroquery does; ``--bytes`` also measures the opt-in ``text="bytes"`` mode.
"""

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import caom_config, caom_page  # noqa: E402


def run_method(method, body, config_bytes):
    """Parse ``body`` with ``method``; return the object made (kept alive by the caller)."""
    if method == "astroquery":
        from astroquery.mast.discovery_portal import _json_to_table

        return _json_to_table(json.loads(body), json.loads(config_bytes))
    if method in ("mastq", "mastq-bytes"):
        from mastq.columns import ColumnsConfig
        from mastq.tables import decode_table

        return decode_table(
            body,
            columns_config=ColumnsConfig.from_json(config_bytes),
            text="bytes" if method == "mastq-bytes" else "str",
        )
    if method == "json.loads":
        return json.loads(body)
    if method == "orjson.loads":
        return orjson.loads(body)
    raise ValueError(
        f"method must be astroquery, mastq, mastq-bytes, json.loads or orjson.loads: {method!r}"
    )


def best_time(method, body, config_bytes, repeat):
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = run_method(method, body, config_bytes)
        best = min(best, time.perf_counter() - start)
        del result
    return best


def peak_memory(method, path):
    """Peak RSS growth (MB, from VmHWM) of parsing the body at ``path`` in a fresh interpreter.

    (``ru_maxrss`` would not do: Linux carries the parent's value across fork+exec.)
    """
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM'):\n"
        "            return int(line.split()[1])\n"
        "from bench_parse import run_method\n"
        "from synth import caom_config\n"
        "import mastq.tables, mastq.columns, astroquery.mast.discovery_portal\n"
        f"body = open({str(path)!r}, 'rb').read(); cfg = caom_config()\n"
        "before = hwm()\n"
        f"result = run_method({method!r}, body, cfg)\n"
        "print((hwm() - before) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--bytes", action="store_true", help="also the text='bytes' mode")
    args = parser.parse_args(argv)
    body, config_bytes = caom_page(args.rows), caom_config()
    print(f"parse {args.rows} CAOM rows ({len(body) / 1e6:.0f} MB of json)")
    ours = ("mastq", "mastq-bytes") if args.bytes else ("mastq",)
    times = {
        m: best_time(m, body, config_bytes, args.repeat)
        for m in ("orjson.loads", "json.loads", *ours, "astroquery")
    }
    for method, seconds in times.items():
        print(f"  {method:13s} {seconds:8.3f} s")
    for method in ours:
        print(
            f"  speed-up of {method} vs astroquery: "
            f"{times['astroquery'] / times[method]:.1f}x (goal >= 3x, aim 5x)"
        )
    print(
        f"  mastq / json.loads: {times['mastq'] / times['json.loads']:.2f}  "
        f"mastq / orjson.loads: {times['mastq'] / times['orjson.loads']:.2f} (goal <= 2)"
    )
    if args.no_memory:
        return times
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(body)
        handle.flush()
        del body
        peaks = {m: peak_memory(m, handle.name) for m in (*ours, "astroquery")}
    for method, megabytes in peaks.items():
        print(f"  peak memory {method:11s} {megabytes:8.0f} MB")
    for method in ours:
        print(
            f"  memory ratio {method} / astroquery: "
            f"{peaks[method] / peaks['astroquery']:.2f} (goal <= 0.7)"
        )
    return times, peaks


if __name__ == "__main__":
    main()
