import Yams

extension PlanDecoder {
    /// `postgres: { from: {version, bindir}, to: {version, bindir} }`; optional only for custom runbooks.
    func decodePostgres(_ top: MappingReader, strategy: Strategy?) -> PostgresVersions? {
        guard let node = strategy == .custom ? top.node("postgres") : top.required("postgres"),
              let postgres = MappingReader(node, key: "postgres", what: "postgres", context: context) else { return nil }
        postgres.rejectUnknownKeys(allowed: ["from", "to"])
        let from = decodeInstall(postgres, key: "from")
        let to = decodeInstall(postgres, key: "to")
        guard let from, let to else { return nil }
        if to.install.version <= from.install.version {
            context.error(at: to.versionNode,
                          "to.version \(to.install.version) is not newer than from.version \(from.install.version)")
            return nil
        }
        return PostgresVersions(from: from.install, to: to.install)
    }

    private func decodeInstall(_ postgres: MappingReader, key: String) -> (install: PostgresInstall, versionNode: Node)? {
        guard let node = postgres.required(key),
              let install = MappingReader(node, key: key, what: "postgres.\(key)", context: context) else { return nil }
        install.rejectUnknownKeys(allowed: ["version", "bindir"])
        let version = install.int("version", required: true, in: 10...99)
        let bindir = install.hostPath("bindir", required: true)
        guard let version, let bindir, let versionNode = install.node("version") else { return nil }
        return (PostgresInstall(version: version, bindir: bindir), versionNode)
    }

    /// `tls: { dir: … }`, the directory resolved against the plan directory.
    func decodeTLS(_ top: MappingReader) -> TLSSettings? {
        guard let node = top.required("tls"),
              let tls = MappingReader(node, key: "tls", what: "tls", context: context) else { return nil }
        tls.rejectUnknownKeys(allowed: ["dir"])
        return tls.string("dir", required: true).map { TLSSettings(dir: context.resolve($0)) }
    }
}
