import Foundation
import Yams

/// Reads plan files into validated `Plan`s; every problem comes back as `FILE:LINE:COL: message` in `PlanErrors`.
public enum PlanLoader {
    /// Reads the plan at `path` and its hook files from disk (relative paths are taken from the plan's directory).
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> LoadedPlan {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read plan file" : "plan file does not exist"
            throw PlanErrors([PlanDiagnostic(file: path, line: 1, column: 1, message: reason)])
        }
        let directory = planDirectory(of: path)
        return try parse(text: text, path: path, environment: environment) { run in
            let hookPath = resolve(run, against: directory)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: hookPath, isDirectory: &isDirectory), !isDirectory.boolValue
            else { throw HookFileNotFound(path: hookPath) }
            return try String(contentsOfFile: hookPath, encoding: .utf8)
        }
    }

    /// Reads plan text; `readFile` gets each `run:` value as written (so an agent can serve hooks from its bundle).
    public static func parse(
        text: String, path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        readFile: (String) throws -> String
    ) throws -> LoadedPlan {
        func fail(_ message: String) -> PlanErrors {
            PlanErrors([PlanDiagnostic(file: path, line: 1, column: 1, message: message)])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw PlanErrors([YAMLDiagnostics.diagnostic(for: error, file: path, text: text)])
        }
        guard let root else { throw fail("plan file is empty") }
        let context = LoadContext(file: path, environment: environment, planDirectory: planDirectory(of: path))
        return try withoutActuallyEscaping(readFile) { readFile in
            let decoder = PlanDecoder(context: context, readHookFile: readFile)
            guard let plan = decoder.decode(root) else { throw PlanErrors(context.diagnostics) }
            return LoadedPlan(plan: plan, path: path, text: text, hookSources: decoder.hookSources,
                              hookReferences: decoder.hookReferences)
        }
    }

    /// The absolute directory holding the plan file.
    static func planDirectory(of path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    }

    static func resolve(_ path: String, against directory: String) -> String {
        let absolute = path.hasPrefix("/") ? path : directory + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }
}
