/// One fuzz input read as a connection: a control byte, then the byte stream the peer sent.
struct FrameInput {
    /// Read sizes the control byte picks from (0: the whole stream in one read).
    static let readSizes = [0, 1, 2, 3, 7, 64, 255, 1000]
    /// Frame limits it picks from: the real one, then small ones the inputs can exceed.
    static let frameLimits = [64 * 1024 * 1024, 16, 300, 2048]

    /// True: the stream goes to an agent (`CoordinatorMessage`s); false: to the coordinator (`AgentMessage`s).
    let agentSide: Bool
    /// The peer's bytes, cut into the reads the connection would see.
    let reads: [[UInt8]]
    /// The limit `Framing.addHandlers` is given.
    let maxFrameSize: Int

    /// Nil for an empty input.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let control = bytes.first else { return nil }
        agentSide = control & 1 == 0
        maxFrameSize = Self.frameLimits[Int(control >> 4) & 3]
        let stream = Array(bytes.dropFirst())
        let size = Self.readSizes[Int(control >> 1) & 7]
        reads = size == 0 ? [stream] : stride(from: 0, to: stream.count, by: size).map {
            Array(stream[$0..<min($0 + size, stream.count)])
        }
    }
}
