#!/usr/bin/env python3
"""Writes man pages (section 1) for a built ArgumentParser tool, one page per command and subcommand.

usage: scripts/manpages.py TOOL OUTPUT_DIR

Reads what `TOOL --experimental-dump-help` prints, so it works on any build of the tool (debug or release)
and never rebuilds anything: upshift.1, upshift-run.1, upshift-certs-init.1, ...
"""
import json
import os
import subprocess
import sys


def escape(text):
    """Text safe for roff: backslashes, hyphens and a leading control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def flag_name(name):
    return ("-" if name["kind"] == "short" else "--") + name["name"]


def synopsis_item(argument):
    if argument["kind"] == "positional":
        item = "\\fI%s\\fR" % escape(argument["valueName"])
    else:
        item = "\\fB%s\\fR" % escape(flag_name(argument["preferredName"]))
        if argument["kind"] == "option":
            item += " \\fI%s\\fR" % escape(argument["valueName"])
    if argument.get("isRepeating"):
        item += " ..."
    return "[%s]" % item if argument.get("isOptional") else item


def page(command, path, tool):
    name = " ".join(path)
    shown = [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)]
    subcommands = [c for c in command.get("subcommands", []) if c.get("shouldDisplay", True) and c["commandName"] != "help"]
    lines = ['.TH "%s" 1 "" "%s" "User Commands"' % ("-".join(path).upper(), tool),
             ".SH NAME", "%s \\- %s" % (escape(name), escape(command.get("abstract", ""))),
             ".SH SYNOPSIS", ".B %s" % escape(name)]
    if subcommands:
        lines.append("\\fIsubcommand\\fR")
    lines += [synopsis_item(a) for a in shown]
    if command.get("discussion"):
        lines += [".SH DESCRIPTION"] + [escape(p) if p.strip() else ".PP" for p in command["discussion"].split("\n")]
    if shown:
        lines.append(".SH OPTIONS")
        for argument in shown:
            if argument["kind"] == "positional":
                label = "\\fI%s\\fR" % escape(argument["valueName"])
            else:
                label = ", ".join("\\fB%s\\fR" % escape(flag_name(n)) for n in argument.get("names", []))
                if argument["kind"] == "option":
                    label += " \\fI%s\\fR" % escape(argument["valueName"])
            text = argument.get("abstract", "")
            if argument.get("defaultValue") is not None:
                text += " (default: %s)" % argument["defaultValue"]
            if argument.get("allValues"):
                text += " (values: %s)" % ", ".join(argument["allValues"])
            lines += [".TP", label, escape(text)]
    if subcommands:
        lines.append(".SH SUBCOMMANDS")
        for sub in subcommands:
            lines += [".TP", "\\fB%s\\fR" % escape(sub["commandName"]), escape(sub.get("abstract", ""))]
        lines += [".SH SEE ALSO", ", ".join("\\fB%s\\fR(1)" % escape("-".join(path + [s["commandName"]])) for s in subcommands)]
    return "\n".join(lines) + "\n"


def walk(command, path, tool, out, written):
    target = os.path.join(out, "-".join(path) + ".1")
    with open(target, "w") as handle:
        handle.write(page(command, path, tool))
    written.append(target)
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            walk(sub, path + [sub["commandName"]], tool, out, written)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().split("\n\n")[1])
    tool, out = sys.argv[1], sys.argv[2]
    dump = json.loads(subprocess.run([tool, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout)
    command = dump["command"]
    os.makedirs(out, exist_ok=True)
    written = []
    walk(command, [command["commandName"]], command["commandName"], out, written)
    print("\n".join(written))


if __name__ == "__main__":
    main()
