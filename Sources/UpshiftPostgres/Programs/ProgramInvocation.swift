import Glibc

/// One program to run: its path, arguments, extra environment and working directory.
public struct ProgramInvocation: Sendable, Equatable {
    /// The program's path.
    public var executable: String
    /// Its arguments.
    public var arguments: [String]
    /// Variables set over the inherited environment.
    public var environment: [String: String]
    /// The working directory; nil keeps the caller's.
    public var currentDirectory: String?

    /// Names a program run.
    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                currentDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.currentDirectory = currentDirectory
    }

    /// Runs it directly, as the current user.
    public func run(onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        try ProgramLauncher.direct.run(self, onLine: onLine)
    }
}

/// How invocations are started: directly, or as another OS user (PostgreSQL refuses to run as root).
public struct ProgramLauncher: Sendable {
    /// Words put before the program, e.g. `runuser -u postgres --`.
    public let prefix: [String]

    /// Starts programs as the current user.
    public static let direct = ProgramLauncher(prefix: [])

    /// Starts programs as `user` through `runuser` when this process is root, directly otherwise.
    public static func asUser(_ user: String) -> ProgramLauncher {
        geteuid() == 0 ? ProgramLauncher(prefix: ["runuser", "-u", user, "--"]) : .direct
    }

    /// Makes a launcher with an explicit prefix.
    public init(prefix: [String]) {
        self.prefix = prefix
    }

    /// Runs `invocation` and returns how it ended (a non-zero status is not thrown; see `requireSuccess`).
    public func run(_ invocation: ProgramInvocation,
                    onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        let argv = prefix + [invocation.executable] + invocation.arguments
        var result = try ProgramRunner.run(argv[0], Array(argv.dropFirst()), environment: invocation.environment,
                                           currentDirectory: invocation.currentDirectory, onLine: onLine)
        // Errors name the program itself, not runuser.
        result.executable = invocation.executable
        result.arguments = invocation.arguments
        return result
    }
}
