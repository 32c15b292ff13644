import Foundation
import FuzzSupport
import UpshiftPlan

/// Loads one plan text the way an agent does (hooks from a reader, not the disk) and checks the outcome:
/// `PlanErrors` with positioned diagnostics, or a plan whose expansion holds together.
enum PlanCheck {
    static let path = "/fuzz/plans/plan.yaml"
    /// Variables `${…}` may name; any other is unset.
    static let environment = ["PG_ROOT": "/opt/pg", "AGENT_PORT": "7710", "DATA": "/d", "EMPTY": ""]

    static func run(_ text: String) {
        do {
            let loaded = try PlanLoader.parse(text: text, path: path, environment: environment, readFile: readHook)
            check(loaded)
            if let rehearsal = try? loaded.forRehearsal() { check(rehearsal) }
            if LibFuzzer.verbose { print("loaded: \(loaded.plan.strategy), \(StepPlanner.steps(for: loaded.plan).count) steps") }
        } catch let errors as PlanErrors {
            checkDiagnostics(errors)
            if LibFuzzer.verbose { print(errors) }
        } catch {
            LibFuzzer.fail("PlanLoader.parse threw \(String(reflecting: type(of: error))), not PlanErrors: \(error)")
        }
    }

    /// Hook files: any name loads, except names asking for the two failures a reader reports.
    private static func readHook(_ run: String) throws -> String {
        if run.contains("missing") { throw HookFileNotFound(path: run) }
        if run.contains("unreadable") { throw CocoaError(.fileReadNoPermission) }
        return "return function(ctx) end -- \(run)\n"
    }

    private static func checkDiagnostics(_ errors: PlanErrors) {
        guard !errors.diagnostics.isEmpty else { LibFuzzer.fail("PlanErrors without a diagnostic") }
        for diagnostic in errors.diagnostics {
            guard diagnostic.file == path, diagnostic.line >= 1, diagnostic.column >= 1, !diagnostic.message.isEmpty else {
                LibFuzzer.fail("malformed diagnostic: \(diagnostic)")
            }
        }
    }

    /// The plan's steps: unique ids (agents look steps up by id), hosts of the plan, hooks with their source.
    private static func check(_ loaded: LoadedPlan) {
        let plan = loaded.plan
        let hostNames = Set(plan.hosts.map(\.name))
        let steps = StepPlanner.steps(for: plan) + [StepPlanner.rollbackStep(for: plan)].compactMap { $0 }
            + StepPlanner.rollbackHookSteps(for: plan)
        var ids = Set<String>()
        for step in steps {
            guard ids.insert(step.id).inserted else { LibFuzzer.fail("two steps have the id '\(step.id)'") }
            guard step.hosts.allSatisfy(hostNames.contains) else {
                LibFuzzer.fail("step \(step.id) names hosts \(step.hosts) outside the plan's \(hostNames.sorted())")
            }
            _ = plan.options.stepTimeoutS(for: step.id)
            switch step.action {
            case .hook(let run, _):
                guard loaded.hookSources[run] != nil else { LibFuzzer.fail("step \(step.id) runs \(run), never read") }
            case .sql(let target, _):
                _ = Redaction.conninfo(target)
            case .builtin:
                break
            }
        }
        for endpoint in [plan.probe.write, plan.probe.read].compactMap({ $0 }) { _ = Redaction.conninfo(endpoint) }
    }
}
