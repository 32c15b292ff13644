import CLua

/// What the sandbox remembers across one run: how a Swift callback ended it, if one did.
final class RunRecord {
    var termination: LuaError?
}

/// A registered Swift function; Lua holds a light userdata pointing at it, the sandbox keeps it alive.
final class SwiftFunction {
    let name: String
    let body: ([LuaValue]) throws -> [LuaValue]
    let record: RunRecord

    init(name: String, record: RunRecord, body: @escaping ([LuaValue]) throws -> [LuaValue]) {
        self.name = name
        self.record = record
        self.body = body
    }

    /// Called by the C trampoline: the result count, or -1 with a message on top (the trampoline raises it).
    func invoke(_ state: OpaquePointer) -> Int32 {
        let stack = LuaStack(state: state)
        do {
            let arguments = try readArguments(stack)
            let results = try body(arguments)
            lua_settop(state, 0)
            for (i, result) in results.enumerated() {
                do { try stack.push(result) } catch {
                    throw LuaError(message: "\(name): result \(i + 1): \(error)", kind: .runtime)
                }
            }
            return Int32(results.count)
        } catch let error as LuaError where error.terminatesHook {
            record.termination = located(error, state)
            upshift_terminate(state)
            return fail(state, error.message)
        } catch let error as LuaError {
            return fail(state, error.message)
        } catch {
            return fail(state, String(describing: error))
        }
    }

    /// All arguments share one allowance: `upshift.log(table.unpack(copies))` is one crossing.
    private func readArguments(_ stack: LuaStack) throws -> [LuaValue] {
        let count = lua_gettop(stack.state)
        guard count > 0 else { return [] }
        var reader = LuaReader(state: stack.state)
        return try (1...count).map { i in
            do { return try reader.read(at: i) } catch {
                throw LuaError(message: "\(name): argument \(i): \(error)", kind: .runtime)
            }
        }
    }

    /// Fills in the hook line that called this function (level 1 from the trampoline).
    private func located(_ error: LuaError, _ state: OpaquePointer) -> LuaError {
        guard error.chunk.isEmpty else { return error }
        var located = error
        let frame = LuaFrame.find(state, level: 1)
        located.chunk = frame?.chunk ?? ""
        located.line = frame?.line
        return located
    }

    private func fail(_ state: OpaquePointer, _ message: String) -> Int32 {
        lua_settop(state, 0)
        var message = message
        message.withUTF8 { _ = lua_pushlstring(state, $0.baseAddress, $0.count) }
        return -1
    }
}

/// The `@convention(c)` entry the trampoline calls; it never raises a Lua error itself.
let swiftFunctionDispatch: upshift_dispatch_fn = { state, box in
    guard let state, let box else { fatalError("the Lua trampoline was called without its state or function") }
    return Unmanaged<SwiftFunction>.fromOpaque(box).takeUnretainedValue().invoke(state)
}

/// A Lua function's place on the call stack.
struct LuaFrame {
    var chunk: String
    var line: Int

    /// The first Lua (not C) function at or above `level`.
    static func find(_ state: OpaquePointer, level: Int32) -> LuaFrame? {
        var source = [CChar](repeating: 0, count: 64)
        let line = upshift_lua_frame(state, level, &source, source.count)
        guard line > 0 else { return nil }
        return LuaFrame(chunk: String(cStringBuffer: source), line: Int(line))
    }
}

extension String {
    /// A string from a NUL-terminated C buffer.
    init(cStringBuffer buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.init(decoding: bytes, as: UTF8.self)
    }
}
