import Foundation

extension InplaceContext {
    /// `preflight`: every read-only check of `InplacePreflight`; the step fails when one of them does.
    func preflight() throws {
        var failed: [String] = []
        let scratch = try workDirectory() + "/preflight"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var limits = PreflightLimits()
        limits.schemaRestore = plan.options.schemaRestoreCheck
        try InplacePreflight(plan: plan, host: host, scratchDirectory: scratch, limits: limits, launcher: launcher).run { check in
            emit(.check(check))
            if check.verdict == .fail { failed.append(check.name) }
        }
        if !failed.isEmpty { throw AgentError("preflight failed on \(host.name): \(failed.joined(separator: ", "))") }
    }
}
