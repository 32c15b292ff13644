import Foundation
import UpshiftLua
import UpshiftPlan

/// `upshift check`: the plan loads, and every hook it names compiles.
public enum PlanChecker {
    /// Loads the plan and compiles its hooks; throws `PlanErrors` listing everything wrong, by position.
    public static func check(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LoadedPlan {
        let loaded = try PlanLoader.load(path: path, environment: environment)
        var diagnostics: [PlanDiagnostic] = []
        for (run, position) in hookReferences(loaded.plan) {
            guard let source = loaded.hookSources[run] else { continue }
            do {
                try LuaSandbox.compileCheck(source: source, chunkName: run)
            } catch {
                diagnostics.append(PlanDiagnostic(file: loaded.path, line: position.line, column: position.column,
                                                  message: "hook \(run) does not compile: \(error)"))
            }
        }
        if !diagnostics.isEmpty { throw PlanErrors(diagnostics: diagnostics) }
        return loaded
    }

    /// Each distinct hook file the plan runs, with where the plan names it first.
    static func hookReferences(_ plan: Plan) -> [(String, (line: Int, column: Int))] {
        var seen = Set<String>()
        var references: [(String, (line: Int, column: Int))] = []
        for hook in plan.hooks where seen.insert(hook.run).inserted {
            references.append((hook.run, (hook.line, hook.column)))
        }
        for step in plan.steps {
            if let run = step.run, seen.insert(run).inserted {
                references.append((run, (step.line, step.column)))
            }
        }
        return references
    }
}
