import Foundation

/// The built-in steps of the in-place strategy, by step id.
extension InplaceContext {
    func run(_ stepID: String) throws {
        switch stepID {
        case "preflight": try preflight()
        case "init-new": try InitNew(context: self).run()
        case "stop-primary": try stopPrimary()
        case "detach-keep-old": try detachKeepOld()
        case "stop-standbys": try stopStandby()
        case "pg-upgrade": try pgUpgrade(); try serveSync()
        case "sync-standbys": try syncStandby()
        case "start-primary": try startPrimary()
        case "start-standbys": try startStandby()
        case "basebackup-standbys": try basebackupStandby()
        case "verify": try verify()
        case "verify-standbys": try verifyStandby()
        case "statistics": try statistics()
        case "rollback": try rollback()
        default: throw AgentError("the in-place strategy has no step \(stepID)")
        }
    }
}
