import Foundation
import UpshiftWire

/// Renders a run summary as JSON or Markdown.
public enum ReportWriter {
    /// DESIGN.md's JSON report: plan, result, steps[], downtime, verify[].
    public static func json(_ summary: RunSummary) throws -> String {
        struct Report: Encodable {
            let summary: RunSummary
            func encode(to encoder: Encoder) throws {
                try summary.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                // Downtime as clients saw it comes from the probe, which this version does not run yet:
                // the report says so with nulls rather than inventing figures.
                var downtime = container.nestedContainer(keyedBy: Key.self, forKey: Key("downtime"))
                for key in ["write_ms", "read_ms", "failed_transactions"] { try downtime.encodeNil(forKey: Key(key)) }
            }
        }
        let encoder = JSONEncoder.journal
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(Report(summary: summary)), as: UTF8.self)
    }

    /// A Markdown report: outcome, then a table of every step on every host.
    public static func markdown(_ summary: RunSummary) -> String {
        var lines = ["# Upshift run \(summary.run): \(summary.plan)", "",
                     "- result: **\(summary.result)**" + (summary.reason.map { " — \($0)" } ?? ""),
                     "- plan sha256: `\(summary.planSHA256)`"]
        if let advice = summary.advice { lines.append("- **what to do**: \(advice)") }
        if let start = summary.startedAt { lines.append("- started: \(WireJSON.format(start))") }
        if let end = summary.finishedAt { lines.append("- finished: \(WireJSON.format(end))") }
        lines += ["", "| step | host | status | started | duration | detail |", "|---|---|---|---|---|---|"]
        for step in summary.steps {
            let started = step.startedAt.map { String(WireJSON.format($0).dropFirst(11)) } ?? ""
            let duration = step.durationMS.map { String(format: "%.2f s", Double($0) / 1000) } ?? ""
            let detail = (step.error ?? step.progress ?? "").replacingOccurrences(of: "|", with: "\\|")
            lines.append("| \(step.id) | \(step.host) | \(step.status) | \(started) | \(duration) | \(detail) |")
        }
        if !summary.verify.isEmpty {
            let differing = summary.verify.filter { !$0.match }
            lines += ["", "Verify: \(summary.verify.count - differing.count) of \(summary.verify.count) table checks match the old primary."]
            for row in differing { lines.append("- DIFFERS: \(row.table) on \(row.host): \(row.rowsOld) rows before, \(row.rowsNew) after") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
