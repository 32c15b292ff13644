import Foundation
import UpshiftPlan

/// A run report as one self-contained HTML file: an SVG timeline (a lane per host, a bar per step, the
/// downtime windows shaded, the point of no return marked), then downtime, predicted vs actual, checks,
/// verify and what to do next.
public enum HTMLReport {
    /// The whole page.
    public static func render(_ report: RunReport) -> String {
        let summary = report.summary
        var body = ["<h1>\(escape(summary.plan))\(report.rehearsal ? " <span class=tag>rehearsal</span>" : "")</h1>",
                    "<p class=meta>run \(escape(summary.run)) · plan sha256 <code>\(escape(String(summary.planSHA256.prefix(12))))</code>"
                        + (summary.startedAt.map { " · started \(escape(ReportWriter.time($0))) UTC" } ?? "") + "</p>",
                    "<p class=\"result \(escape(summary.result))\">\(escape(summary.result.replacingOccurrences(of: "_", with: " ")))"
                        + (summary.reason.map { " — \(escape($0))" } ?? "") + "</p>"]
        if let advice = summary.advice { body.append("<div class=advice><b>What to do next.</b> \(escape(advice))</div>") }
        if summary.result == "failed" {
            body.append("<div class=advice><b>What to do next.</b> The run stopped before its point of no return. "
                        + "Fix the cause above (the failed step's error, the checks) and run the plan again.</div>")
        }
        if summary.result == "rolled_back" {
            body.append("<div class=advice><b>What to do next.</b> The old cluster was started again on the old version, intact. "
                        + "Fix the cause above (the failed step's error, the agents' logs) and run the plan again.</div>")
        }
        body.append("<h2>Timeline</h2>")
        body.append(Timeline(report: report).svg())
        body.append(downtimeSection(report))
        body.append(stepsSection(report))
        if !summary.checks.isEmpty { body.append(checksSection(summary)) }
        body.append(verifySection(summary))
        let replication = ReportWriter.replicationLines(summary.replication)
        if !replication.isEmpty {
            body.append("<h2>Replication</h2><ul>" + replication.dropFirst(2).map { "<li>\(escape(String($0.dropFirst(2))))</li>" }.joined() + "</ul>")
        }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Upshift: \(escape(summary.plan)) \(escape(summary.run))</title>
        <style>\(style)</style></head>
        <body>
        \(body.joined(separator: "\n"))
        </body></html>

        """
    }

    private static func downtimeSection(_ report: RunReport) -> String {
        var rows: [String] = []
        func row(_ name: String, _ values: [String]) {
            rows.append("<tr><th>\(escape(name))</th>" + values.map { "<td>\($0)</td>" }.joined() + "</tr>")
        }
        let probe = report.downtime
        let predicted = report.prediction
        row("write downtime", [probe?.writeMS.map(seconds) ?? "—", report.journalWriteWindow.map { seconds($0.ms) } ?? "—",
                               predicted?.writeMS.map(seconds) ?? "—"])
        row("read downtime", [probe.map { seconds($0.readMS) } ?? "—", report.journalReadWindow.map { seconds($0.ms) } ?? "—",
                              predicted?.readMS.map(seconds) ?? "—"])
        var html = "<h2>Downtime</h2><table class=figures><tr><th></th><th>clients saw (probe)</th><th>journal window</th><th>predicted</th></tr>"
            + rows.joined() + "</table>"
        if let probe {
            html += "<p>\(probe.writes) writes and \(probe.reads) reads probed: <b>\(probe.failedTransactions) failed transactions</b>, "
                + "\(probe.failedReads) failed reads; longest write stall \(seconds(probe.longestWriteStallMS)), longest read stall "
                + "\(seconds(probe.longestReadStallMS)); \(probe.readsFromStandby) reads answered by a standby, \(probe.readsFromPrimary) by a primary; "
                + "\(probe.writesOnNewVersion) writes on the new version.\(probe.writesRecovered ? "" : " <b>Writes had not come back when the probe stopped.</b>")</p>"
        } else {
            html += "<p>The run had no probe, so the downtime clients saw was not measured.</p>"
        }
        return html
    }

    private static func stepsSection(_ report: RunReport) -> String {
        let comparisons = ReportWriter.comparisons(report)
        let byStep = Dictionary(grouping: report.summary.steps, by: \.id)
        var html = "<h2>Steps</h2>"
        if let prediction = report.prediction {
            html += "<p>Predicted from \(prediction.basedOnRehearsal ? "rehearsal" : "run") \(escape(prediction.basedOn)).</p>"
        }
        html += "<table><tr><th>step</th><th>hosts</th><th>status</th><th>predicted</th><th>actual</th><th>detail</th></tr>"
        for comparison in comparisons {
            let runs = byStep[comparison.id] ?? []
            let step = report.steps.first { $0.id == comparison.id }
            let status = runs.isEmpty ? "not run" : runs.contains { $0.status == "failed" } ? "failed"
                : runs.allSatisfy { $0.status == "done" } ? "done" : "running"
            var marks: [String] = []
            if step?.isPointOfNoReturn == true { marks.append("<span class=tag>point of no return</span>") }
            if let mark = step?.downtime, mark != .none { marks.append("<span class=tag>\(mark.rawValue)</span>") }
            let detail = runs.compactMap { run in (run.error ?? run.progress).map { "\(run.host): \($0)" } }.joined(separator: "; ")
            html += "<tr class=\"\(status.replacingOccurrences(of: " ", with: "-"))\"><td><code>\(escape(comparison.id))</code> \(marks.joined(separator: " "))</td>"
                + "<td>\(escape((step?.hosts ?? runs.map(\.host)).joined(separator: ", ")))</td><td>\(status)</td>"
                + "<td>\(comparison.predictedMS.map(seconds) ?? "—")</td><td>\(comparison.actualMS.map(seconds) ?? "—")</td>"
                + "<td>\(escape(detail))</td></tr>"
        }
        return html + "</table>"
    }

    private static func checksSection(_ summary: RunSummary) -> String {
        var html = "<h2>Checks</h2><table><tr><th>check</th><th>host</th><th>verdict</th><th>detail</th></tr>"
        for check in summary.checks {
            html += "<tr class=\(escape(check.verdict))><td>\(escape(check.name))</td><td>\(escape(check.host))</td>"
                + "<td>\(escape(check.verdict))</td><td>\(escape(check.text))</td></tr>"
        }
        return html + "</table>"
    }

    private static func verifySection(_ summary: RunSummary) -> String {
        guard !summary.verify.isEmpty else { return "<h2>Verify</h2><p>Proof: \(escape(summary.proof)).</p>" }
        let matching = summary.verify.filter(\.match).count
        var html = "<h2>Verify</h2><p>\(matching) of \(summary.verify.count) table checks match the old cluster "
            + "(row count and content checksum).</p><table><tr><th>table</th><th>host</th><th>rows before</th><th>rows after</th><th>checksum</th></tr>"
        for row in summary.verify.sorted(by: { ($0.match ? 1 : 0, $0.table, $0.host) < ($1.match ? 1 : 0, $1.table, $1.host) }) {
            html += "<tr class=\(row.match ? "done" : "failed")><td>\(escape(row.table))</td><td>\(escape(row.host))</td>"
                + "<td>\(row.rowsOld)</td><td>\(row.rowsNew)</td><td>\(row.match ? "match" : "DIFFERS")</td></tr>"
        }
        return html + "</table>"
    }

    static func seconds(_ ms: Int) -> String { DowntimeFigures.seconds(ms) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px 32px;color:#1d2330;max-width:1240px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
        .meta{color:#667085;margin:0 0 10px}.result{font-size:16px;font-weight:600;padding:6px 10px;border-radius:6px;display:inline-block}
        .result.done{background:#e3f6e8;color:#17693a}.result.failed,.result.rolled_back,.result.failed_after_point_of_no_return{background:#fde8e8;color:#a11d1d}
        .result.running{background:#eef2f7}.advice{margin:10px 0;padding:10px 12px;border-left:4px solid #d92d20;background:#fff4f2}
        table{border-collapse:collapse;margin:6px 0;font-size:13px}td,th{border:1px solid #dde2ea;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f5f7fa}tr.failed td,tr.fail td{background:#fdecec}tr.warn td{background:#fff8e6}
        .tag{font-size:11px;background:#eef0f6;border-radius:4px;padding:1px 5px;color:#444;font-weight:normal}
        code{font-size:12px}svg{display:block;margin:8px 0;background:#fff;border:1px solid #e3e7ee;border-radius:6px}
        svg text{font:11px system-ui,sans-serif;fill:#1d2330}svg .lane{font-weight:600}svg .axis{fill:#667085}
        """
}

/// The SVG timeline: time runs left to right from the run's start; one lane per host.
struct Timeline {
    let report: RunReport
    let left = 120.0, plotWidth = 1060.0, top = 34.0, laneHeight = 68.0, barHeight = 22.0, probeLaneHeight = 24.0, labelRows = 3

    func svg() -> String {
        let runs = report.summary.steps.filter { $0.startedAt != nil }
        let starts = runs.compactMap(\.startedAt) + [report.summary.startedAt].compactMap { $0 }
        let ends = runs.compactMap(\.finishedAt) + [report.summary.finishedAt].compactMap { $0 }
        guard let origin = starts.min(), let end = (ends + starts).max() else {
            return "<p>No step started in this run.</p>"
        }
        let span = max(end.timeIntervalSince(origin), 1)
        func x(_ date: Date) -> Double { left + max(0, date.timeIntervalSince(origin)) / span * plotWidth }
        let lanes = report.hosts + report.summary.steps.map(\.host).filter { !report.hosts.contains($0) }.uniqued()
        let (shaded, probeLanes, legend) = downtimeMarks()
        let height = top + Double(lanes.count) * laneHeight + Double(probeLanes.count) * probeLaneHeight + 44
        let width = left + plotWidth + 20
        var parts: [String] = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"run timeline\">"]
        let plotBottom = top + Double(lanes.count) * laneHeight
        if let (window, title, opacity) = shaded {
            parts.append(shade(x(window.from), x(window.to), plotBottom, "#f04438", opacity, title))
        }
        for (index, lane) in probeLanes.enumerated() {
            let laneTop = plotBottom + Double(index) * probeLaneHeight
            parts.append("<line x1=\"0\" y1=\"\(f(laneTop))\" x2=\"\(f(width))\" y2=\"\(f(laneTop))\" stroke=\"#e3e7ee\"/>")
            parts.append("<text class=\"axis\" x=\"10\" y=\"\(f(laneTop + 16))\">\(HTMLReport.escape(lane.name))</text>")
            if lane.windows.isEmpty {
                parts.append("<text class=\"axis\" x=\"\(f(left + 4))\" y=\"\(f(laneTop + 16))\">no outage</text>")
            }
            for window in lane.windows {
                let x0 = x(window.from), x1 = max(x(window.to), x(window.from) + 2)
                parts.append("<rect x=\"\(f(x0))\" y=\"\(f(laneTop + 5))\" width=\"\(f(x1 - x0))\" height=\"14\" rx=\"2\" fill=\"\(lane.color)\"><title>\(HTMLReport.escape(lane.name)): \(HTMLReport.seconds(window.ms))</title></rect>")
                parts.append("<text x=\"\(f(x1 + 4))\" y=\"\(f(laneTop + 16))\">\(HTMLReport.seconds(window.ms))</text>")
            }
        }
        let axisTop = plotBottom + Double(probeLanes.count) * probeLaneHeight

        // Axis with round ticks.
        let tick = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].first { span / $0 <= 12 } ?? 7200
        var t = 0.0
        while t <= span + 0.001 {
            let px = left + t / span * plotWidth
            parts.append("<line x1=\"\(f(px))\" y1=\"\(f(top - 6))\" x2=\"\(f(px))\" y2=\"\(f(plotBottom))\" stroke=\"#eef0f4\"/>")
            parts.append("<text class=\"axis\" x=\"\(f(px))\" y=\"\(f(axisTop + 16))\" text-anchor=\"middle\">\(label(t))</text>")
            t += tick
        }

        for (index, host) in lanes.enumerated() {
            let laneTop = top + Double(index) * laneHeight
            parts.append("<line x1=\"0\" y1=\"\(f(laneTop))\" x2=\"\(f(width))\" y2=\"\(f(laneTop))\" stroke=\"#e3e7ee\"/>")
            parts.append("<text class=\"lane\" x=\"10\" y=\"\(f(laneTop + 8 + barHeight / 2 + 4))\">\(HTMLReport.escape(host))</text>")
            let hostRuns = runs.filter { $0.host == host }.sorted { $0.startedAt! < $1.startedAt! }
            var labelRowEnds = [Double](repeating: 0, count: labelRows)
            for run in hostRuns {
                let x0 = x(run.startedAt!)
                let x1 = max(x0 + 2, x(run.finishedAt ?? end))
                let color = run.status == "failed" ? "#d92d20" : run.id.contains(":") ? "#7a9cc6" : run.id == BuiltinStep.rollback.id ? "#9e77ed" : "#2e6bd1"
                let duration = run.durationMS.map(HTMLReport.seconds) ?? "unfinished"
                let tooltip = "\(run.id) on \(host): \(run.status), \(duration)" + (run.error.map { " — \($0)" } ?? "")
                parts.append("<rect x=\"\(f(x0))\" y=\"\(f(laneTop + 8))\" width=\"\(f(x1 - x0))\" height=\"\(f(barHeight))\" rx=\"3\" fill=\"\(color)\"><title>\(HTMLReport.escape(tooltip))</title></rect>")
                let text = HTMLReport.escape(run.id)
                if Double(run.id.count) * 6.2 + 6 < x1 - x0 {
                    parts.append("<text x=\"\(f(x0 + 4))\" y=\"\(f(laneTop + 8 + barHeight / 2 + 4))\" style=\"fill:#fff\">\(text)</text>")
                } else if let row = labelRowEnds.firstIndex(where: { $0 <= x0 }) {
                    // Narrow bars are labelled below, in the first row where the label meets no other; a bar
                    // with no room left keeps its tooltip only.
                    labelRowEnds[row] = x0 + Double(run.id.count) * 5.4 + 6
                    let y = laneTop + 8 + barHeight + 11 + Double(row) * 11
                    parts.append("<text x=\"\(f(x0))\" y=\"\(f(y))\" style=\"font-size:9.5px\">\(text)</text>")
                }
            }
        }

        if let ponr = report.pointOfNoReturnAt {
            let px = x(ponr)
            parts.append("<line x1=\"\(f(px))\" y1=\"\(f(top - 14))\" x2=\"\(f(px))\" y2=\"\(f(axisTop))\" stroke=\"#101828\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>")
            parts.append("<text x=\"\(f(px + 4))\" y=\"\(f(top - 16))\" style=\"font-weight:600\">point of no return</text>")
        }
        var lx = left
        for (color, text) in legend {
            parts.append("<rect x=\"\(f(lx))\" y=\"\(f(axisTop + 26))\" width=\"12\" height=\"10\" fill=\"\(color)\" fill-opacity=\"0.5\"/>")
            parts.append("<text x=\"\(f(lx + 16))\" y=\"\(f(axisTop + 35))\">\(HTMLReport.escape(text))</text>")
            lx += 16 + Double(text.count) * 6.2 + 24
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    typealias Lane = (name: String, windows: [DowntimeFigures.Window], color: String)

    /// The write window shaded behind every host lane (the probe's when measured, else the journal's), the
    /// lanes of outages drawn under the hosts, and the legend.
    private func downtimeMarks() -> (shaded: (DowntimeFigures.Window, String, Double)?, lanes: [Lane], legend: [(String, String)]) {
        if let probe = report.downtime {
            var shaded: (DowntimeFigures.Window, String, Double)?
            var legend: [(String, String)] = []
            var writes: [DowntimeFigures.Window] = []
            if let from = probe.writeWindowFrom, let to = probe.writeWindowTo {
                let window = DowntimeFigures.Window(from: from, to: to)
                shaded = (window, "writes failed or waited (probe): \(HTMLReport.seconds(probe.writeMS ?? 0))", 0.13)
                legend.append(("#f04438", "write downtime clients saw (probe) \(HTMLReport.seconds(probe.writeMS ?? 0))"))
                writes = [window]
            }
            legend.append(("#f79009", "read downtime clients saw (probe) \(HTMLReport.seconds(probe.readMS))"))
            return (shaded, [("writes (probe)", writes, "#d92d20"), ("reads (probe)", probe.readWindows, "#f79009")], legend)
        }
        var shaded: (DowntimeFigures.Window, String, Double)?
        var lanes: [Lane] = []
        var legend: [(String, String)] = []
        if let window = report.journalWriteWindow {
            shaded = (window, "writes stopped (journal): \(HTMLReport.seconds(window.ms))", 0.12)
            legend.append(("#f04438", "writes stopped (journal) \(HTMLReport.seconds(window.ms))"))
        }
        if let window = report.journalReadWindow {
            lanes.append(("reads (journal)", [window], "#f79009"))
            legend.append(("#f79009", "reads stopped (journal) \(HTMLReport.seconds(window.ms))"))
        }
        return (shaded, lanes, legend)
    }

    private func shade(_ x0: Double, _ x1: Double, _ bottom: Double, _ color: String, _ opacity: Double, _ title: String) -> String {
        "<rect x=\"\(f(x0))\" y=\"\(f(top - 6))\" width=\"\(f(max(x1 - x0, 1.5)))\" height=\"\(f(bottom - top + 6))\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"><title>\(HTMLReport.escape(title))</title></rect>"
    }

    private func label(_ seconds: Double) -> String {
        seconds >= 120 ? String(format: "%.0f min", seconds / 60) : seconds == seconds.rounded() ? String(format: "%.0f s", seconds) : String(format: "%.1f s", seconds)
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
