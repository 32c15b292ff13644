import Yams

/// A decoded custom step plus the node its `on:` reference is checked at.
struct StepDraft {
    var spec: CustomStepSpec
    var onNode: Node?
}

extension PlanDecoder {
    static let customStepKeys = ["id", "on", "run", "sql", "target", "with", "point_of_no_return", "downtime"]
    static let sqlTargets = ["old", "new", "source", "target"]

    /// `steps:` of a custom plan: unique ids, a hook file or SQL each, at most one point of no return.
    func decodeCustomSteps(_ top: MappingReader) {
        guard let node = top.required("steps"), let items = context.list(node, key: "steps") else { return }
        if items.isEmpty { context.error(at: node, "'steps' lists no step") }
        var firstLine: [String: Int] = [:]
        var pointOfNoReturn: String?
        for item in items {
            guard let m = MappingReader(item, key: "steps", item: true, what: "step", context: context) else { continue }
            m.rejectUnknownKeys(allowed: Self.customStepKeys)
            let id = m.string("id", required: true).flatMap { checkStepID($0, node: m.node("id")!, seen: &firstLine) }
            let action = customAction(m)
            let on = m.string("on")
            let ponr = m.bool("point_of_no_return") ?? false
            let downtime: DowntimeMark = m.choice("downtime") ?? DowntimeMark.none
            if ponr, let id {
                if let first = pointOfNoReturn {
                    context.error(at: m.node("point_of_no_return"),
                                  "only one step may be the point of no return ('\(first)' already is)")
                } else {
                    pointOfNoReturn = id
                }
            }
            guard let id, let action else { continue }
            let spec = CustomStepSpec(id: id, on: on, run: action.run?.run, path: action.run?.path, sql: action.sql,
                                      target: action.target, with: action.with, pointOfNoReturn: ponr, downtime: downtime)
            stepDrafts.append(StepDraft(spec: spec, onNode: m.node("on")))
        }
    }

    private func checkStepID(_ id: String, node: Node, seen: inout [String: Int]) -> String? {
        guard id.unicodeScalars.allSatisfy({ $0.isNameCharacter && !("A"..."Z").contains($0) }) else {
            context.error(at: node, "step id must be lower-case letters, digits and '-', got '\(id)'")
            return nil
        }
        if let first = seen[id] {
            context.error(at: node, "duplicate step id '\(id)' (first at line \(first))")
            return nil
        }
        seen[id] = node.mark?.line ?? 0
        return id
    }

    private typealias CustomAction = (run: (run: String, path: String)?, sql: String?, target: String?, with: JSONValue)

    private func customAction(_ m: MappingReader) -> CustomAction? {
        switch (m.node("run"), m.node("sql")) {
        case (nil, nil):
            context.error(at: m.mark, "missing required key 'run' or 'sql' in step")
            return nil
        case (.some, .some):
            m.rejectKey("sql", because: "cannot be given with 'run': a step runs a hook file or SQL, not both")
            return nil
        case (.some(let runNode), nil):
            m.rejectKey("target", because: "applies only to 'sql' steps (a hook picks its own targets)")
            let with = m.node("with").map(withTable) ?? .object([:])
            guard let run = hookFile(runNode), let with else { return nil }
            return (run, nil, nil, with)
        case (nil, .some):
            m.rejectKey("with", because: "applies only to 'run' steps")
            let sql = m.string("sql")
            let target = m.node("target").map { sqlTarget($0) } ?? "old"
            guard let sql, let target else { return nil }
            return (nil, sql, target, .object([:]))
        }
    }

    private func sqlTarget(_ node: Node) -> String? {
        guard let text = context.string(node, key: "target") else { return nil }
        let isConninfo = text.contains("=") || text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
        guard Self.sqlTargets.contains(text) || isConninfo else {
            context.error(at: node, "'target' expects old, new, source, target or a conninfo, got '\(text)'")
            return nil
        }
        return text
    }
}
