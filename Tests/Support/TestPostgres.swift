import Foundation
import UpshiftPostgres

/// A test's environment is not set up (a PostgreSQL build missing, say); the message says how to fix it.
public struct TestSetupError: Error, CustomStringConvertible {
    /// What is missing and what to run.
    public var description: String

    /// Makes the error.
    public init(_ description: String) {
        self.description = description
    }
}

/// Where each PostgreSQL build is: $UPSHIFT_PG_ROOT (default /opt/upshift/pg)/{15,16,17,18,15-debian}/bin; `require` FAILS (throws) with a message naming scripts/bootstrap.sh when missing.
public enum TestPostgres {
    /// The folder holding the builds.
    public static var root: String {
        let value = ProcessInfo.processInfo.environment["UPSHIFT_PG_ROOT"] ?? ""
        return value.isEmpty ? "/opt/upshift/pg" : value
    }

    /// The bindir of build `name` ("15", "16", "17", "18", "15-debian"); throws when its `postgres` is missing.
    public static func bindir(_ name: String) throws -> String {
        let bindir = "\(root)/\(name)/bin"
        guard FileManager.default.isExecutableFile(atPath: "\(bindir)/postgres") else {
            throw TestSetupError("PostgreSQL \(name) is missing: no \(bindir)/postgres; run scripts/bootstrap.sh as root")
        }
        return bindir
    }

    /// The programs of build `name`.
    public static func binaries(_ name: String) throws -> PostgresBinaries {
        PostgresBinaries(bindir: try bindir(name))
    }

    /// The major version a build name stands for: "15-debian" → 15.
    public static func major(_ name: String) throws -> Int {
        guard let major = Int(name.prefix(while: \.isNumber)) else {
            throw TestSetupError("\"\(name)\" names no PostgreSQL major version")
        }
        return major
    }
}

/// Starts programs as the postgres OS user when we are root (runuser), directly otherwise.
public let postgresLauncher = ProgramLauncher.asUser("postgres")

/// Runs argv as the postgres OS user when we are root (runuser -u postgres --), directly otherwise.
public func runAsPostgres(_ argv: [String], environment: [String: String]? = nil) throws -> ProgramResult {
    guard let executable = argv.first else { throw TestSetupError("runAsPostgres needs a program") }
    return try postgresLauncher.run(ProgramInvocation(executable, Array(argv.dropFirst()),
                                                      environment: environment ?? [:]))
}
