import Crypto
import Foundation

extension PlanBundle {
    /// Hex sha256 of the plan text, its hooks and variables, each part length-prefixed so no two bundles collide by concatenation.
    public static func digest(planText: String, hooks: [String: String], variables: [String: String] = [:],
                              rehearsal: Bool = false) -> String {
        var hasher = SHA256()
        func feed(_ s: String) {
            let bytes = Array(s.utf8)
            var length = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        feed(planText)
        for path in hooks.keys.sorted() {
            feed(path)
            feed(hooks[path]!)
        }
        for name in variables.keys.sorted() {
            feed("$" + name)
            feed(variables[name]!)
        }
        if rehearsal { feed("!rehearsal") }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// True when the stored hash matches the contents.
    public var isIntact: Bool { sha256 == PlanBundle.digest(planText: planText, hooks: hooks, variables: variables, rehearsal: rehearsal) }
}
