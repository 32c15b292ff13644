import Yams

/// A decoded hook plus the nodes reference checks point at.
struct HookDraft {
    var spec: HookSpec
    var atNode: Node
    var onNode: Node?
}

/// Thrown by a hook reader when the file is not there (reported as "does not exist").
public struct HookFileNotFound: Error, Sendable, CustomStringConvertible {
    /// The path that was looked up.
    public var path: String

    /// Creates the error for `path`.
    public init(path: String) { self.path = path }

    /// Short, names the path only.
    public var description: String { "no such file: \(path)" }
}

extension PlanDecoder {
    /// `hooks:`: each entry's shape and its file; `at:`/`on:` references are checked once hosts are known.
    func decodeHooks(_ top: MappingReader) {
        guard let node = top.node("hooks"), let items = context.list(node, key: "hooks") else { return }
        for item in items {
            guard let m = MappingReader(item, key: "hooks", item: true, what: "hook", context: context) else { continue }
            m.rejectUnknownKeys(allowed: ["at", "run", "on", "with"])
            let atNode = m.required("at")
            let at = atNode.flatMap(hookPoint)
            let run = m.required("run").flatMap(hookFile)
            let on = m.string("on")
            let with = m.node("with").map(withTable) ?? .object([:])
            guard let atNode, let at, let run, let with else { continue }
            let spec = HookSpec(at: at, run: run.run, path: run.path, on: on, with: with, line: m.mark?.line ?? 0)
            hookDrafts.append(HookDraft(spec: spec, atNode: atNode, onNode: m.node("on")))
        }
    }

    private func hookPoint(_ node: Node) -> HookPoint? {
        guard let text = context.string(node, key: "at") else { return nil }
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let timing = HookTiming(rawValue: String(parts[0])), !parts[1].isEmpty else {
            context.error(at: node, "'at' expects before:STEP or after:STEP, got '\(text)'")
            return nil
        }
        return HookPoint(timing: timing, stepID: String(parts[1]))
    }

    /// Reads a `run:` file once; its source is kept under the name as written.
    func hookFile(_ node: Node) -> (run: String, path: String)? {
        guard let run = context.string(node, key: "run") else { return nil }
        let path = context.resolve(run)
        if hookSources[run] == nil {
            do {
                hookSources[run] = try readHookFile(run)
                hookReferences[run] = node.position.map { PlanPosition(line: $0.line, column: $0.column) }
            } catch is HookFileNotFound {
                context.error(at: node, "hook file '\(run)' does not exist (looked for \(path))")
                return nil
            } catch {
                context.error(at: node, "cannot read hook file '\(run)': \(error)")
                return nil
            }
        }
        return (run, path)
    }

    /// A `with:` table; nil after reporting anything that is not a mapping.
    func withTable(_ node: Node) -> JSONValue? {
        guard case .mapping = node else {
            context.error(at: node, "'with' expects a mapping, got \(node.shapeDescription)")
            return nil
        }
        return context.json(node, key: "with")
    }
}
