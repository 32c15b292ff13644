import ArgumentParser
import Foundation
import UpshiftCoordinator
import UpshiftPlan

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the plan's expanded steps in order, with the hosts each runs on and the point of no return."
    )

    @Argument(help: "The plan file.")
    var plan: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let loaded = try loadCheckedPlan(plan)
        let steps = StepPlanner.steps(for: loaded.plan)
        if output.json {
            let items = steps.map { step -> [String: Any] in
                ["id": step.id, "hosts": step.hosts, "point_of_no_return": step.isPointOfNoReturn, "downtime": "\(step.downtime)"]
            }
            let data = try JSONSerialization.data(withJSONObject: ["plan": loaded.plan.name, "steps": items], options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("plan \(loaded.plan.name) (\(loaded.plan.strategy.rawValue)), \(steps.count) steps")
        let width = max(12, steps.map(\.id.count).max() ?? 0)
        for (number, step) in steps.enumerated() {
            var marks: [String] = []
            if step.isPointOfNoReturn { marks.append("POINT OF NO RETURN") }
            switch step.downtime {
            case .writesStop: marks.append("writes stop")
            case .writesResume: marks.append("writes resume")
            case .readsStop: marks.append("reads stop")
            case .readsResume: marks.append("reads resume")
            case .none: break
            }
            let id = step.id.padding(toLength: width, withPad: " ", startingAt: 0)
            let mark = marks.isEmpty ? "" : "  [" + marks.joined(separator: ", ") + "]"
            print(String(format: "%3d  ", number + 1) + "\(id)  \(step.hosts.joined(separator: ", "))\(mark)")
        }
    }
}
