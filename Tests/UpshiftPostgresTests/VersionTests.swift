import Testing
import UpshiftPostgres
import UpshiftTestSupport

@Suite struct VersionTests {
    @Test func parsesTheFormsPostgresPrints() throws {
        let debian = try #require(PostgresVersion.parse("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"))
        #expect(debian.major == 15 && debian.minor == 18)
        #expect(debian.full == "15.18 (Debian 15.18-0+deb12u1)")
        let plain = try #require(PostgresVersion.parse("pg_ctl (PostgreSQL) 18.6"))
        #expect(plain.major == 18 && plain.minor == 6)
        let beta = try #require(PostgresVersion.parse("postgres (PostgreSQL) 19beta1"))
        #expect(beta.major == 19 && beta.minor == 0)
        #expect(PostgresVersion.parse("not a version") == nil)
        #expect(PostgresVersion.parse("postgres (PostgreSQL) 9.6.24") == nil)
        #expect(debian < plain)
        #expect(PostgresVersion.parse("15.9")! < PostgresVersion.parse("15.18")!)
    }

    @Test func readsTheInstalledBuilds() throws {
        let v15 = try TestPostgres.binaries("15").version()
        let v17 = try TestPostgres.binaries("17").version()
        let v18 = try TestPostgres.binaries("18").version()
        #expect(v15.major == 15 && v15.minor == 18)
        #expect(v17.major == 17 && v17.minor == 10)
        #expect(v18.major == 18 && v18.minor == 6)
        #expect(v15 < v17 && v17 < v18)
        #expect(try TestPostgres.binaries("15-debian").version().major == 15)
    }

    @Test func aMissingBuildFailsNamingTheBootstrapScript() {
        let error = #expect(throws: TestSetupError.self) { try TestPostgres.bindir("14") }
        #expect(error?.description.contains("scripts/bootstrap.sh") == true)
    }
}
