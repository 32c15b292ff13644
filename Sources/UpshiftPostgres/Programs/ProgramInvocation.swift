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

    /// Runs it directly, as the current user, stopped when `control` is.
    public func run(control: ProgramControl? = nil,
                    onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        try ProgramLauncher(prefix: [], control: control).run(self, onLine: onLine)
    }
}

/// How invocations are started: directly, or as another OS user (PostgreSQL refuses to run as root).
public struct ProgramLauncher: Sendable {
    /// Words put before the program, e.g. `runuser -u postgres --`.
    public let prefix: [String]
    /// Stops the programs it starts when cancelled or past its deadline; nil runs them to the end.
    public var control: ProgramControl?

    /// Starts programs as the current user.
    public static let direct = ProgramLauncher(prefix: [])

    /// Starts programs as `user` through `runuser` when this process is root, directly otherwise.
    public static func asUser(_ user: String, control: ProgramControl? = nil) -> ProgramLauncher {
        ProgramLauncher(prefix: geteuid() == 0 ? ["runuser", "-u", user, "--"] : [], control: control)
    }

    /// Makes a launcher with an explicit prefix and, optionally, a control over its programs.
    public init(prefix: [String], control: ProgramControl? = nil) {
        self.prefix = prefix
        self.control = control
    }

    /// Runs `invocation` and returns how it ended (a non-zero status is not thrown; see `requireSuccess`);
    /// throws `ProgramStopped` when `control` stopped it.
    public func run(_ invocation: ProgramInvocation,
                    onLine: ((ProgramOutputLine) -> Void)? = nil) throws -> ProgramResult {
        let argv = prefix + [invocation.executable] + invocation.arguments
        var result = try ProgramRunner.run(argv[0], Array(argv.dropFirst()), environment: invocation.environment,
                                           currentDirectory: invocation.currentDirectory, control: control,
                                           outputLimit: 8 << 20, name: invocation.executable, onLine: onLine)
        // Errors name the program itself, not runuser.
        result.executable = invocation.executable
        result.arguments = invocation.arguments
        return result
    }
}
