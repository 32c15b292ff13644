"""Prints the benchmark table from `upshift report RUN --format json` files.

usage: python3 bench/table.py SCALE VARIANT REPORT.json [SCALE VARIANT REPORT.json ...]
"""
import json
import sys
from datetime import datetime

STEPS = ["preflight", "init-new", "stop-primary", "stop-standbys", "pg-upgrade", "sync-standbys", "start-primary",
         "start-standbys", "verify", "verify-standbys", "basebackup-standbys", "statistics"]


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds(ms):
    return "-" if ms is None else "%.1f" % (ms / 1000)


def window_ms(report, name):
    window = (report.get("journal_windows") or {}).get(name)
    if not window:
        return None
    return (parse(window["to"]) - parse(window["from"])).total_seconds() * 1000


def main():
    args = sys.argv[1:]
    runs = [(args[i], args[i + 1], json.load(open(args[i + 2]))) for i in range(0, len(args), 3)]
    print("| scale | standbys | result | write downtime (probe) | failed transactions | longest write stall "
          "| journal write window | read downtime (probe) | standbys ready (journal) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for scale, variant, report in runs:
        down = report.get("downtime") or {}
        print("| %s | %s | %s | **%s s** | %s | %s s | %s s | %s s | %s s |" % (
            scale, variant, report["result"], seconds(down.get("write_ms")), down.get("failed_transactions"),
            seconds(down.get("longest_write_stall_ms")), seconds(window_ms(report, "writes_stopped")),
            seconds(down.get("read_ms")), seconds(window_ms(report, "reads_stopped"))))
    print()
    print("Each step's wall time in seconds (first start to last finish over its hosts):")
    print()
    print("| scale | standbys | " + " | ".join(STEPS) + " |")
    print("|---|---|" + "---|" * len(STEPS))
    for scale, variant, report in runs:
        spans = {}
        for step in report["steps"]:
            if step.get("started_at") and step.get("finished_at"):
                start, end = parse(step["started_at"]), parse(step["finished_at"])
                first, last = spans.get(step["id"], (start, end))
                spans[step["id"]] = (min(first, start), max(last, end))
        cells = ["%.1f" % (spans[s][1] - spans[s][0]).total_seconds() if s in spans else "-" for s in STEPS]
        print("| %s | %s | %s |" % (scale, variant, " | ".join(cells)))
    print()
    print("The run journal: lines, lines waited for (fsync), agents' progress reports and the progress lines kept:")
    print()
    print("| scale | standbys | lines | fsync'd | progress reports | progress lines |")
    print("|---|---|---|---|---|---|")
    for scale, variant, report in runs:
        writes = report.get("journal_writes") or {}
        print("| %s | %s | %s | %s | %s | %s |" % (scale, variant, writes.get("lines", "-"), writes.get("fsyncs", "-"),
                                               writes.get("progress_received", "-"), writes.get("progress_written", "-")))
    scales = sorted({int(s) for s, _, _ in runs})
    if len(scales) >= 2:
        print()
        for variant in sorted({v for _, v, _ in runs}):
            by_scale = {int(s): (r.get("downtime") or {}).get("write_ms") for s, v, r in runs if v == variant}
            low, high = by_scale.get(scales[0]), by_scale.get(scales[-1])
            if low and high:
                print("%s: write downtime at scale %d is %.1fx scale %d's" % (variant, scales[-1], high / low, scales[0]))


if __name__ == "__main__":
    main()
