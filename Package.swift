// swift-tools-version:6.0
import PackageDescription

// Dependencies point downward only (DESIGN.md §3):
// plumb → PlumbCommands → PlumbEngine → {PlumbNetlink, PlumbFirewall, PlumbSystem, PlumbManifest}
let package = Package(
    name: "Plumb",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "plumb", targets: ["plumb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CNetlink", pkgConfig: "libnl-route-3.0",
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev", "libnl-genl-3-dev"])]),
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables",
                       providers: [.apt(["libnftables-dev"])]),
        .target(name: "CLinux"),
        .target(name: "PlumbSystem", dependencies: ["CLinux"]),
        .target(name: "PlumbNetlink", dependencies: ["CNetlink", "PlumbSystem", "PlumbManifest"]),
        .target(name: "PlumbFirewall", dependencies: ["CNFTables", "PlumbSystem"]),
        .target(name: "PlumbManifest", dependencies: ["Yams"]),
        .target(name: "PlumbEngine", dependencies: ["PlumbManifest", "PlumbSystem", "PlumbNetlink", "PlumbFirewall"]),
        .target(name: "PlumbCommands", dependencies: [
            "PlumbEngine", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "plumb", dependencies: ["PlumbCommands"]),
        .testTarget(name: "PlumbManifestTests", dependencies: ["PlumbManifest"]),
        .testTarget(name: "PlumbEngineTests", dependencies: ["PlumbEngine"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "PlumbSystemTests", dependencies: ["PlumbSystem"]),
        .testTarget(name: "PlumbNetlinkTests", dependencies: ["PlumbNetlink", "PlumbSystem"]),
        .testTarget(name: "PlumbFirewallTests", dependencies: ["PlumbFirewall", "PlumbSystem"]),
        // Root: drives the built `plumb` binary inside private namespaces, as a user would.
        .testTarget(name: "PlumbIntegrationTests"),
    ]
)
