import Foundation
import NIOCore

/// Turns each inbound frame into one `Inbound` value and each outbound value into one frame.
///
/// A frame that does not decode is a peer we no longer understand: the error goes down the pipeline
/// (so the connection's reader sees it) and the connection is closed; nothing else is affected.
final class JSONMessageCodec<Inbound: Decodable, Outbound: Encodable>: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Inbound
    typealias OutboundIn = Outbound
    typealias OutboundOut = ByteBuffer

    private let encoder = WireJSON.makeEncoder()
    private let decoder = WireJSON.makeDecoder()
    private let maxFrameSize: Int
    private var failed = false

    init(maxFrameSize: Int) {
        self.maxFrameSize = maxFrameSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        let frame = Self.unwrapInboundIn(data)
        let message: Inbound
        do {
            message = try self.decoder.decode(Inbound.self, from: Data(frame.readableBytesView))
        } catch {
            self.failed = true
            context.fireErrorCaught(
                WireError.undecodableFrame(expected: "\(Inbound.self)", reason: Self.describe(error)))
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(Self.wrapInboundOut(message))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let message = Self.unwrapOutboundIn(data)
        do {
            let bytes = try self.encoder.encode(message)
            guard bytes.count <= self.maxFrameSize else {
                throw WireError.frameTooLarge(bytes: bytes.count, limit: self.maxFrameSize)
            }
            var buffer = context.channel.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            context.write(Self.wrapOutboundOut(buffer), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }

    /// DecodingError's own description is long and nests the whole context; the path and reason suffice.
    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context),
            DecodingError.keyNotFound(_, let context),
            DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
