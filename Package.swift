// swift-tools-version:6.0
import PackageDescription

// Dependencies point downward only (docs/ARCHITECTURE.md):
// plumb → PlumbCommands → PlumbEngine → {PlumbManifest, PlumbNetlink, PlumbFirewall} → PlumbSystem → PlumbTypes
// PlumbJSON (JSON coding) is a leaf beside PlumbTypes: PlumbFirewall, PlumbEngine and PlumbCommands use it.
// PlumbNetlink never sees the manifest: the engine turns manifest values into kernel requests.

// Concrete generic types (a Codable type's KeyedDecodingContainer<CodingKeys>, …) are reached
// through direct metadata accessors, not through mangled names that the Swift runtime
// demangles on first use, checking each generic requirement by a scan of every protocol
// conformance in the binary (~7,500). Each CNI call is a new process and paid that on every
// call: ADD ~2 ms, VERSION 7.8 → 6.6 ms (README, "CNI" under Benchmarks).
let metadataAccess: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"])]

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
                       providers: [.apt(["libnl-3-dev", "libnl-route-3-dev", "libnl-genl-3-dev", "libnl-nf-3-dev"])]),
        .systemLibrary(name: "CNFTables", pkgConfig: "libnftables",
                       providers: [.apt(["libnftables-dev"])]),
        .target(name: "CLinux"),
        // Leaf value types shared by the model and the kernel layers: no Glibc, no kernel.
        .target(name: "PlumbTypes", swiftSettings: metadataAccess),
        // JSON in and out, compiled with Plumb's modules (why: Sources/PlumbJSON/JSONDecoding.swift).
        .target(name: "PlumbJSON", swiftSettings: metadataAccess),
        .target(name: "PlumbSystem", dependencies: ["CLinux", "PlumbTypes"], swiftSettings: metadataAccess),
        .target(name: "PlumbNetlink", dependencies: ["CNetlink", "PlumbSystem", "PlumbTypes"], swiftSettings: metadataAccess),
        .target(name: "PlumbFirewall", dependencies: ["CNFTables", "PlumbJSON", "PlumbSystem", "PlumbTypes"], swiftSettings: metadataAccess),
        .target(name: "PlumbManifest", dependencies: ["Yams", "PlumbTypes"], swiftSettings: metadataAccess),
        .target(name: "PlumbEngine", dependencies: ["PlumbJSON", "PlumbTypes", "PlumbManifest", "PlumbSystem", "PlumbNetlink", "PlumbFirewall"], swiftSettings: metadataAccess),
        .target(name: "PlumbCommands", dependencies: [
            "PlumbEngine", "PlumbJSON", "PlumbManifest", "PlumbSystem", "PlumbTypes",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: metadataAccess),
        // --no-export-dynamic: the Swift driver exports every symbol of an executable (~11,000
        // with the static runtime); the loader then hashes them on each start, and the
        // runtime's backtracer set-up searches them with dladdr. Nothing looks symbols up in
        // the binary by name. VERSION ~0.3 ms faster per process (README, "CNI").
        .executableTarget(name: "plumb", dependencies: ["PlumbCommands"], swiftSettings: metadataAccess,
                          linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"])]),
        .testTarget(name: "PlumbTypesTests", dependencies: ["PlumbTypes"]),
        .testTarget(name: "PlumbJSONTests", dependencies: ["PlumbJSON"]),
        .testTarget(name: "PlumbManifestTests", dependencies: ["PlumbManifest", "PlumbTypes"]),
        .testTarget(name: "PlumbEngineTests", dependencies: ["PlumbEngine", "PlumbManifest", "PlumbNetlink", "PlumbSystem", "PlumbFirewall", "PlumbTypes"],
                    resources: [.copy("Fixtures"), .copy("AdvisorFixtures")]),
        .testTarget(name: "PlumbSystemTests", dependencies: ["PlumbSystem", "PlumbTypes"]),
        .testTarget(name: "PlumbNetlinkTests", dependencies: ["PlumbNetlink", "PlumbSystem", "PlumbTypes"]),
        .testTarget(name: "PlumbFirewallTests", dependencies: ["PlumbFirewall", "PlumbSystem", "PlumbTypes"]),
        // The CNI front end's pure parts (configuration decoding), without a kernel.
        .testTarget(name: "PlumbCommandsTests", dependencies: ["PlumbCommands", "PlumbEngine", "PlumbManifest", "PlumbNetlink", "PlumbSystem", "PlumbTypes"]),
        // Root: drives the built `plumb` binary inside private namespaces, as a user would.
        .testTarget(name: "PlumbIntegrationTests"),
    ]
)
