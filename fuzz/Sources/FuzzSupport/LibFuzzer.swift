import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// libFuzzer's driver and the failure report the fuzz targets share.
public enum LibFuzzer {
    /// Hands the process to libFuzzer with `testOneInput` and exits with its status.
    ///
    /// SwiftPM on Linux links an executable's `main` to the module's own entry point (`main.swift`), so
    /// libFuzzer's `main` is never linked in and `LLVMFuzzerRunDriver` is called from there instead.
    public static func run(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }

    /// The input libFuzzer passed (a null pointer for an empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: count > 0 ? data : nil, count: count)
    }

    /// True when `UPSHIFT_FUZZ_VERBOSE` is set: targets then print what an input did (for triage).
    public static let verbose = ProcessInfo.processInfo.environment["UPSHIFT_FUZZ_VERBOSE"] != nil

    /// A broken property of the code under test: aborts, so libFuzzer records the input as a crash.
    public static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("fuzz failure: \(message)\n".utf8))
        abort()
    }
}
