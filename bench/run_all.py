"""Run every mastq benchmark in turn: ``python bench/run_all.py [--quick]``."""

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_batch  # noqa: E402
import bench_cache  # noqa: E402
import bench_download  # noqa: E402
import bench_emulator  # noqa: E402
import bench_parse  # noqa: E402
import bench_split  # noqa: E402
import bench_transport  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes (50,000-row parse, 100,000-row query)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("werkzeug", "astroquery"):  # one line per request or file otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    rows = ["--rows", "50000"] if args.quick else []
    bench_parse.main(rows + ["--repeat", "1"])
    bench_transport.main(["--rows", "100000"] if args.quick else [])
    bench_emulator.main(["--rows", "100000", "--repeat", "1"] if args.quick else [])
    bench_cache.main(["--rows", "1000", "20000"] if args.quick else [])
    bench_download.main(["--files", "50"] if args.quick else [])
    bench_split.main(
        ["--rows", "400000", "--single", "80000", "--limit", "100000"] if args.quick else []
    )
    bench_batch.main(["--quick"] if args.quick else [])


if __name__ == "__main__":
    main()
