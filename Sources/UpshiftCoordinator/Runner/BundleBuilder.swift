import Foundation
import UpshiftPlan
import UpshiftWire

/// Packs a loaded plan for the agents: its text, its hooks, and the `${VAR}` values it was read with.
public enum BundleBuilder {
    /// The bundle every agent of the run receives; `rehearsal` marks it for the plan's rehearsal fleet.
    public static func bundle(for loaded: LoadedPlan, environment: [String: String] = ProcessInfo.processInfo.environment,
                              rehearsal: Bool = false) -> PlanBundle {
        var variables: [String: String] = [:]
        for name in referencedVariables(in: loaded.text) {
            if let value = environment[name] { variables[name] = value }
        }
        let name = URL(fileURLWithPath: loaded.path).lastPathComponent
        return PlanBundle(planPath: name, planText: loaded.text, hooks: loaded.hookSources, variables: variables, rehearsal: rehearsal)
    }

    /// Names written as `${NAME}` in the text.
    static func referencedVariables(in text: String) -> Set<String> {
        var names = Set<String>()
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            rest = rest[open.upperBound...]
            guard let close = rest.firstIndex(of: "}") else { break }
            let name = rest[..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { names.insert(String(name)) }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

extension Plan {
    /// The bin directories the plan names (old and new), for agents to probe.
    var bindirs: [String] {
        [postgres?.from.bindir, postgres?.to.bindir].compactMap { $0 }
    }
}
