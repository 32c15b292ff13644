import Foundation
import UpshiftPostgres

/// Proof that nothing wrote past the write fence between the checksums and the shutdown.
///
/// The fence is `default_transaction_read_only`, which a client may undo with `SET`: a row it writes after
/// the checksums would reach the new cluster unverified, and verify would find it only after the point of
/// no return. Every write takes a transaction id; while fenced, nothing else does (autovacuum is held off
/// and its workers ended with the client sessions). So the next transaction id the shutdown checkpoint
/// records must be the one the server would have handed out when the checksums finished.
struct FenceAudit {
    /// The next transaction id (32-bit, as pg_controldata shows it) once the checksums were taken.
    let nextXID: UInt64

    /// Reads the next transaction id from the old primary.
    static func begin(_ connection: PostgresConnection) throws -> FenceAudit {
        let text = try connection.query("select (pg_snapshot_xmax(pg_current_snapshot())::text::numeric % 4294967296)::text").rows[0][0] ?? ""
        guard let xid = UInt64(text) else { throw AgentError("cannot read the next transaction id (got '\(text)')") }
        return FenceAudit(nextXID: xid)
    }

    /// Throws when the shutdown checkpoint's next transaction id shows that transactions took ids after `begin`.
    func check(_ control: ControlData) throws {
        guard let field = control.raw["Latest checkpoint's NextXID"], let xid = field.split(separator: ":").last.flatMap({ UInt64($0) }) else {
            throw AgentError("pg_controldata shows no NextXID")
        }
        guard xid == nextXID else {
            throw AgentError("\(xid >= nextXID ? xid - nextXID : 1) transactions wrote on the old primary after its tables were checksummed "
                             + "(a client can lift the read-only fence with SET default_transaction_read_only = off): the old primary "
                             + "goes back into service; stop such clients (or revoke their login) before the next run")
        }
    }
}
