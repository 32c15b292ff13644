import FuzzSupport
import UpshiftWire

/// libFuzzer's test-one-input: the first byte picks the side, the read sizes and the frame limit; the rest is
/// what the peer sent, fed through the wire's real pipeline handlers (`Framing.addHandlers`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireFrames(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let input = FrameInput(LibFuzzer.bytes(data, count)) else { return 0 }
    if input.agentSide {
        FrameCheck<CoordinatorMessage>.run(input)
    } else {
        FrameCheck<AgentMessage>.run(input)
    }
    return 0
}
