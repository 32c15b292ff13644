import Foundation
import UpshiftLua
import UpshiftPlan

/// `upshift check`: the plan loads, and every hook it names compiles.
public enum PlanChecker {
    /// Loads the plan and compiles its hooks; throws `PlanErrors` listing everything wrong, by position.
    public static func check(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LoadedPlan {
        let loaded = try PlanLoader.load(path: path, environment: environment)
        var diagnostics: [PlanDiagnostic] = []
        for (run, source) in loaded.hookSources.sorted(by: { $0.key < $1.key }) {
            let position = loaded.hookReferences[run] ?? PlanPosition(line: 1, column: 1)
            do {
                try LuaSandbox.compileCheck(source: source, chunkName: run)
            } catch {
                diagnostics.append(PlanDiagnostic(file: loaded.path, line: position.line, column: position.column,
                                                  message: "hook \(run) does not compile: \(error)"))
            }
        }
        if !diagnostics.isEmpty { throw PlanErrors(diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }) }
        return loaded
    }
}
