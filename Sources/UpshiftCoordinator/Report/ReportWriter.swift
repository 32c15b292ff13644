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
                // The downtime probe and the verify step come with the in-place strategy; until a run has
                // them, the report says so with nulls rather than inventing figures.
                try container.encode(Downtime(), forKey: Key("downtime"))
                try container.encode([String](), forKey: Key("verify"))
            }
        }
        struct Downtime: Encodable {
            var write_ms: Int? = nil
            var read_ms: Int? = nil
            var failed_transactions: Int? = nil
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encodeNil(forKey: Key("write_ms"))
                try c.encodeNil(forKey: Key("read_ms"))
                try c.encodeNil(forKey: Key("failed_transactions"))
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
