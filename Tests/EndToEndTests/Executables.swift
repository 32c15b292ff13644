import Foundation
import UpshiftPostgres
import UpshiftTestSupport

/// The built `upshift` and `upshift-agent`, found beside the test bundle.
enum Executables {
    static var buildDirectory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("upshift").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url.path
    }

    static var upshift: String { buildDirectory + "/upshift" }
    static var agent: String { buildDirectory + "/upshift-agent" }

    /// Runs `upshift ARGS` as the current user; returns status and output.
    static func runUpshift(_ arguments: [String], environment: [String: String]? = nil) throws -> ProgramResult {
        try ProgramRunner.run(upshift, arguments, environment: environment)
    }

    /// Starts `upshift ARGS` in the background, its output going to a file (a pipe nobody reads would fill
    /// up and block it).
    static func startUpshift(_ arguments: [String]) throws -> (Process, String) {
        let path = NSTemporaryDirectory() + "upshift-coordinator-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Executables.upshift)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try output.close()
        return (process, path)
    }

    /// Waits for the coordinator to end and returns what it printed.
    static func finish(_ process: Process, _ output: String) -> String {
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: output) }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }
}

/// An `upshift-agent` process run as the `postgres` user, from a copy of the binary that user can reach.
final class AgentProcess {
    let name: String
    let port: Int
    let stateDirectory: String
    let logPath: String
    let tlsDirectory: String
    let scratch: ScratchDir
    /// The agent's own pid (the process we started may be `runuser`).
    let pid: Int32
    private let process: Process

    /// Starts the agent on `port` (0: a free one), keeping its state directory across restarts. With
    /// `configFile`, the agent reads its listen address, folders and log format from a YAML file written here.
    init(name: String, tlsDirectory: String, scratch: ScratchDir, port requestedPort: Int = 0, configFile: Bool = false,
         logFormat: String = "text") throws {
        self.name = name
        let binary = scratch.path + "/upshift-agent"
        if !FileManager.default.fileExists(atPath: binary) {
            try FileManager.default.copyItem(atPath: Executables.agent, toPath: binary)
        }
        stateDirectory = scratch.path + "/state-\(name)"
        logPath = scratch.path + "/agent-\(name).log"
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        _ = try runAsPostgres(["/bin/mkdir", "-p", stateDirectory])
        self.tlsDirectory = tlsDirectory
        self.scratch = scratch
        let process = Process()
        var argv = [binary, "--listen", "127.0.0.1:\(requestedPort)", "--tls-dir", tlsDirectory, "--state-dir", stateDirectory,
                    "--log-format", logFormat]
        if configFile {
            let path = scratch.path + "/agent-\(name).yaml"
            try """
                # as /etc/upshift/agent.yaml would hold it
                listen: 127.0.0.1:\(requestedPort)
                tls_dir: \(tlsDirectory)
                state_dir: \(stateDirectory)
                log_format: \(logFormat)
                log_level: debug
                """.write(toFile: path, atomically: true, encoding: .utf8)
            argv = [binary, "--config", path]
        }
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", "postgres", "--"] + argv
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = Array(argv.dropFirst())
        }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        self.process = process
        // The agent prints "upshift-agent NAME pid PID listening on HOST:PORT" once it is bound.
        var buffer = Data()
        let deadline = Date().addingTimeInterval(20)
        while !buffer.contains(0x0A) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty || Date() > deadline {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw AgentError("agent \(name) did not start: \(log)")
            }
            buffer.append(chunk)
        }
        let line = String(decoding: buffer, as: UTF8.self)
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let pidIndex = words.firstIndex(of: "pid"), pidIndex + 1 < words.count, let pid = Int32(words[pidIndex + 1]),
              let port = words.last?.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw AgentError("agent \(name) printed \(line)")
        }
        self.pid = pid
        self.port = port
    }

    var isRunning: Bool { process.isRunning }

    /// A new agent process for the same host: same port, TLS folder and state directory (as systemd restarts one).
    func restarted() throws -> AgentProcess {
        try AgentProcess(name: name, tlsDirectory: tlsDirectory, scratch: scratch, port: port)
    }

    /// SIGTERM to the agent, then wait for its graceful shutdown.
    func stop() {
        guard process.isRunning else { return }
        Foundation.kill(pid, SIGTERM)
        process.waitUntilExit()
    }

    /// SIGKILL: the agent dies mid-work.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

struct AgentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
