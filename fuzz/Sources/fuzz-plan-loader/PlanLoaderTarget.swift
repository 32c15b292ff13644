import FuzzSupport

/// libFuzzer's test-one-input: the input, read as UTF-8 (invalid bytes replaced, as any text a plan file can
/// hold), is loaded as a plan and, when it loads, expanded into steps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlanLoader(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    PlanCheck.run(String(decoding: LibFuzzer.bytes(data, count), as: UTF8.self))
    return 0
}
