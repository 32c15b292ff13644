/// Thresholds of the in-place preflight checks.
struct PreflightLimits: Sendable, Equatable {
    /// A transaction open longer than this fails `long-transactions`.
    var maxTransactionAgeSeconds = 300
    /// A standby further behind than this fails `replay-lag`.
    var maxReplayLagBytes = 16 << 20
    /// A sequence of an int2/int4 column with less than this share of its range left warns in `sequence-headroom`.
    var sequenceHeadroomPercent = 10.0
    /// Whether `schema-restore` runs (it dumps every database's schema and restores it into a scratch cluster).
    var schemaRestore = true
}
