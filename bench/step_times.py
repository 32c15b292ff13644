"""Prints each step's time, the standby upgrade time and the write-downtime window of one run's JSON report.

usage: upshift report RUN --format json | python3 bench/step_times.py SCALE METHOD
"""
import datetime
import json
import sys


def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds(step):
    return (at(step["finished_at"]) - at(step["started_at"])).total_seconds()


def main():
    scale, method = sys.argv[1], sys.argv[2]
    report = json.load(sys.stdin)
    steps = [s for s in report["steps"] if s.get("started_at") and s.get("finished_at")]
    row = "{:<6} {:<11} {:<34} {:9.2f}"
    for step in steps:
        print(row.format(scale, method, "%s (%s)" % (step["id"], step["host"]), seconds(step)))
    stop = min(at(s["started_at"]) for s in steps if s["id"] == "stop-primary")
    resume = max(at(s["finished_at"]) for s in steps if s["id"] == "verify")
    standby = [s for s in steps if s["id"] in ("sync-standbys", "basebackup-standbys")]
    print(row.format(scale, method, "standby upgrade (%s)" % standby[0]["id"], sum(seconds(s) for s in standby)))
    print(row.format(scale, method, "WRITE DOWNTIME", (resume - stop).total_seconds()))


if __name__ == "__main__":
    main()
