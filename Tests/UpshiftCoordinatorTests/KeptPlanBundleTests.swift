import Foundation
import Testing
@testable import UpshiftCoordinator
import UpshiftWire

/// `plan-bundle.json` keeps the plan a run ran without its secrets; resume gets them back from the environment.
struct KeptPlanBundleTests {
    static let bundle = PlanBundle(planPath: "plan.yaml", planText: "probe: { write: \"${PROBE}\" }\nhosts: ${HOSTS_NOTE} ${API_TOKEN}\n",
                                   hooks: [:], variables: ["PROBE": "host=db1 user=probe password='s3 cr3t'", "HOSTS_NOTE": "plain",
                                                           "API_TOKEN": "tok-123"])

    @Test func secretsAreKeptRedactedAndNamed() throws {
        let kept = KeptPlanBundle(Self.bundle)
        #expect(kept.withheld == ["API_TOKEN", "PROBE"])
        #expect(kept.variables == ["PROBE": "host=db1 user=probe password=***", "HOSTS_NOTE": "plain", "API_TOKEN": "***"])
        let written = String(decoding: try JSONEncoder().encode(kept), as: UTF8.self)
        #expect(!written.contains("s3 cr3t") && !written.contains("tok-123"))
        #expect(kept.sha256 == Self.bundle.sha256, "it still names the bundle the agents got")
    }

    @Test func resumeRestoresTheBundleFromTheEnvironment() throws {
        let kept = KeptPlanBundle(Self.bundle)
        let restored = try kept.restored(environment: ["PROBE": "host=db1 user=probe password='s3 cr3t'", "API_TOKEN": "tok-123"], path: "r")
        #expect(restored == Self.bundle)
    }

    @Test func aMissingOrChangedSecretIsRefusedByName() throws {
        let kept = KeptPlanBundle(Self.bundle)
        #expect { try kept.restored(environment: ["PROBE": "x"], path: "r") } throws: { "\($0)".contains("API_TOKEN") }
        #expect { try kept.restored(environment: ["PROBE": "host=db1 password=other", "API_TOKEN": "tok-123"], path: "r") } throws: {
            "\($0)".contains("does not match the run's hash") && "\($0)".contains("PROBE")
        }
    }
}
