import Foundation
import UpshiftPlan

/// The built-in steps of the logical (blue/green) strategy.
extension LogicalContext {
    func run(_ step: BuiltinStep) throws {
        switch step {
        case .preflight: try preflight()
        case .snapshot: try snapshot()
        case .schemaPre: try schemaPre()
        case .data: try data()
        case .schemaPost: try schemaPost()
        case .subscribe: try subscribe()
        case .cutover: try cutover()
        case .switchover: try switchover()
        case .verify: try verifyAtSwitch()
        case .post: try post()
        case .rollback: try rollback()
        case .rollbackToSource: try rollbackToSource()
        case .finish: try finish()
        case .initNew, .stopPrimary, .detachKeepOld, .stopStandbys, .pgUpgrade, .syncStandbys, .startPrimary, .startStandbys,
             .basebackupStandbys, .verifyStandbys, .checksumKeepOld, .statistics:
            throw AgentError("the logical strategy has no step \(step.id)")
        }
    }
}
