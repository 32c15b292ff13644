import Foundation
import Testing
import UpshiftPostgres
import UpshiftTestSupport

@Suite struct RsyncTests {
    @Test func parsesRealProgressAndStatsAndKeepsHardLinks() throws {
        let dir = try ScratchDir(prefix: "up-rs")
        defer { dir.remove() }
        let source = "\(dir.path)/src"
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        for index in 0..<3 {
            try Data(repeating: UInt8(index), count: 200_000).write(to: URL(fileURLWithPath: "\(source)/f\(index)"))
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: "\(source)/sub/small"))
        try FileManager.default.linkItem(atPath: "\(source)/f0", toPath: "\(source)/sub/f0-link")

        var progress: [RsyncProgress] = []
        let options = RsyncOptions(sources: [source], destination: "\(dir.path)/dst")
        let result = try options.invocation().run { line in
            if line.isComplete, let step = RsyncOutput.progress(of: line.text) { progress.append(step) }
        }
        try result.requireSuccess()
        // rsync counts the hard-linked bytes in its total but never sends them: 75%, yet done.
        #expect(progress.last?.filesRemaining == 0 && progress.last?.filesTotal == 7)
        #expect(progress.last?.bytes == 600_001 && progress.last?.percent == 75)
        let stats = try RsyncOutput.stats(in: result.stdout)
        #expect(stats.files == 7)
        #expect(stats.filesByKind["reg"] == 5 && stats.filesByKind["dir"] == 2)
        #expect(stats.totalFileSize == 800_001)
        #expect(stats.regularFilesTransferred == 4, "the hard link is made, not sent")

        let copied = try FileManager.default.attributesOfItem(atPath: "\(dir.path)/dst/src/sub/f0-link")
        #expect(copied[.referenceCount] as? Int == 2)
        let again = try RsyncOutput.stats(in: options.invocation().run().requireSuccess().stdout)
        #expect(again.regularFilesTransferred == 0)
    }
}
