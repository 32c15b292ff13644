import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a plan offline: schema, references, hooks compile. Changes nothing."
    )

    @Argument(help: "The plan file.")
    var plan: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        do {
            let loaded = try PlanChecker.check(path: plan)
            let steps = StepPlanner.steps(for: loaded.plan)
            if output.json {
                print(#"{"ok":true,"plan":"\#(loaded.plan.name)","steps":\#(steps.count)}"#)
            } else {
                let proof = loaded.plan.strategy == .inplace ? ", proof: \(loaded.plan.options.verify.rawValue)" : ""
                print("\(plan): ok (\(loaded.plan.strategy.rawValue), \(loaded.plan.hosts.count) hosts, \(steps.count) steps\(proof))")
            }
        } catch let errors as PlanErrors {
            if output.json {
                let items = errors.diagnostics.map { ["file": $0.file, "line": $0.line, "column": $0.column, "message": $0.message] as [String: Any] }
                let data = try JSONSerialization.data(withJSONObject: ["ok": false, "errors": items], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                printError(errors.description)
            }
            throw ExitCode(1)
        }
    }
}
