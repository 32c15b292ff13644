import Yams

/// Walks the composed plan document into a `Plan`, reporting every problem it meets into the context.
final class PlanDecoder {
    let context: LoadContext
    let readHookFile: (String) throws -> String
    var hookSources: [String: String] = [:]
    var hookReferences: [String: PlanPosition] = [:]
    var hostDrafts: [HostDraft] = []
    var hookDrafts: [HookDraft] = []
    var stepDrafts: [StepDraft] = []

    static let topKeys = [
        "version", "name", "strategy", "postgres", "tls", "hosts", "source", "target", "options", "probe",
        "hooks", "steps", "databases", "transforms", "skip", "replica_identity_full", "vars", "rehearsal",
    ]

    init(context: LoadContext, readHookFile: @escaping (String) throws -> String) {
        self.context = context
        self.readHookFile = readHookFile
    }

    /// The plan, or nil when any diagnostic was reported.
    func decode(_ root: Node) -> Plan? {
        guard case .mapping = root else {
            context.error(at: root, "a plan is a mapping of keys (version, name, strategy, …), got \(root.shapeDescription)")
            return nil
        }
        let top = MappingReader(root, key: "plan", what: "the plan", context: context)!
        top.rejectUnknownKeys(allowed: Self.topKeys)
        if let versionNode = top.required("version"), let version = context.int(versionNode, key: "version"),
           version != 1 {
            context.error(at: versionNode, "unsupported plan version \(version); this Upshift reads version 1")
        }
        let name = top.string("name", required: true).flatMap { checkName($0, node: top.node("name")!) }
        let strategy: Strategy? = top.choice("strategy", required: true)
        if let strategy { rejectKeysOfOtherStrategies(top, strategy: strategy) }
        let postgres = decodePostgres(top, strategy: strategy)
        let tls = decodeTLS(top)

        // Step ids depend on these sections; hook references are only checked against them when they are clean.
        let errorsBeforeStructure = context.errorCount
        decodeHosts(top, strategy: strategy)
        let options = decodeOptions(top, strategy: strategy, postgres: postgres)
        if strategy == .custom { decodeCustomSteps(top) }
        let structureIsClean = context.errorCount == errorsBeforeStructure

        let probe = decodeProbe(top)
        let rehearsal = decodeRehearsal(top, strategy: strategy)
        decodeHooks(top)
        let logical = decodeLogicalSections(top, strategy: strategy)
        let vars = decodeVars(top)

        var plan = Plan(
            version: 1, name: name ?? "", strategy: strategy ?? .inplace, postgres: postgres,
            tls: tls ?? TLSSettings(dir: context.planDirectory), hosts: hostDrafts.map(\.host),
            options: options, probe: probe, rehearsal: rehearsal, hooks: hookDrafts.map(\.spec), steps: stepDrafts.map(\.spec),
            databases: logical.databases, transforms: logical.transforms, skip: logical.skip,
            replicaIdentityFull: logical.replicaIdentityFull, vars: vars,
            planDirectory: context.planDirectory)
        if strategy != nil, structureIsClean {
            checkReferences(in: &plan)
        }
        return context.errorCount == 0 ? plan : nil
    }

    private func checkName(_ name: String, node: Node) -> String? {
        guard name.unicodeScalars.allSatisfy({ $0.isNameCharacter || "._".unicodeScalars.contains($0) }) else {
            context.error(at: node, "'name' may only hold letters, digits, '.', '_' and '-' (it names run directories), got '\(name)'")
            return nil
        }
        return name
    }

    private func rejectKeysOfOtherStrategies(_ top: MappingReader, strategy: Strategy) {
        if strategy != .logical {
            for key in ["source", "target", "databases", "transforms", "skip"] {
                top.rejectKey(key, because: "applies only to strategy logical")
            }
        } else {
            top.rejectKey("hosts", because: "is not used by strategy logical; list hosts under 'source' and 'target'")
        }
        if strategy != .custom {
            top.rejectKey("steps", because: "applies only to strategy custom (other strategies have built-in steps)")
        }
    }
}
