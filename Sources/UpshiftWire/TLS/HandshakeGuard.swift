import NIOCore
import NIOSSL
import NIOTLS  // TLSUserEvent; a dependency of NIOSSL

/// Sits right after the TLS handler: reports the handshake's outcome and closes a connection whose
/// handshake has not finished by the deadline (a silent TCP peer would otherwise hold it open forever).
final class HandshakeGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    /// Why a handshake did not finish in time.
    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "TLS handshake timed out" }
    }

    private let deadline: NIODeadline
    private let outcome: EventLoopPromise<Void>?
    private let verifyPeer: ((NIOSSLCertificate?) throws -> Void)?
    /// Called once when the handshake has settled either way (the server gives back its slot).
    private let onSettled: (() -> Void)?
    private var timer: Scheduled<Void>?
    private var settled = false

    /// `outcome` (if given) succeeds when the handshake completes and `verifyPeer` (if given) accepts the
    /// peer's certificate; it fails with the first error otherwise, and then the connection is closed.
    init(
        deadline: NIODeadline,
        outcome: EventLoopPromise<Void>?,
        verifyPeer: ((NIOSSLCertificate?) throws -> Void)? = nil,
        onSettled: (() -> Void)? = nil
    ) {
        self.deadline = deadline
        self.outcome = outcome
        self.verifyPeer = verifyPeer
        self.onSettled = onSettled
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: self.deadline) {
            let (handler, context) = loopBound.value
            handler.fail(context: context, error: TimedOut())
            context.fireErrorCaught(TimedOut())
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // A connect that fails never makes the channel active, so nothing else would settle the outcome.
        self.fail(context: context, error: ChannelError.ioOnClosedChannel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !self.settled {
            do {
                if let verifyPeer = self.verifyPeer {
                    let tls = try context.pipeline.syncOperations.handler(type: NIOSSLHandler.self)
                    try verifyPeer(tls.peerCertificate)
                }
            } catch {
                self.fail(context: context, error: error)
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
            self.settled = true
            self.timer?.cancel()
            self.outcome?.succeed()
            self.onSettled?()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.fail(context: context, error: error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(context: context, error: ChannelError.eof)
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, error: Error) {
        guard !self.settled else { return }
        self.settled = true
        self.timer?.cancel()
        self.outcome?.fail(error)
        self.onSettled?()
    }
}
