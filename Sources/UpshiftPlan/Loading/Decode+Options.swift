import Yams

extension PlanDecoder {
    static let commonOptionKeys = ["jobs", "heartbeat_timeout_s", "reattach_timeout_s", "step_timeouts", "verify"]
    static let inplaceOptionKeys = ["transfer", "standbys", "statistics", "schema_restore_check", "physical_slots", "logical_slots"]
    static let logicalOptionKeys = ["lag_threshold", "sequence_margin", "reverse_replication", "catch_up_timeout_s", "large_objects",
                                    "foreign_keys"]

    /// `options:`; every knob has a default, knobs of the other strategy are refused.
    func decodeOptions(_ top: MappingReader, strategy: Strategy?, postgres: PostgresVersions?) -> PlanOptions {
        var options = PlanOptions()
        // A logical plan keeps the way back (the reverse path) unless it says otherwise.
        if strategy == .logical { options.reverseReplication = true }
        guard let node = top.node("options"),
              let m = MappingReader(node, key: "options", what: "options", context: context) else { return options }
        m.rejectUnknownKeys(allowed: Self.commonOptionKeys + Self.inplaceOptionKeys + Self.logicalOptionKeys)
        if strategy == .inplace {
            Self.logicalOptionKeys.forEach { m.rejectKey($0, because: "applies only to strategy logical") }
        } else if strategy == .logical {
            Self.inplaceOptionKeys.forEach { m.rejectKey($0, because: "applies only to strategy inplace") }
        }
        if let jobs = m.int("jobs", in: 1...Int.max) { options.jobs = jobs }
        if let transfer: TransferMode = m.choice("transfer") {
            options.transfer = transfer
            if transfer == .swap, let to = postgres?.to.version, to < 18 {
                context.error(at: m.node("transfer"), "transfer 'swap' needs PostgreSQL 18 or newer; to.version is \(to)")
            }
        }
        if let standbys: StandbyMethod = m.choice("standbys") { options.standbys = standbys }
        if let decision: SlotDecision = m.choice("physical_slots") { options.physicalSlots = decision }
        if let decision: SlotDecision = m.choice("logical_slots") { options.logicalSlots = decision }
        if let statistics = m.string("statistics") {
            if PlanOptions.statisticsModes.contains(statistics) {
                options.statistics = statistics
            } else {
                context.error(at: m.node("statistics"), "invalid statistics '\(statistics)'; expected one of: "
                              + PlanOptions.statisticsModes.joined(separator: ", "))
            }
        }
        if let schemaRestore = m.bool("schema_restore_check") { options.schemaRestoreCheck = schemaRestore }
        if let verify: VerifyMode = m.choice("verify") {
            options.verify = verify
            if strategy == .logical, verify == .structural {
                context.error(at: m.node("verify"), "verify 'structural' applies only to strategy inplace (pg_upgrade carries relation "
                              + "files; a logical copy does not): use fenced or online")
            } else if strategy == .inplace, verify != .fenced, let from = postgres?.from.version, from < 15 {
                context.error(at: m.node("verify"), "verify '\(verify.rawValue)' needs PostgreSQL 15 or newer to upgrade from "
                              + "(pg_upgrade keeps relation file numbers since 15); from.version is \(from)")
            }
            if verify == .online, strategy == .inplace { checkOnlineReferences(m, standbys: options.standbys) }
        }
        if let lag = m.string("lag_threshold") {
            if PlanOptions.parseSize(lag) != nil {
                options.lagThreshold = lag
            } else {
                context.error(at: m.node("lag_threshold"), "'lag_threshold' expects a size like 1MB or 512kB, got '\(lag)'")
            }
        }
        options.sequenceMargin = m.int("sequence_margin", in: 0...Int.max)
        if let reverse = m.bool("reverse_replication") { options.reverseReplication = reverse }
        if let largeObjects: LargeObjectDecision = m.choice("large_objects") { options.largeObjects = largeObjects }
        if let foreignKeys: ForeignKeyCreation = m.choice("foreign_keys") { options.foreignKeys = foreignKeys }
        if let timeout = m.int("catch_up_timeout_s", in: 1...Int.max) { options.catchUpTimeoutS = timeout }
        if let timeout = m.int("heartbeat_timeout_s", in: 2...3600) { options.heartbeatTimeoutS = timeout }
        if let timeout = m.int("reattach_timeout_s", in: 0...86400) { options.reattachTimeoutS = timeout }
        if let node = m.node("step_timeouts"), let timeouts = MappingReader(node, key: "step_timeouts", what: "step_timeouts", context: context) {
            for (key, _) in timeouts.mapping {
                guard let step = key.scalar?.string else { continue }
                if let seconds = timeouts.int(step, in: 1...Int.max) { options.stepTimeoutsS[step] = seconds }
            }
        }
        return options
    }

    /// `verify: online` compares two references that outlive the write window: a keep_old standby (the old side)
    /// and a standby upgraded by rsync (the new side, held at the new primary's start).
    private func checkOnlineReferences(_ m: MappingReader, standbys: StandbyMethod) {
        let hosts = hostDrafts.map(\.host)
        var missing: [String] = []
        if !hosts.contains(where: { $0.role == .standby && $0.keepOld }) {
            missing.append("a keep_old standby (the old cluster's state at the shutdown checkpoint)")
        }
        if standbys != .rsync || !hosts.contains(where: { $0.role == .standby && !$0.keepOld }) {
            missing.append("a standby upgraded with standbys: rsync (the new cluster's state, held at the new primary's start)")
        }
        guard !missing.isEmpty else { return }
        context.error(at: m.node("verify"), "verify 'online' compares references kept outside the write window, and this plan lacks "
                      + missing.joined(separator: " and ") + "; use verify: fenced or structural instead")
    }

    /// `probe:`; on by default.
    func decodeProbe(_ top: MappingReader) -> ProbeSettings {
        var probe = ProbeSettings()
        guard let node = top.node("probe"),
              let m = MappingReader(node, key: "probe", what: "probe", context: context) else { return probe }
        m.rejectUnknownKeys(allowed: ["enabled", "write", "read", "interval_ms", "schema"])
        if let enabled = m.bool("enabled") { probe.enabled = enabled }
        probe.write = m.string("write")
        probe.read = m.string("read")
        if let interval = m.int("interval_ms", in: 1...Int.max) { probe.intervalMS = interval }
        if let schema = m.string("schema") {
            if schema.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) == nil || schema.hasPrefix("pg_") {
                context.error(at: m.node("schema"), "'schema' must be a plain lower-case identifier not starting with pg_, got '\(schema)'")
            } else if ["public", "information_schema"].contains(schema) {
                // The probe creates its schema and drops it afterwards: it must never be one applications use.
                context.error(at: m.node("schema"), "'schema' names a schema of the probe's own, created for the run and dropped after it; '\(schema)' holds other objects")
            } else {
                probe.schema = schema
            }
        }
        return probe
    }
}
