import Testing

/// Every end-to-end suite runs inside this one, one test at a time: each builds real fleets and blocks a
/// thread while they upgrade, and on a 2-core machine several at once would starve the tests that need
/// the cooperative thread pool (the wire tests' TLS deadlines).
@Suite(.serialized) enum EndToEnd {}
