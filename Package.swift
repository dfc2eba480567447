// swift-tools-version:6.0
// vhostfsd: a vhost-user virtio-fs backend daemon. Linux only.
//
// Layers are targets; an arrow in ../shared/DESIGN.md is a dependency here, and nothing else is.
import PackageDescription

// No target needs `-D_GNU_SOURCE`: the C shim (CLinux) defines it inside its own .c files and exports what Glibc
// hides without it (O_PATH, AT_EMPTY_PATH, memfd_create, statx, ...) as `CLinux_*` functions and constants, the way
// SwiftNIO's CNIOLinux does. So the manifest has no unsafe flags and the VhostUserTestKit product can be a
// dependency of other packages.

let package = Package(
    name: "vhostfsd",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "VhostUserTestKit", targets: ["VhostUserTestKit"]),
        .executable(name: "vhostfsd", targets: ["vhostfsd"]),
    ],
    dependencies: [
        // Command-line parsing for the daemon and the benchmark tool.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Structured logging with levels, as operators expect from a daemon.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Deque for the FIFO queues of the I/O managers (ring buffers that keep their storage).
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // MARK: - C shims and system libraries
        .target(name: "CLinux"),
        .systemLibrary(name: "CAIO", path: "Sources/CAIO"),
        .systemLibrary(name: "CNUMA", path: "Sources/CNUMA", pkgConfig: "numa",
                       providers: [.apt(["libnuma-dev"])]),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CURing", path: "Sources/CURing", pkgConfig: "liburing",
                       providers: [.apt(["liburing-dev"])]),

        // MARK: - Linux layer
        .target(name: "LinuxSystem", dependencies: ["CLinux", "CAIO", "CNUMA", "CSeccomp", "CURing"]),

        // MARK: - Guest memory and rings
        .target(name: "GuestMemory", dependencies: ["LinuxSystem", "CLinux"]),
        .target(name: "Virtqueue", dependencies: ["GuestMemory", "LinuxSystem", "CLinux"]),
        // Runs the SIGBUS guard's fatal half in a process of its own, for GuestMemoryTests.
        .executableTarget(name: "guest-memory-guard-probe", dependencies: ["GuestMemory", "LinuxSystem"]),
        .executableTarget(name: "virtqueue-microbench",
                          dependencies: ["Virtqueue", "GuestMemory", "LinuxSystem", "VhostUserTestKit"]),

        // MARK: - vhost-user protocol
        .target(name: "VhostUser",
                dependencies: ["LinuxSystem", "CLinux", .product(name: "Logging", package: "swift-log")]),

        // MARK: - Reactors and the filesystem device
        .target(name: "Reactor", dependencies: ["LinuxSystem", "CLinux"]),
        .target(name: "FSDev", dependencies: ["Reactor", "LinuxSystem"]),
        .target(name: "FSDevAIO", dependencies: ["FSDev", "Reactor", "LinuxSystem", "CLinux", "CAIO",
                                                 .product(name: "DequeModule", package: "swift-collections")]),
        .executableTarget(name: "fsdev-microbench",
                          dependencies: ["FSDevAIO", "FSDev", "Reactor", "LinuxSystem", "CLinux"]),

        // MARK: - The daemon
        .target(name: "VhostFSDaemon",
                dependencies: ["VirtioFS", "FSDevAIO", "FSDev", "Reactor", "VhostUser", "FUSE", "LinuxSystem",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "vhostfsd", dependencies: ["VhostFSDaemon"]),

        // MARK: - FUSE over virtio
        // The wire vocabulary (opcodes, INIT flags, protocol version, header sizes): no FSDev, no Reactor, so that a
        // front-end such as VhostUserTestKit speaks FUSE without the server.
        .target(name: "FUSEWire", dependencies: ["CLinux"]),
        .target(name: "FUSE",
                dependencies: ["FUSEWire", "Virtqueue", "GuestMemory", "FSDev", "LinuxSystem", "CLinux"]),
        .target(name: "VirtioFS",
                dependencies: ["FUSE", "VhostUser", "Virtqueue", "GuestMemory", "FSDev", "Reactor", "LinuxSystem",
                               .product(name: "Logging", package: "swift-log")]),

        // MARK: - Test kits
        .target(name: "VhostUserTestKit",
                dependencies: ["VhostUser", "GuestMemory", "Virtqueue", "FUSEWire", "LinuxSystem", "CLinux"]),
        .target(name: "QEMUTestKit"),
        .executableTarget(name: "vhostfs-bench",
                          dependencies: ["VhostUserTestKit", "LinuxSystem",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // MARK: - Tests
        .testTarget(name: "LinuxSystemTests", dependencies: ["LinuxSystem", "CLinux"]),
        .testTarget(name: "GuestMemoryTests", dependencies: ["GuestMemory", "LinuxSystem"]),
        .testTarget(name: "VirtqueueTests",
                    dependencies: ["Virtqueue", "GuestMemory", "LinuxSystem", "VhostUserTestKit"]),
        .testTarget(name: "VhostUserTests",
                    dependencies: ["VhostUser", "VhostUserTestKit", "LinuxSystem", "GuestMemory", "Virtqueue",
                                   "QEMUTestKit"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "LinuxSystem", "VhostUserTestKit"]),
        .testTarget(name: "FSDevAIOTests",
                    dependencies: ["FSDevAIO", "FSDev", "Reactor", "LinuxSystem", "CLinux", "VhostUserTestKit"]),
        .testTarget(name: "VirtioFSTests",
                    dependencies: ["VirtioFS", "FSDevAIO", "FSDev", "Reactor", "VhostUser", "VhostUserTestKit",
                                   "QEMUTestKit", "LinuxSystem", "FUSE", "FUSEWire"]),
        .testTarget(name: "QEMUTestKitTests", dependencies: ["QEMUTestKit"]),
        .testTarget(name: "VhostFSDaemonTests", dependencies: ["VhostFSDaemon"]),
        .testTarget(name: "SandboxTests", dependencies: ["VhostUserTestKit", "LinuxSystem"]),
        .testTarget(name: "EndToEndTests", dependencies: ["QEMUTestKit", "VhostUserTestKit", "LinuxSystem"],
                    exclude: ["GuestScripts"]),
        .testTarget(name: "VhostFSBenchTests", dependencies: ["VhostUserTestKit", "LinuxSystem", "QEMUTestKit"]),
    ]
)
