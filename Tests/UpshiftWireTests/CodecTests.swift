import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import UpshiftWire

/// An in-memory pipeline with the wire's framing and codec, speaking `M` both ways.
private func makeChannel<M: Codable>(_: M.Type, maxFrameSize: Int = Framing.defaultMaxFrameSize) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try Framing.addHandlers(to: channel.pipeline.syncOperations, inbound: M.self, outbound: M.self, maxFrameSize: maxFrameSize)
    return channel
}

/// Writes `message` out and returns the bytes that would go on the wire, as one buffer.
private func wireBytes<M: Codable>(_ message: M, through channel: EmbeddedChannel) throws -> ByteBuffer {
    try channel.writeOutbound(message)
    var bytes = channel.allocator.buffer(capacity: 0)
    while var part = try channel.readOutbound(as: ByteBuffer.self) {
        bytes.writeBuffer(&part)
    }
    return bytes
}

private func roundTrip<M: Codable & Equatable>(_ message: M) throws -> M? {
    let channel = try makeChannel(M.self)
    defer { _ = try? channel.finish() }
    try channel.writeInbound(try wireBytes(message, through: channel))
    return try channel.readInbound(as: M.self)
}

@Suite struct CodecTests {
    @Test(arguments: SampleMessages.coordinator)
    func coordinatorMessageSurvivesTheWire(_ message: CoordinatorMessage) throws {
        #expect(try roundTrip(message) == message)
    }

    @Test(arguments: SampleMessages.agent)
    func agentMessageSurvivesTheWire(_ message: AgentMessage) throws {
        #expect(try roundTrip(message) == message)
    }

    @Test func aFrameIsABigEndianLengthThenJSON() throws {
        let channel = try makeChannel(CoordinatorMessage.self)
        defer { _ = try? channel.finish() }
        var bytes = try wireBytes(CoordinatorMessage.bye, through: channel)
        let length = bytes.readInteger(endianness: .big, as: UInt32.self)
        #expect(length.map(Int.init) == bytes.readableBytes)
        let json = bytes.readString(length: bytes.readableBytes) ?? ""
        #expect(json.contains("bye"))
    }

    @Test func stepEventKeepsMilliseconds() throws {
        let at = Date(timeIntervalSince1970: 1_714_564_800.123)
        let event = StepEvent(runID: "r", stepID: "s", host: "db1", at: at, kind: .started)
        guard case .event(let back)? = try roundTrip(AgentMessage.event(event)) else {
            Issue.record("no event came back")
            return
        }
        #expect((back.at.timeIntervalSince1970 * 1000).rounded() == 1_714_564_800_123)
        #expect(abs(back.at.timeIntervalSince(at)) < 0.000_5)
    }

    @Test func datesOnTheWireAreUTCWithRoundedMilliseconds() throws {
        #expect(WireJSON.format(Date(timeIntervalSince1970: 1_714_564_800.123)) == "2024-05-01T12:00:00.123Z")
        #expect(WireJSON.format(Date(timeIntervalSince1970: 1_714_564_800.9996)) == "2024-05-01T12:00:01.000Z")
        #expect(WireJSON.parse("2024-05-01T12:00:00Z") == Date(timeIntervalSince1970: 1_714_564_800))
        #expect(WireJSON.parse("2024-05-01T12:00:00.5Z") == Date(timeIntervalSince1970: 1_714_564_800.5))
        #expect(WireJSON.parse("2024-05-01T12:00:00.Z") == nil)
        #expect(WireJSON.parse("2024-05-01 12:00:00") == nil)
    }

    @Test func framesSplitAnywhereOrSharingABufferDecodeExactly() throws {
        let channel = try makeChannel(CoordinatorMessage.self)
        defer { _ = try? channel.finish() }
        var both = try wireBytes(CoordinatorMessage.hello(CoordinatorHello(expectedAgent: "db1")), through: channel)
        var second = try wireBytes(CoordinatorMessage.bye, through: channel)
        both.writeBuffer(&second)
        // One byte at a time: nothing until a frame is complete, then exactly that message.
        var received: [CoordinatorMessage] = []
        while let byte = both.readSlice(length: 1) {
            try channel.writeInbound(byte)
            while let message = try channel.readInbound(as: CoordinatorMessage.self) { received.append(message) }
        }
        #expect(received == [.hello(CoordinatorHello(expectedAgent: "db1")), .bye])
    }

    @Test func anUndecodableFrameClosesTheConnectionWithAnError() throws {
        let channel = try makeChannel(CoordinatorMessage.self)
        var frame = channel.allocator.buffer(capacity: 16)
        let junk = #"{"launchMissiles":{}}"#
        frame.writeInteger(UInt32(junk.utf8.count), endianness: .big)
        frame.writeString(junk)
        #expect {
            try channel.writeInbound(frame)
        } throws: { error in
            guard case WireError.undecodableFrame(let expected, _) = error else { return false }
            return expected == "CoordinatorMessage"
        }
        #expect(!channel.isActive)
        #expect(try channel.readInbound(as: CoordinatorMessage.self) == nil)
    }

    @Test func aFrameOverTheLimitIsRefused() throws {
        let channel = try makeChannel(CoordinatorMessage.self, maxFrameSize: 256)
        defer { _ = try? channel.finish() }
        var frame = channel.allocator.buffer(capacity: 512)
        frame.writeInteger(UInt32(100_000), endianness: .big)
        frame.writeRepeatingByte(UInt8(ascii: "x"), count: 300)
        #expect(throws: ByteToMessageDecoderError.PayloadTooLargeError.self) {
            try channel.writeInbound(frame)
        }
    }

    @Test func aMessageOverTheLimitIsNotSent() throws {
        let channel = try makeChannel(CoordinatorMessage.self, maxFrameSize: 256)
        defer { _ = try? channel.finish() }
        let big = CoordinatorMessage.loadPlan(PlanBundle(planPath: "p", planText: String(repeating: "x", count: 1000), hooks: [:]))
        #expect(throws: WireError.self) { try channel.writeOutbound(big) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}
