import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Debian package `scripts/package.sh` built, installed on this machine with apt as an
/// operator would (`apt-get install ./plumb_….deb`) and purged again. A real install changes
/// the machine's dpkg database, so this type refuses to start over anything that is not its
/// own: a `plumb` package someone else installed, or a file where the package would put one
/// (dpkg would overwrite it, and the purge would then delete it).
struct DebianPackage {
    let path: String
    /// Every path the archive holds ("/usr/sbin/plumb", "/etc/plumb", …), from `dpkg-deb -c`.
    let paths: [String]

    static let name = "plumb"
    /// Left while this test's install is on the machine: a run killed before its purge (a CI
    /// time-out) is then recognised as ours, and purged by the next run instead of refused.
    static let marker = "/var/lib/plumb-package-test.installed"

    /// The one .deb in .build/package (package.sh empties it first), or `$PLUMB_DEB`.
    /// Fails, never skips: scripts/test.sh builds it before the suite.
    static func built() throws -> DebianPackage {
        let path: String
        if let fromEnv = ProcessInfo.processInfo.environment["PLUMB_DEB"] {
            path = fromEnv
        } else {
            let dir = PlumbBinary.packageRoot.appendingPathComponent(".build/package")
            let debs = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".deb") }
            guard debs.count == 1 else {
                throw SubprocessError(description: """
                    expected one .deb in \(dir.path), found \(debs): run scripts/package.sh first \
                    (scripts/test.sh does), or set PLUMB_DEB
                    """)
            }
            path = dir.appendingPathComponent(debs[0]).path
        }
        let listing = try host(["dpkg-deb", "-c", path])
        guard listing.succeeded else { throw SubprocessError(description: "not a Debian package:\n\(listing)") }
        // "drwxr-xr-x root/root 0 2026-12-02 07:50 ./usr/sbin/" → "/usr/sbin"; a link's "-> target" dropped.
        let paths = listing.stdout.split(separator: "\n").compactMap { line -> String? in
            guard let dot = line.range(of: " ./") else { return nil }
            var entry = String(line[dot.upperBound...])
            if let arrow = entry.range(of: " -> ") { entry = String(entry[..<arrow.lowerBound]) }
            while entry.hasSuffix("/") { entry.removeLast() }
            return entry.isEmpty ? nil : "/" + entry
        }
        return DebianPackage(path: path, paths: paths)
    }

    /// The package's `Version:` field.
    func version() throws -> String {
        try Self.host(["dpkg-deb", "-f", path, "Version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The packages named in the `Depends:` field, without their versions.
    func dependencies() throws -> Set<String> {
        let field = try Self.host(["dpkg-deb", "-f", path, "Depends"]).stdout
        return Set(field.split(separator: ",").compactMap { $0.split(separator: " ").first.map(String.init) })
    }

    /// The packages that own the libraries an installed binary links directly (its ELF
    /// NEEDED entries, resolved by the dynamic loader), as dpkg -S names them. Bookworm
    /// registers some libraries under /lib and some under /usr/lib (merged /usr): both asked.
    static func ownersOfLinkedLibraries(_ binary: String) throws -> Set<String> {
        let script = #"""
            bin=$1
            for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
              path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 } $1 ~ ("/" l "$") { print $1 }' | head -1)
              [ -n "$path" ] || { echo "unresolved-$lib"; continue; }
              dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || echo "unowned-$lib"
            done | cut -d: -f1 | sort -u
            """#
        let r = try host(["/bin/bash", "-c", script, "owners", binary])
        guard r.succeeded else { throw SubprocessError(description: "cannot resolve the libraries of \(binary):\n\(r)") }
        return Set(r.stdout.split(separator: "\n").map(String.init))
    }

    /// dpkg's abbreviated state of the package on this machine ("ii ", "rc ", …); nil when dpkg
    /// has never heard of it.
    static func state() throws -> String? {
        let r = try host(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", name])
        return r.succeeded ? r.stdout : nil
    }

    static func isPresent(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Throws unless the machine has no trace of a `plumb` package nor any of its files; a
    /// leftover of this test's own killed run is purged first.
    func requireMachineFree() throws {
        if Self.isPresent(Self.marker) {
            _ = try Self.purge()
            try? FileManager.default.removeItem(atPath: Self.marker)
        }
        if let state = try Self.state(), !state.hasPrefix("un"), !state.hasPrefix("pn") {
            throw SubprocessError(description: """
                a plumb package is already on this machine (dpkg state "\(state)") and was not installed \
                by this test: refusing to replace it. Remove it (apt remove --purge plumb) to run this test.
                """)
        }
        let taken = paths.filter { Self.isPresent($0) && !FileManager.default.isDirectory($0) }
        guard taken.isEmpty else {
            throw SubprocessError(description: "files the package would overwrite (and its purge delete) exist: \(taken)")
        }
    }

    /// `apt-get install -y ./plumb_….deb`: apt resolves Depends from the machine's packages.
    func install() throws -> CommandResult {
        FileManager.default.createFile(atPath: Self.marker, contents: Data(path.utf8))
        return try Self.host(["apt-get", "install", "-y", path], timeout: .seconds(180))
    }

    /// `apt-get remove --purge -y plumb`; the marker goes once dpkg no longer has the package.
    @discardableResult
    static func purge() throws -> CommandResult {
        let r = try host(["apt-get", "remove", "--purge", "-y", name], timeout: .seconds(120))
        if let state = try state(), !state.hasPrefix("un"), !state.hasPrefix("pn") { return r }
        try? FileManager.default.removeItem(atPath: marker)
        return r
    }

    /// Runs on the machine itself (not in a sandbox): the dpkg database is the machine's.
    static func host(_ argv: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory
        return try Subprocess.run(argv, environment: ["DEBIAN_FRONTEND": "noninteractive"],
                                  timeout: timeout, scratch: scratch)
    }
}

extension FileManager {
    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
