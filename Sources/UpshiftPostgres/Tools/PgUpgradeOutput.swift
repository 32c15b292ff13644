import Foundation

/// One phase line of pg_upgrade's output.
public struct PgUpgradePhase: Sendable, Equatable {
    /// A section heading (`Performing Consistency Checks`, `Performing Upgrade`, `Upgrade Complete`) or one step.
    public enum Kind: Sendable { case section, step }
    /// Heading or step.
    public var kind: Kind
    /// The phase name, e.g. `Checking cluster versions` or `Linking user relation files`.
    public var name: String
    /// How a step ended (`ok`, `fatal`, `*failure*`, `warning`); nil while it runs, and for sections.
    public var outcome: String?
}

/// Reads pg_upgrade's progress from its output lines.
public enum PgUpgradeOutput {
    private static let sections = ["Performing Consistency Checks", "Performing Upgrade", "Upgrade Complete",
                                   "*Clusters are compatible*"]
    private static let outcomes = ["ok", "fatal", "*failure*", "failure", "warning", "skipped"]

    /// The phase a line announces; works on a step's unfinished line (`Copying user relation files   `)
    /// and on its finished one (`… ok`). Nil for every other line.
    public static func phase(of line: String) -> PgUpgradePhase? {
        let text = line.trimmingWhitespace()
        if sections.contains(text) {
            return PgUpgradePhase(kind: .section, name: text.trimmingCharacters(in: ["*"]), outcome: nil)
        }
        // A step is printed left-aligned and padded to a fixed width, so its name ends in a run of spaces.
        guard let first = text.first, first.isUppercase, let padding = line.range(of: "  ") else { return nil }
        let name = String(line[..<padding.lowerBound]).trimmingWhitespace()
        let rest = String(line[padding.upperBound...]).trimmingWhitespace()
        guard !name.isEmpty else { return nil }
        if rest.isEmpty { return PgUpgradePhase(kind: .step, name: name, outcome: nil) }
        guard outcomes.contains(rest) else { return nil }
        return PgUpgradePhase(kind: .step, name: name, outcome: rest)
    }

    /// The log file pg_upgrade names when it fails (`Consult the last few lines of "…" for the probable cause`).
    public static func failureLog(in output: String) -> String? {
        guard let marker = output.range(of: "Consult the last few lines of \"") else { return nil }
        let rest = output[marker.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
