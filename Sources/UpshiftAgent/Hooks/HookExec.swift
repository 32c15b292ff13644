import Foundation
import UpshiftLua
import UpshiftPostgres

/// `upshift.exec(argv, opts)`: runs a program with no shell; returns status, stdout, stderr.
enum HookExec {
    /// Runs under `control` (the hook's): a cancelled step or the hook's deadline kills the program's process group.
    static func run(_ args: [LuaValue], control: ProgramControl) throws -> [LuaValue] {
        guard let argv = args.first?.listValue?.compactMap(\.stringValue), let program = argv.first,
              argv.count == args.first?.listValue?.count else {
            throw AgentError("upshift.exec(argv, opts): argv must be a list of strings, the program first")
        }
        let options = args.count > 1 ? args[1] : .nil
        let environment = options["env"].recordValue?.mapValues(\.displayString)
        let executable = program.contains("/") ? program : try which(program)
        let result = try ProgramRunner.run(executable, Array(argv.dropFirst()), environment: environment,
                                           currentDirectory: options["cwd"].stringValue, control: control)
        return [.integer(Int64(result.status)), .string(result.stdout), .string(result.stderr)]
    }

    /// Looks a program up on PATH, as a shell would, without running a shell.
    private static func which(_ program: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw AgentError("upshift.exec: \(program) is not on PATH")
    }
}
