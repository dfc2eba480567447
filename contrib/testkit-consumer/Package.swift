// swift-tools-version:6.0
// A package outside vhostfsd that uses its VhostUserTestKit product, as another project would: proof that the product
// is consumable (no unsafe flags, no dependency on the daemon's own layers). The root suite builds it
// (Tests/VhostFSBenchTests/TestKitConsumerTests.swift); `swift run --package-path contrib/testkit-consumer fuse-probe
// SOCKET` drives any vhost-user-fs back-end.
import PackageDescription

let package = Package(
    name: "testkit-consumer",
    platforms: [.macOS(.v15)],
    dependencies: [
        // By path, so that it builds the tree it sits in. Another project would write
        // .package(url: "https://.../vhostfsd", from: "x.y.z").
        .package(name: "vhostfsd", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "fuse-probe",
                          dependencies: [.product(name: "VhostUserTestKit", package: "vhostfsd")]),
    ]
)
