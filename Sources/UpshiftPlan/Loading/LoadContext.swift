import Foundation
import Yams

/// State shared while one plan file is decoded: where diagnostics go and how scalars expand.
final class LoadContext {
    let file: String
    let environment: [String: String]
    let planDirectory: String
    private(set) var diagnostics: [PlanDiagnostic] = []
    /// Values read into `with:` tables so far, counted with YAML aliases expanded (see `countWithValue`).
    private var withValues = 0

    init(file: String, environment: [String: String], planDirectory: String) {
        self.file = file
        self.environment = environment
        self.planDirectory = planDirectory
    }

    var errorCount: Int { diagnostics.count }

    func error(at position: Position?, _ message: String) {
        // Composed nodes always carry a mark; 1:1 only guards hand-built nodes.
        let position = position ?? Position(line: 1, column: 1)
        diagnostics.append(PlanDiagnostic(file: file, line: position.line, column: position.column, message: message))
    }

    func error(at node: Node?, _ message: String) {
        error(at: Position(node?.mark), message)
    }

    /// The scalar's text with `${VAR}` expanded; nil (and diagnostics) when a variable is unset or malformed.
    func expand(_ scalar: Node.Scalar) -> String? {
        let (text, problems) = Expansion.expand(scalar.string, environment: environment)
        for problem in problems { error(at: Position(scalar.mark), problem.message) }
        return problems.isEmpty ? text : nil
    }

    /// Most values all `with:` tables of a plan may hold: an alias stands for everything its anchor holds, so a
    /// list of aliases of lists of aliases… would have a kilobyte plan expand into billions of values.
    static let maxWithValues = 10_000

    /// Counts one `with:` value; false once the plan holds more than `maxWithValues` (reported at the first one over).
    func countWithValue(at node: Node) -> Bool {
        withValues += 1
        if withValues == Self.maxWithValues + 1 {
            error(at: node, "'with' tables hold more than \(Self.maxWithValues) values in all (YAML aliases included: each repeats what its anchor holds)")
        }
        return withValues <= Self.maxWithValues
    }

    /// An absolute, normalised path; relative ones are taken from the plan directory.
    func resolve(_ path: String) -> String {
        PlanLoader.resolve(path, against: planDirectory)
    }
}

/// A 1-based line and column (Yams' `Mark` cannot be made outside Yams).
struct Position: Equatable {
    var line: Int
    var column: Int

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    init?(_ mark: Mark?) {
        guard let mark else { return nil }
        self.init(line: mark.line, column: mark.column)
    }
}

extension Node {
    var position: Position? { Position(mark) }

    /// True for a plain `~`, `null` or empty scalar.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// How the node reads in a "got …" message.
    var shapeDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            return isNull ? "nothing" : "'\(scalar.string)'"
        }
    }
}
