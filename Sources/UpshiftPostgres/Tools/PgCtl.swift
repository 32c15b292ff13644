/// How `pg_ctl stop` shuts the server down.
public enum StopMode: String, Sendable {
    /// Waits for every session to end.
    case smart
    /// Disconnects sessions, then a clean shutdown checkpoint.
    case fast
    /// Quits at once; crash recovery runs at the next start.
    case immediate
}

/// What `pg_ctl status` reports.
public enum ServerStatus: Sendable, Equatable {
    /// A server runs on the data directory, with this postmaster PID.
    case running(pid: Int)
    /// No server runs on it.
    case notRunning
    /// The data directory is missing or unreadable.
    case noDataDirectory
}

/// The pg_ctl runs on one data directory.
public struct PgCtl: Sendable {
    /// The build whose pg_ctl runs.
    public let binaries: PostgresBinaries
    /// The data directory.
    public let pgdata: String

    /// pg_ctl of `binaries` on `pgdata`.
    public init(_ binaries: PostgresBinaries, pgdata: String) {
        self.binaries = binaries
        self.pgdata = pgdata
    }

    /// Starts and waits until the server accepts connections (-w); server output goes to `logFile`,
    /// `serverOptions` are postgres arguments such as `["-c", "port=5433"]` (quoted for pg_ctl's shell).
    public func start(logFile: String, serverOptions: [String] = [], timeoutSeconds: Int = 60) -> ProgramInvocation {
        var args = ["start", "-w", "-t", String(timeoutSeconds), "-D", pgdata, "-l", logFile]
        if !serverOptions.isEmpty { args += ["-o", serverOptions.map(shellQuote).joined(separator: " ")] }
        return invocation(args)
    }

    /// Stops and waits until the server is gone.
    public func stop(mode: StopMode = .fast, timeoutSeconds: Int = 60) -> ProgramInvocation {
        invocation(["stop", "-w", "-t", String(timeoutSeconds), "-D", pgdata, "-m", mode.rawValue])
    }

    /// Sends the stop signal and returns at once (-W): the caller waits for `postmaster.pid` to go, at a finer
    /// grain than pg_ctl's own 100 ms polling.
    public func signalStop(mode: StopMode = .fast) -> ProgramInvocation {
        invocation(["stop", "-W", "-D", pgdata, "-m", mode.rawValue])
    }

    /// Asks whether a server runs; read the result with `parseStatus`.
    public func status() -> ProgramInvocation {
        invocation(["status", "-D", pgdata])
    }

    /// Promotes a standby and waits until it accepts writes.
    public func promote(timeoutSeconds: Int = 60) -> ProgramInvocation {
        invocation(["promote", "-w", "-t", String(timeoutSeconds), "-D", pgdata])
    }

    /// Reads `pg_ctl status`: exit 0 with `(PID: N)`, 3 not running, 4 no data directory.
    public static func parseStatus(_ result: ProgramResult) throws -> ServerStatus {
        switch result.status {
        case 0:
            guard let marker = result.stdout.range(of: "(PID: "),
                  let pid = Int(result.stdout[marker.upperBound...].prefix(while: \.isNumber)) else {
                throw OutputParseError(program: "pg_ctl status", message: "no PID in \"\(result.stdout.prefix(120))\"")
            }
            return .running(pid: pid)
        case 3:
            return .notRunning
        case 4:
            return .noDataDirectory
        default:
            throw ProgramError(result: result)
        }
    }

    private func invocation(_ arguments: [String]) -> ProgramInvocation {
        ProgramInvocation(binaries.path("pg_ctl"), arguments, environment: parseableEnvironment)
    }
}
