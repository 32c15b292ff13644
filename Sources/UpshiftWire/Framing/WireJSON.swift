import Foundation

/// The JSON dialect on the wire: dates as ISO 8601 UTC with milliseconds (`2024-05-01T12:00:00.123Z`),
/// because step timings are measured from `StepEvent.at` and whole seconds would hide a short downtime.
public enum WireJSON {
    private static let wholeSeconds = Date.ISO8601FormatStyle()

    /// An encoder writing dates as `WireJSON.format` does.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(format(date))
        }
        return encoder
    }

    /// A decoder reading dates as `WireJSON.parse` does.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "not an ISO 8601 UTC date: \(text)")
            }
            return date
        }
        return decoder
    }

    /// Rounds to the nearest millisecond; Foundation's fractional format truncates, turning .123 into .122.
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = milliseconds.floorDivided(by: 1000)
        let fraction = milliseconds - seconds * 1000
        let base = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(wholeSeconds)
        return String(base.dropLast()) + "." + String(String(fraction + 1000).dropFirst()) + "Z"
    }

    /// Accepts `…:SSZ` and `…:SS.fffZ` with any number of fraction digits.
    public static func parse(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let parts = text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let seconds = try? wholeSeconds.parse(parts[0] + "Z") else { return nil }
        guard parts.count == 2 else { return seconds }
        let digits = parts[1]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            let fraction = Double("0." + digits)
        else { return nil }
        return Date(timeIntervalSince1970: seconds.timeIntervalSince1970 + fraction)
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
