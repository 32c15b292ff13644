import Foundation
import Testing
@testable import UpshiftPlan

/// A throwaway plan directory: the plan file plus any hook files it names.
struct Fixture {
    let directory: String

    init(hooks: [String] = ["Hooks/pgbouncer.lua", "Hooks/notify.lua", "Hooks/bulk_copy.lua", "hooks/check.lua"]) throws {
        directory = NSTemporaryDirectory() + "upshift-plan-" + UUID().uuidString
        for hook in hooks {
            let path = directory + "/" + hook
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "return function(ctx) end -- \(hook)\n".write(toFile: path, atomically: true, encoding: .utf8)
        }
    }

    var planPath: String { directory + "/plan.yaml" }

    /// Writes `yaml` as the plan and loads it.
    func load(_ yaml: String, environment: [String: String] = [:]) throws -> LoadedPlan {
        try yaml.write(toFile: planPath, atomically: true, encoding: .utf8)
        return try PlanLoader.load(path: planPath, environment: environment)
    }

    /// The diagnostics loading `yaml` produces (none when it loads).
    func diagnostics(_ yaml: String, environment: [String: String] = [:]) throws -> [PlanDiagnostic] {
        do {
            _ = try load(yaml, environment: environment)
            return []
        } catch let errors as PlanErrors {
            return errors.diagnostics
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A small valid in-place plan; malformed cases are written as edits of it.
let basePlan = """
version: 1
name: t
strategy: inplace
postgres:
  from: { version: 15, bindir: /pg/15/bin }
  to: { version: 17, bindir: /pg/17/bin }
tls: { dir: ./tls }
hosts:
  - name: db1
    agent: 127.0.0.1:7710
    role: primary
    pgdata: /d/15
    new_pgdata: /d/17
  - name: db2
    agent: 127.0.0.1:7711
    role: standby
    pgdata: /d/15
    new_pgdata: /d/17

"""

/// A small valid custom runbook with no `postgres:` section.
let baseCustom = """
version: 1
name: runbook
strategy: custom
tls: { dir: /etc/upshift/tls }
hosts:
  - { name: a, agent: "127.0.0.1:7801", role: primary, port: 5440, pgdata: /d/a }
  - { name: b, agent: "127.0.0.1:7802", role: standby, port: 5441, pgdata: /d/b }

"""

extension String {
    /// The text with `old` replaced, failing the test if `old` is not there (so edits cannot silently miss).
    func editing(_ old: String, _ new: String) -> String {
        #expect(contains(old), "edit target not found: \(old)")
        return replacingOccurrences(of: old, with: new)
    }
}
