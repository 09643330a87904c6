import MCPCore
import Testing

@Suite("Protocol versions")
struct ProtocolVersionTests {
    @Test func supportedRevisionsNewestFirst() {
        #expect(ProtocolVersion.supported.map(\.rawValue) == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"])
        #expect(ProtocolVersion.supported == ProtocolVersion.supported.sorted(by: >))
    }

    @Test func onlyTheStatelessRevisionIsModern() {
        #expect(!ProtocolVersion.v2026_07_28.isLegacy)
        #expect(ProtocolVersion.supported.dropFirst().allSatisfy { $0.isLegacy })
        #expect(ProtocolVersion(rawValue: "2024-11-05").isLegacy)
    }
}
