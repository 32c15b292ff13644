/// A JSON-like value built from YAML (hook `with:` tables): plain integers stay integers, quoted text stays a string.
public indirect enum JSONValue: Sendable, Equatable, Codable {
    /// `null`, `~` or an empty plain scalar.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A plain integer scalar.
    case int(Int)
    /// A plain floating-point scalar.
    case double(Double)
    /// Any other scalar, or a quoted one.
    case string(String)
    /// A YAML sequence.
    case array([JSONValue])
    /// A YAML mapping (keys are strings).
    case object([String: JSONValue])

    /// Decodes natural JSON (not the enum's case names).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes as natural JSON.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member named `key` of an object, nil otherwise.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}
