import Testing
import UpshiftPlan

/// Passwords never reach what Upshift writes down.
struct RedactionTests {
    @Test(arguments: [
        ("host=db1 port=5432 password=s3cret user=app", "host=db1 port=5432 password=*** user=app"),
        ("host=db1 password = 's3 cr\\'et' dbname=shop", "host=db1 password = *** dbname=shop"),
        ("PASSWORD=x host=a", "PASSWORD=*** host=a"),
        ("postgresql://app:s3cret@db1:5432/shop", "postgresql://app:***@db1:5432/shop"),
        ("postgres://db1/shop?user=app&password=s3cret&sslmode=require", "postgres://db1/shop?user=app&password=***&sslmode=require"),
        ("host=db1 user=app", "host=db1 user=app"),
    ])
    func passwordsAreReplaced(conninfo: String, shown: String) {
        #expect(Redaction.conninfo(conninfo) == shown)
        #expect(!Redaction.conninfo(conninfo).contains("s3"))
    }
}
