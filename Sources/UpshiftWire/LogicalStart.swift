/// Where one source database's logical replication starts (the `snapshot` step's fact, one per database).
public struct LogicalStart: Codable, Sendable, Equatable {
    /// The source database.
    public var database: String
    /// The slot's consistent point: the copy sees everything before it, the subscription applies what follows.
    public var lsn: String
    /// The snapshot exported with the slot, held open by the target's agent until `subscribe`.
    public var snapshot: String
    /// A hash of the source schema at the snapshot; the cutover stops when it has changed (DDL is not replicated).
    public var schemaFingerprint: String
    /// The tables published (`schema.table`), copied and compared.
    public var tables: [String]

    public init(database: String, lsn: String, snapshot: String, schemaFingerprint: String, tables: [String]) {
        self.database = database
        self.lsn = lsn
        self.snapshot = snapshot
        self.schemaFingerprint = schemaFingerprint
        self.tables = tables
    }
}
