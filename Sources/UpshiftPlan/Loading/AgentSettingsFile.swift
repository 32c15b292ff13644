import Foundation
import Yams

/// The agent's configuration file (`/etc/upshift/agent.yaml` when packaged): where it listens, its
/// certificates, its state, extra bin directories to report, its log format. Every field is optional (flags
/// fill or override them); problems come back as `FILE:LINE:COL: message` in `PlanErrors`.
public struct AgentSettingsFile: Sendable, Equatable {
    /// `listen: HOST:PORT`.
    public var listen: String?
    /// `tls_dir:` the folder from `upshift certs init DIR/agents/NAME`.
    public var tlsDirectory: String?
    /// `state_dir:` the agent's journal and the plans it received.
    public var stateDirectory: String?
    /// `name:` the plan host name it answers for (default: its certificate's).
    public var name: String?
    /// `bindirs:` PostgreSQL bin directories to report besides the usual places.
    public var bindirs: [String] = []
    /// `log_level:` trace … critical.
    public var logLevel: String?
    /// `log_format:` text or json.
    public var logFormat: String?

    public init() {}

    static let keys = ["listen", "tls_dir", "state_dir", "name", "bindirs", "log_level", "log_format"]
    /// The accepted `log_format` values.
    public static let logFormats = ["text", "json"]
    /// The accepted `log_level` values.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Reads the file at `path`; relative paths in it are taken from its folder.
    public static func load(path: String) throws -> AgentSettingsFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the agent's configuration file" : "no such configuration file"
            throw PlanErrors([PlanDiagnostic(file: path, line: 1, column: 1, message: reason)])
        }
        return try parse(text: text, path: path)
    }

    /// Reads configuration text named `path` in messages.
    public static func parse(text: String, path: String) throws -> AgentSettingsFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw PlanErrors([YAMLDiagnostics.diagnostic(for: error, file: path, text: text)])
        }
        var settings = AgentSettingsFile()
        guard let root else { return settings }
        let context = LoadContext(file: path, environment: ProcessInfo.processInfo.environment, planDirectory: PlanLoader.planDirectory(of: path))
        guard let m = MappingReader(root, key: "agent configuration", what: "the agent configuration", context: context) else {
            throw PlanErrors(context.diagnostics)
        }
        m.rejectUnknownKeys(allowed: keys)
        if let listen = m.string("listen") {
            if let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]).map({ (0...65535).contains($0) }) == true {
                settings.listen = listen
            } else {
                context.error(at: m.node("listen"), "'listen' expects HOST:PORT, got '\(listen)'")
            }
        }
        settings.tlsDirectory = m.string("tls_dir").map(context.resolve)
        settings.stateDirectory = m.string("state_dir").map(context.resolve)
        settings.name = m.string("name")
        if let node = m.node("bindirs") {
            settings.bindirs = (context.stringList(node, key: "bindirs") ?? []).map(context.resolve)
        }
        for (key, allowed) in [("log_level", logLevels), ("log_format", logFormats)] {
            guard let value = m.string(key) else { continue }
            guard allowed.contains(value) else {
                context.error(at: m.node(key), "invalid \(key) '\(value)'; expected one of: \(allowed.joined(separator: ", "))")
                continue
            }
            if key == "log_level" { settings.logLevel = value } else { settings.logFormat = value }
        }
        guard context.diagnostics.isEmpty else { throw PlanErrors(context.diagnostics) }
        return settings
    }
}
