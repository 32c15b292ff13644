import Foundation
import UpshiftPlan

/// The built-in steps of the in-place strategy.
extension InplaceContext {
    func run(_ step: BuiltinStep) throws {
        switch step {
        case .preflight: try preflight()
        case .initNew: try InitNew(context: self).run()
        case .stopPrimary: try stopPrimary()
        case .detachKeepOld: try detachKeepOld()
        case .stopStandbys: try stopStandby()
        case .pgUpgrade: try pgUpgrade(); try serveSync()
        case .syncStandbys: try syncStandby()
        case .startPrimary: try startPrimary()
        case .startStandbys: try startStandby()
        case .basebackupStandbys: try basebackupStandby()
        case .verify: try verify()
        case .verifyStandbys: try verifyStandby()
        case .checksumKeepOld: try checksumKeepOld()
        case .statistics: try statistics()
        case .rollback: try rollback()
        case .snapshot, .schemaPre, .data, .schemaPost, .subscribe, .cutover, .switchover, .post, .rollbackToSource, .finish:
            throw AgentError("the in-place strategy has no step \(step.id)")
        }
    }
}
