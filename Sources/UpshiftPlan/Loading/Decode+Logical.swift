import Yams

extension PlanDecoder {
    /// `databases:`, `transforms:`, `skip:` and `replica_identity_full:` of a logical plan.
    func decodeLogicalSections(_ top: MappingReader, strategy: Strategy?)
        -> (databases: [String], transforms: [Transform], skip: [String], replicaIdentityFull: [String]) {
        guard strategy == .logical || strategy == nil else { return ([], [], [], []) }
        var databases: [String] = []
        if let node = strategy == .logical ? top.required("databases") : top.node("databases"),
           let names = context.stringList(node, key: "databases") {
            if names.isEmpty { context.error(at: node, "'databases' lists no database") }
            databases = names
        }
        var transforms: [Transform] = []
        if let node = top.node("transforms"), let items = context.list(node, key: "transforms") {
            transforms = items.compactMap(transform)
        }
        var skip: [String] = []
        if let node = top.node("skip"), let items = context.list(node, key: "skip") {
            skip = items.compactMap { qualifiedTable($0, key: "skip") }
        }
        var full: [String] = []
        if let node = top.node("replica_identity_full"), let items = context.list(node, key: "replica_identity_full") {
            full = items.compactMap { qualifiedTable($0, key: "replica_identity_full") }
        }
        return (databases, transforms, skip, full)
    }

    private func transform(_ node: Node) -> Transform? {
        guard let m = MappingReader(node, key: "transforms", item: true, what: "transform", context: context) else { return nil }
        m.rejectUnknownKeys(allowed: ["table", "column", "type"])
        let table = m.required("table").flatMap { qualifiedTable($0, key: "table") }
        let column = m.string("column", required: true)
        let type = m.string("type", required: true)
        guard let table, let column, let type else { return nil }
        let position = node.position ?? Position(line: 1, column: 1)
        return Transform(table: table, column: column, type: type, location: "\(context.file):\(position.line):\(position.column)")
    }

    private func qualifiedTable(_ node: Node, key: String) -> String? {
        guard let text = context.string(node, key: key) else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else {
            context.error(at: node, "'\(key)' expects a schema-qualified table like public.orders, got '\(text)'")
            return nil
        }
        return text
    }

    /// `vars:`: a flat mapping handed to hooks as text.
    func decodeVars(_ top: MappingReader) -> [String: String] {
        guard let node = top.node("vars"),
              let m = MappingReader(node, key: "vars", what: "vars", context: context) else { return [:] }
        var vars: [String: String] = [:]
        for (key, value) in m.mapping {
            guard case .scalar(let name) = key else {
                context.error(at: key, "keys in vars must be plain names")
                continue
            }
            guard case .scalar(let scalar) = value else {
                context.error(at: value, "'\(name.string)' expects a scalar value, got \(value.shapeDescription)")
                continue
            }
            if let text = context.expand(scalar) { vars[name.string] = value.isNull ? "" : text }
        }
        return vars
    }
}
