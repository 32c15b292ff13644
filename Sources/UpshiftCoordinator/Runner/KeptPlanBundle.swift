import Foundation
import UpshiftPlan
import UpshiftWire

/// `plan-bundle.json`: the plan a run ran, kept with the run but without its secrets. A variable that holds
/// one (`Redaction.isSecret`) is kept redacted and named in `withheld`; `upshift resume` takes those from its
/// environment again and checks the whole bundle against the run's hash, so what the agents get is what
/// they got when the run started.
struct KeptPlanBundle: Codable, Equatable {
    var planPath: String
    var planText: String
    var hooks: [String: String]
    /// Every variable the plan was read with; withheld ones redacted (`***`, or a conninfo without its password).
    var variables: [String: String]
    /// Names of the variables whose real value is not kept.
    var withheld: [String]
    var rehearsal: Bool
    /// The hash of the bundle as the run had it (secrets included).
    var sha256: String

    /// What may be kept of `bundle`.
    init(_ bundle: PlanBundle) {
        planPath = bundle.planPath
        planText = bundle.planText
        hooks = bundle.hooks
        rehearsal = bundle.rehearsal
        sha256 = bundle.sha256
        var kept: [String: String] = [:]
        var withheld: [String] = []
        for (name, value) in bundle.variables {
            if Redaction.isSecret(variable: name, value: value) {
                kept[name] = Redaction.keptValue(of: value)
                withheld.append(name)
            } else {
                kept[name] = value
            }
        }
        variables = kept
        self.withheld = withheld.sorted()
    }

    /// The bundle as the run had it: the withheld variables from `environment`, the whole checked against its hash.
    func restored(environment: [String: String], path: String) throws -> PlanBundle {
        var variables = self.variables
        let missing = withheld.filter { environment[$0] == nil }
        guard missing.isEmpty else {
            throw JournalError(path: path, message: "the run kept no value of \(missing.joined(separator: ", ")) (secrets stay out of "
                               + "run files): set them in the environment as they were when the run started")
        }
        for name in withheld { variables[name] = environment[name] }
        let bundle = PlanBundle(planPath: planPath, planText: planText, hooks: hooks, variables: variables, rehearsal: rehearsal)
        guard bundle.sha256 == sha256 else {
            let named = withheld.isEmpty ? "" : " (check \(withheld.joined(separator: ", ")): they must be as they were when the run started)"
            throw JournalError(path: path, message: "the plan bundle does not match the run's hash\(named)")
        }
        return bundle
    }

    /// The plan as kept, secrets redacted: enough for reports, never for the agents.
    var redactedBundle: PlanBundle {
        PlanBundle(planPath: planPath, planText: planText, hooks: hooks, variables: variables, rehearsal: rehearsal)
    }

    /// Writes it into the run directory (mode 0600).
    func write(to directory: RunDirectory) throws {
        try SecureFiles.write(String(decoding: try JSONEncoder().encode(self), as: UTF8.self), to: directory.bundlePath, mode: 0o600)
    }

    /// Reads it from the run directory.
    static func read(from directory: RunDirectory) throws -> KeptPlanBundle {
        guard let data = FileManager.default.contents(atPath: directory.bundlePath) else {
            throw JournalError(path: directory.bundlePath, message: "no plan bundle in this run directory")
        }
        return try JSONDecoder().decode(KeptPlanBundle.self, from: data)
    }
}
