import UpshiftLua

/// `upshift.copy_table{…}` as Lua sees it: its named arguments in, its summary table out.
extension TableCopySpec {
    private static let usage = "upshift.copy_table{table=, source=, target=, where=, parallel=, split_by=, snapshot=}"
    private static let arguments: Set = ["table", "source", "target", "where", "parallel", "split_by", "snapshot"]

    /// The spec one table of named arguments asks for; `resolve` turns an SQL target (`"source"`, `"target"`, `"old:DB"`,
    /// a conninfo…) into a conninfo. `source`/`target` default to the plan's source and target, `parallel` to 1,
    /// `split_by` to `ctid`. An unknown or ill-typed argument is an error naming it.
    init(lua: [LuaValue], resolve: (String) throws -> String) throws {
        guard lua.count == 1, let fields = lua[0].recordValue, lua[0].listValue?.isEmpty == true else {
            throw AgentError("\(Self.usage): give one table of named arguments")
        }
        if let unknown = fields.keys.filter({ !Self.arguments.contains($0) }).sorted().first {
            throw AgentError("\(Self.usage): unknown argument \(unknown)")
        }
        func text(_ name: String) throws -> String? {
            switch fields[name] ?? .nil {
            case .nil: return nil
            case .string(let value) where !value.isEmpty: return value
            case let other: throw AgentError("\(Self.usage): \(name) must be a non-empty string, not \(other.typeName == "string" ? "\"\"" : "a \(other.typeName)")")
            }
        }
        guard let table = try text("table") else { throw AgentError("\(Self.usage): table is required (schema.table)") }
        let parallelValue = fields["parallel"] ?? .nil
        let parallel = parallelValue == .nil ? 1 : parallelValue.intValue.flatMap { Int(exactly: $0) } ?? 0
        guard (1...TableCopy.maximumParallel).contains(parallel) else {
            throw AgentError("\(Self.usage): parallel must be a whole number from 1 to \(TableCopy.maximumParallel), not \(parallelValue.displayString)")
        }
        self.init(source: try resolve(try text("source") ?? "source"), target: try resolve(try text("target") ?? "target"),
                  table: table, predicate: try text("where"), parallel: parallel,
                  split: TableCopySplit(try text("split_by") ?? "ctid"), snapshot: try text("snapshot"))
    }
}

extension TableCopyResult {
    /// `{rows=, bytes=, ranges=, resumed=, binary=, seconds=}`; `resumed` counts the ranges an earlier run had done.
    var luaValue: LuaValue {
        .record(["rows": .integer(rows), "bytes": .integer(bytes), "ranges": .integer(Int64(ranges)),
                 "resumed": .integer(Int64(rangesAlreadyDone)), "binary": .boolean(binary), "seconds": .number(seconds)])
    }
}
