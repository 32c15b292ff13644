import Foundation

extension InplaceContext {
    func preflight() throws { throw AgentError("preflight is not built yet") }
    func serveSync() throws {}
    func syncStandby() throws { throw AgentError("sync-standbys is not built yet") }
    func stopSyncSender() {}
}
