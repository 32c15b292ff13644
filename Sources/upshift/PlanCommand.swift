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

    @Option(help: "Folder of earlier runs whose timings predict this one (default: runs/ beside the plan).")
    var runs: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        let loaded = try loadCheckedPlan(plan)
        let steps = StepPlanner.steps(for: loaded.plan)
        let runsDirectory = runs ?? URL(fileURLWithPath: loaded.path).deletingLastPathComponent().appendingPathComponent("runs").path
        let prediction = Prediction.latest(planName: loaded.plan.name, in: runsDirectory)
        if output.json {
            let items = steps.map { step -> [String: Any] in
                var item: [String: Any] = ["id": step.id, "hosts": step.hosts, "point_of_no_return": step.isPointOfNoReturn,
                                           "downtime": step.downtime.rawValue]
                item["expected_ms"] = prediction?.stepMS[step.id]
                return item
            }
            var object: [String: Any] = ["plan": loaded.plan.name, "steps": items]
            if loaded.plan.strategy == .inplace { object["proof"] = loaded.plan.options.verify.rawValue }
            object["fenced_cost"] = prediction?.fencedCost
            if let prediction {
                object["expected"] = ["based_on": prediction.basedOn, "rehearsal": prediction.basedOnRehearsal,
                                      "write_ms": prediction.writeMS as Any, "read_ms": prediction.readMS as Any]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("plan \(loaded.plan.name) (\(loaded.plan.strategy.rawValue)), \(steps.count) steps")
        if let prediction {
            let write = prediction.writeMS.map { String(format: "%.1f s", Double($0) / 1000) } ?? "unknown"
            let read = prediction.readMS.map { String(format: "%.1f s", Double($0) / 1000) } ?? "unknown"
            print("expected from \(prediction.basedOnRehearsal ? "rehearsal" : "run") \(prediction.basedOn): write downtime \(write), read downtime \(read)")
        } else {
            print("no finished run or rehearsal of this plan in \(runsDirectory): durations unknown (run `upshift run --rehearsal` first)")
        }
        if loaded.plan.strategy != .custom {
            print("proof: \(loaded.plan.options.verify.proofSummary(loaded.plan.strategy))")
            if let cost = prediction?.fencedCost { print("cost of the content proof: \(cost)") }
            if loaded.plan.options.verify == .structural {
                print("warning: verify: structural compares no row contents; `verify: fenced` proves every table's rows "
                      + "and content inside the write window")
            }
        }
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
            let expected = prediction.map { $0.stepMS[step.id].map { String(format: "%7.1f s  ", Double($0) / 1000) } ?? "      ?    " } ?? ""
            let mark = marks.isEmpty ? "" : "  [" + marks.joined(separator: ", ") + "]"
            print(String(format: "%3d  ", number + 1) + "\(id)  \(expected)\(step.hosts.joined(separator: ", "))\(mark)")
        }
    }
}
