import Foundation
import FuzzSupport
import NIOCore
import NIOEmbedded
import NIOExtras
import UpshiftWire

/// Feeds one input through an in-memory channel with the wire's handlers and checks what comes out:
/// messages, or one of the errors the pipeline is meant to raise, and nothing else.
enum FrameCheck<Message: Codable & Equatable> {
    static func run(_ input: FrameInput) {
        let channel = EmbeddedChannel()
        do {
            try Framing.addHandlers(to: channel.pipeline.syncOperations, inbound: Message.self, outbound: Message.self,
                                    maxFrameSize: input.maxFrameSize)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7710)).wait()
        } catch {
            LibFuzzer.fail("setting up the pipeline failed: \(error)")
        }
        var received: [Message] = []
        var failure: Error?
        for read in input.reads where failure == nil {
            do {
                try channel.writeInbound(channel.allocator.buffer(bytes: read))
            } catch {
                failure = error
            }
            received += drain(channel)
        }
        if let failure { checkClean(failure, channelOpen: channel.isActive) }
        for message in received {
            if channel.isActive { sendBack(message, on: channel) }
            checkResendable(message)
        }
        do {
            _ = try channel.finish(acceptAlreadyClosed: true)
        } catch {
            checkClean(error, channelOpen: false)
        }
        if LibFuzzer.verbose {
            print("\(Message.self): \(received.count) message(s); error: \(failure.map { "\($0)" } ?? "none")")
            received.forEach { print("  \($0)") }
        }
    }

    /// Every message the pipeline passed on so far.
    private static func drain(_ channel: EmbeddedChannel) -> [Message] {
        var messages: [Message] = []
        do {
            while let message = try channel.readInbound(as: Message.self) { messages.append(message) }
        } catch {
            LibFuzzer.fail("the pipeline passed on something that is not a \(Message.self): \(error)")
        }
        return messages
    }

    /// The errors a peer's bytes may cause: an undecodable frame (which closes the connection), a frame over the
    /// limit, a length field NIO refuses, bytes left over or arriving after an error, a closed channel.
    private static func checkClean(_ error: Error, channelOpen: Bool) {
        switch error {
        case WireError.undecodableFrame(let expected, let reason):
            guard expected == "\(Message.self)", !reason.isEmpty else {
                LibFuzzer.fail("undecodable frame error names \(expected), reason '\(reason)'")
            }
            guard !channelOpen else { LibFuzzer.fail("an undecodable frame left the connection open") }
        case is ByteToMessageDecoderError.PayloadTooLargeError, is ByteToMessageDecoderError,
             is NIOLengthFieldBasedFrameDecoderError, is NIOExtrasErrors.LeftOverBytesError,
             ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed:
            break
        default:
            LibFuzzer.fail("unexpected error \(String(reflecting: type(of: error))): \(error)")
        }
    }

    /// A received message written back out through the codec: a frame, or `frameTooLarge` under a small limit.
    private static func sendBack(_ message: Message, on channel: EmbeddedChannel) {
        do {
            try channel.writeOutbound(message)
            while try channel.readOutbound(as: ByteBuffer.self) != nil {}
        } catch WireError.frameTooLarge {
        } catch {
            LibFuzzer.fail("a received message cannot be sent again: \(error); \(message)")
        }
    }

    /// What was received can be sent and read back (journals and resume rely on it): after one trip through
    /// WireJSON (which rounds dates to milliseconds) a message must come back unchanged.
    private static func checkResendable(_ message: Message) {
        let encoder = WireCoders.encoder, decoder = WireCoders.decoder
        do {
            let once = try decoder.decode(Message.self, from: encoder.encode(message))
            let twice = try decoder.decode(Message.self, from: encoder.encode(once))
            guard once == twice else { LibFuzzer.fail("a message changes when sent again: \(once) became \(twice)") }
        } catch {
            LibFuzzer.fail("a received message does not survive WireJSON: \(error); \(message)")
        }
    }
}

/// One WireJSON encoder and decoder for every input (a generic type cannot hold them).
private enum WireCoders {
    static let encoder = WireJSON.makeEncoder()
    static let decoder = WireJSON.makeDecoder()
}
