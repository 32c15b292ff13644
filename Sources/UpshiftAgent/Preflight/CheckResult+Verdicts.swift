import UpshiftWire

extension CheckResult {
    static func pass(_ name: String, _ detail: String) -> CheckResult {
        CheckResult(name: name, verdict: .pass, detail: detail)
    }

    static func warn(_ name: String, _ detail: String, remedy: String) -> CheckResult {
        CheckResult(name: name, verdict: .warn, detail: detail, remedy: remedy)
    }

    static func fail(_ name: String, _ detail: String, remedy: String) -> CheckResult {
        CheckResult(name: name, verdict: .fail, detail: detail, remedy: remedy)
    }

    /// Runs a check; a check that could not finish (a query error, a program that would not start) fails,
    /// since a check that cannot look must not let the upgrade through.
    static func guarded(_ name: String, remedy: String, _ body: () throws -> CheckResult) -> CheckResult {
        do {
            return try body()
        } catch {
            return .fail(name, "could not check: \(error)", remedy: remedy)
        }
    }

    var passedOrWarned: Bool { verdict != .fail }
}

/// `a, b, c` with at most `limit` items and `and N more`.
func listed(_ items: [String], limit: Int = 5) -> String {
    let shown = items.prefix(limit).joined(separator: ", ")
    return items.count > limit ? "\(shown) and \(items.count - limit) more" : shown
}

/// `1 extension`, `3 extensions`.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

/// Bytes as PostgreSQL prints sizes (1024-based), e.g. `1536 MB`.
func sizeText(_ bytes: Int64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 10 * 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return "\(Int64(value.rounded())) \(units[unit])"
}
