import Foundation

/// The `plumb` under test: the one `swift build` made, or `$PLUMB_BIN`.
/// These tests drive the binary as a user would, so they never link the engine.
enum PlumbBinary {
    /// The package root, three levels above this file (Tests/PlumbIntegrationTests/X.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Fails (never skips): CI builds first, so a missing binary is a broken pipeline.
    static func path() throws -> String {
        let fromEnv = ProcessInfo.processInfo.environment["PLUMB_BIN"]
        let path = fromEnv ?? packageRoot.appendingPathComponent(".build/debug/plumb").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SubprocessError(description: """
                no plumb binary at \(path)\(fromEnv == nil ? "" : " (from PLUMB_BIN)"): \
                run `swift build` first, or set PLUMB_BIN to the binary to test
                """)
        }
        return path
    }
}
