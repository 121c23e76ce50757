"""
Plots of the benchmarks for the performance page: ``python bench/plots.py RESULTS.txt...``.

Each ``RESULTS.txt`` is what ``python bench/run_all.py [--quick] > RESULTS.txt`` printed; with
several runs the best figure of each is kept (the machine is shared: see bench/README.md).
One PNG per comparison (mastq vs astroquery) is written into ``docs/_static/`` (or ``--out``):
``bench_parse.png``, ``bench_paging.png``, ``bench_polling.png``, ``bench_download.png``,
``bench_many_targets.png``, ``bench_crossmatch.png``.
The text itself (without log lines) is written alongside (``bench_results.txt``) so the page
can show the figures the plots were made from.
"""

import argparse
import re
import textwrap
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "docs" / "_static"
MASTQ, ASTROQUERY = "#1f77b4", "#aaaaaa"
_NUMBER = r"([0-9.]+)"


def parse_results(text):
    """
    The figures of a ``run_all.py`` output, as ``{comparison: {label: seconds}}``.

    Parameters
    ----------
    text : str
        What ``run_all.py`` printed.

    Returns
    -------
    dict
        ``parse``, ``paging``, ``polling`` and ``download`` (those found), each a dict of
        ``label -> seconds`` (``polling``: ``label -> invoke requests``); ``titles`` maps
        each to a title.

    Examples
    --------
    >>> parse_results("parse 50000 CAOM rows (40 MB of json)\\n  mastq  0.100 s\\n"
    ...               "  astroquery  1.000 s\\n")["parse"]
    {'mastq': 0.1, 'astroquery': 1.0}
    """
    figures, titles = {}, {}
    heading = re.search(r"^(parse \d+ CAOM rows.*)$", text, re.M)
    if heading:
        titles["parse"] = heading.group(1)
        block = text[heading.end() :].split("speed-up")[0]
        figures["parse"] = {
            name: float(seconds)
            for name, seconds in re.findall(r"^\s+(\S+)\s+" + _NUMBER + r" s$", block, re.M)
        }
    paging = re.search(
        r"^(\d+ rows in \d+ pages.*)\n\s+mastq " + _NUMBER + r" s .*astroquery " + _NUMBER + " s",
        text,
        re.M,
    )
    if paging:
        titles["paging"] = paging.group(1)
        figures["paging"] = {"mastq": float(paging.group(2)), "astroquery": float(paging.group(3))}
    polls = re.findall(
        r"^a query EXECUTING for (\S+) s \(server holds requests up to (\S+) s\)\n"
        r"\s+mastq\s+done after " + _NUMBER + r" s .*, (\d+) invoke requests\n"
        r"\s+astroquery done after " + _NUMBER + r" s .*, (\d+) invoke requests",
        text,
        re.M,
    )
    if polls:
        titles["polling"] = (
            f"invoke requests sent while a query is EXECUTING for {polls[0][0]} s "
            "(both done within 0.2 s of the server)"
        )
        figures["polling"] = {}
        for _, hold, _, ours, _, theirs in polls:
            figures["polling"][f"mastq, server holds {hold} s"] = int(ours)
            figures["polling"][f"astroquery, server holds {hold} s"] = int(theirs)
    download = re.search(r"^(\d+ files of .*)$", text, re.M)
    if download:
        titles["download"] = download.group(1)
        figures["download"] = {}
        for label, ours, theirs in re.findall(
            r"^\s+(first run|re-run \(all present\)): mastq "
            + _NUMBER
            + r" s .*astroquery "
            + _NUMBER
            + " s",
            text,
            re.M,
        ):
            figures["download"][f"mastq, {label}"] = float(ours)
            figures["download"][f"astroquery, {label}"] = float(theirs)
    cones = re.search(
        r"^(\d+) cones over observations .*: mastq by crossmatch "
        + _NUMBER
        + r" s, mastq one cone per target on (\d+) threads "
        + _NUMBER
        + r" s; astroquery loop "
        + _NUMBER
        + r" s \(estimated",
        text,
        re.M,
    )
    if cones:
        titles["many_targets"] = (
            f"{cones.group(1)} cones over observations (astroquery: "
            "a loop, estimated from a sample)"
        )
        figures["many_targets"] = {
            "mastq, crossmatch": float(cones.group(2)),
            f"mastq, one cone per target ({cones.group(3)} threads)": float(cones.group(4)),
            "astroquery, loop": float(cones.group(5)),
        }
    stars = re.search(
        r"^(\d+) positions against the TIC \(.*(\d+) crossmatch requests\): "
        r"mastq " + _NUMBER + r" s; astroquery loop " + _NUMBER + " s",
        text,
        re.M,
    )
    if stars:
        titles["crossmatch"] = (
            f"crossmatch of {stars.group(1)} positions against the TIC "
            "(astroquery: a loop, estimated from a sample)"
        )
        figures["crossmatch"] = {
            "mastq": float(stars.group(3)),
            "astroquery": float(stars.group(4)),
        }
    return {**figures, "titles": titles}


def best_of(runs):
    """
    The best (smallest) figure of each label over several `parse_results` answers.

    Examples
    --------
    >>> best_of([{"parse": {"mastq": 0.5}, "titles": {"parse": "a"}},
    ...          {"parse": {"mastq": 0.3}, "titles": {"parse": "b"}}])
    {'titles': {'parse': 'a'}, 'parse': {'mastq': 0.3}}
    """
    merged = {"titles": {}}
    for run in runs:
        for name, title in run["titles"].items():
            merged["titles"].setdefault(name, title)
        for name, values in run.items():
            if name == "titles":
                continue
            best = merged.setdefault(name, {})
            for label, value in values.items():
                best[label] = min(value, best.get(label, value))
    return merged


def plot(name, seconds, title, out, *, unit="s", xlabel="seconds (lower is better)"):
    """Write ``out/bench_<name>.png``: one horizontal bar per label (mastq in colour)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(seconds)
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(labels) + 1.4), dpi=100)
    colours = [MASTQ if label.startswith("mastq") else ASTROQUERY for label in labels]
    bars = ax.barh(labels, [seconds[label] for label in labels], color=colours)
    ax.bar_label(
        bars, labels=[f"{seconds[label]:.4g} {unit}".strip() for label in labels], padding=3
    )
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if max(seconds.values()) > 100 * max(min(seconds.values()), 1e-9):
        ax.set_xscale("log")
    ax.set_title(textwrap.fill(title, 55), fontsize=10)
    ax.margins(x=0.2)
    fig.tight_layout()
    path = Path(out) / f"bench_{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("results", nargs="+", help="printed outputs of bench/run_all.py")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="folder of the PNGs")
    args = parser.parse_args(argv)
    texts = [
        "".join(
            line
            for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.startswith("INFO")
        )
        for path in args.results
    ]
    figures = best_of([parse_results(text) for text in texts])
    titles = figures.pop("titles")
    if not figures:
        raise SystemExit(f"{', '.join(args.results)}: no benchmark figures found")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    for name, values in figures.items():
        if name == "polling":
            print(
                plot(
                    name,
                    values,
                    titles[name],
                    args.out,
                    unit="",
                    xlabel="invoke requests (lower is better)",
                )
            )
        else:
            print(plot(name, values, titles[name], args.out))
    runs = [f"# run {n} of {len(texts)}\n{text}" for n, text in enumerate(texts, start=1)]
    (Path(args.out) / "bench_results.txt").write_text("\n".join(runs), encoding="utf-8")


if __name__ == "__main__":
    main()
