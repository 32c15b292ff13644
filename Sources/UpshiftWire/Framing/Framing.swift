import NIOCore
import NIOExtras

/// Frames on the wire: a 4-byte big-endian length, then that many bytes of JSON (public for the fuzz package).
public enum Framing {
    /// Largest frame either side accepts; a plan bundle carries every hook's source, so this is generous.
    public static let defaultMaxFrameSize = 64 * 1024 * 1024

    /// Adds the framing and JSON codec handlers after whatever the pipeline already holds (TLS, in practice).
    public static func addHandlers<Inbound: Decodable, Outbound: Encodable>(
        to pipeline: ChannelPipeline.SynchronousOperations,
        inbound: Inbound.Type,
        outbound: Outbound.Type,
        maxFrameSize: Int = defaultMaxFrameSize
    ) throws {
        // The frame decoder has no limit of its own; the buffer limit bounds what a peer can make us hold
        // while a frame is still arriving, which is the same as bounding the frame.
        try pipeline.addHandler(
            ByteToMessageHandler(
                LengthFieldBasedFrameDecoder(lengthFieldLength: .four, lengthFieldEndianness: .big),
                maximumBufferSize: maxFrameSize))
        try pipeline.addHandler(LengthFieldPrepender(lengthFieldLength: .four, lengthFieldEndianness: .big))
        try pipeline.addHandler(JSONMessageCodec<Inbound, Outbound>(maxFrameSize: maxFrameSize))
    }
}
