import Testing
@testable import UpshiftPlan

/// DESIGN.md's two plan examples, verbatim.
enum DesignExamples {
    static let inplace = """
version: 1
name: shop-15-to-17
strategy: inplace            # inplace (pg_upgrade) | logical (blue/green over logical replication)
postgres:
  from: { version: 15, bindir: /usr/lib/postgresql/15/bin }
  to:   { version: 17, bindir: /opt/pg/17/bin }
tls: { dir: ./tls }          # from `upshift certs init`
hosts:
  - name: db1
    agent: 10.0.0.11:7710
    role: primary
    port: 5432
    pgdata: /var/lib/postgresql/15/main        # the old cluster
    new_pgdata: /var/lib/postgresql/17/main    # where the new cluster is made
  - name: db2
    agent: 10.0.0.12:7710
    role: standby            # upgraded by rsync hard-link sync (default) or rebuilt by pg_basebackup
    port: 5432
    pgdata: /var/lib/postgresql/15/main
    new_pgdata: /var/lib/postgresql/17/main
  - name: db3
    agent: 10.0.0.13:7710
    role: standby
    keep_old: true           # left on the old version, detached: the rollback target
    port: 5432
    pgdata: /var/lib/postgresql/15/main
options:
  transfer: link             # link | clone | copy | swap (pg_upgrade mode)
  jobs: 4
  standbys: rsync            # rsync | basebackup
  statistics: analyze-in-stages
probe:                       # on by default: writes and reads every interval during the run
  write: "host=10.0.0.5 port=6432 dbname=shop"   # default: the primary's address
  read: "host=10.0.0.5 port=6433 dbname=shop"    # default: the first upgraded standby
  interval_ms: 50
hooks:
  - at: before:stop-primary  # before:/after: any step id that `upshift plan` prints
    run: Hooks/pgbouncer.lua
    on: primary              # a role or a host name; default: every host the step runs on
  - at: after:start-primary
    run: Hooks/notify.lua
    with: { channel: "#dba" }
"""

    static let logical = """
version: 1
name: shop-bigint
strategy: logical
postgres:
  from: { version: 15, bindir: /usr/lib/postgresql/15/bin }
  to:   { version: 17, bindir: /opt/pg/17/bin }
tls: { dir: ./tls }
source:
  hosts: [ { name: old1, agent: 10.0.0.11:7710, role: primary, port: 5432, pgdata: /var/lib/postgresql/15/main } ]
target:
  hosts: [ { name: new1, agent: 10.0.0.21:7710, role: primary, port: 5432, pgdata: /var/lib/postgresql/17/main } ]
databases: [shop]
options:
  jobs: 4
  lag_threshold: 1MB
  sequence_margin: 1000
  reverse_replication: true
transforms:
  - { table: public.orders, column: id, type: bigint }     # referencing FK columns follow
skip: [ public.audit_events ]                                # copied by a hook instead
hooks:
  - at: after:data
    run: Hooks/bulk_copy.lua
    with: { table: public.audit_events, parallel: 4 }
"""
}
