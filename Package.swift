// swift-tools-version:6.0
// vhostfsd: a vhost-user virtio-fs backend daemon. Linux only.
//
// Layers are targets; an arrow in ../shared/DESIGN.md is a dependency here, and nothing else is.
import PackageDescription

/// Every Swift target needs `_GNU_SOURCE` for Glibc to expose O_PATH, memfd_create, eventfd, epoll,
/// pthread_setaffinity_np, preadv2, statx and renameat2. Defining it only inside a shim header breaks debug
/// builds with an fd_set mismatch, so it is passed to Clang for the whole module.
let gnuSource: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-D_GNU_SOURCE"])]
let cGNUSource: [CSetting] = [.define("_GNU_SOURCE")]

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
        .target(name: "CLinux", cSettings: cGNUSource),
        .systemLibrary(name: "CAIO", path: "Sources/CAIO"),
        .systemLibrary(name: "CNUMA", path: "Sources/CNUMA", pkgConfig: "numa",
                       providers: [.apt(["libnuma-dev"])]),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CURing", path: "Sources/CURing", pkgConfig: "liburing",
                       providers: [.apt(["liburing-dev"])]),

        // MARK: - Linux layer
        .target(name: "LinuxSystem", dependencies: ["CLinux", "CAIO", "CNUMA", "CSeccomp", "CURing"],
                swiftSettings: gnuSource),

        // MARK: - Guest memory and rings
        .target(name: "GuestMemory", dependencies: ["LinuxSystem", "CLinux"], swiftSettings: gnuSource),
        .target(name: "Virtqueue", dependencies: ["GuestMemory", "LinuxSystem", "CLinux"], swiftSettings: gnuSource),
        // Runs the SIGBUS guard's fatal half in a process of its own, for GuestMemoryTests.
        .executableTarget(name: "guest-memory-guard-probe", dependencies: ["GuestMemory", "LinuxSystem"],
                          swiftSettings: gnuSource),
        .executableTarget(name: "virtqueue-microbench", dependencies: ["Virtqueue", "GuestMemory", "LinuxSystem", "VhostUserTestKit"], swiftSettings: gnuSource),

        // MARK: - vhost-user protocol
        .target(name: "VhostUser",
                dependencies: ["LinuxSystem", "CLinux", .product(name: "Logging", package: "swift-log")],
                swiftSettings: gnuSource),

        // MARK: - Reactors and the filesystem device
        .target(name: "Reactor", dependencies: ["LinuxSystem", "CLinux"], swiftSettings: gnuSource),
        .target(name: "FSDev", dependencies: ["Reactor", "LinuxSystem"], swiftSettings: gnuSource),
        .target(name: "FSDevAIO", dependencies: ["FSDev", "Reactor", "LinuxSystem", "CLinux", "CAIO",
                                                 .product(name: "DequeModule", package: "swift-collections")],
                swiftSettings: gnuSource),
        .executableTarget(name: "fsdev-microbench",
                          dependencies: ["FSDevAIO", "FSDev", "Reactor", "LinuxSystem", "CLinux"],
                          swiftSettings: gnuSource),

        // MARK: - The daemon
        .target(name: "VhostFSDaemon",
                dependencies: ["VirtioFS", "FSDevAIO", "FSDev", "Reactor", "VhostUser", "FUSE", "LinuxSystem",
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: gnuSource),
        .executableTarget(name: "vhostfsd", dependencies: ["VhostFSDaemon"], swiftSettings: gnuSource),

        // MARK: - FUSE over virtio
        .target(name: "FUSE", dependencies: ["Virtqueue", "GuestMemory", "FSDev", "LinuxSystem", "CLinux"],
                swiftSettings: gnuSource),
        .target(name: "VirtioFS",
                dependencies: ["FUSE", "VhostUser", "Virtqueue", "GuestMemory", "FSDev", "Reactor", "LinuxSystem",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: gnuSource),

        // MARK: - Test kits
        .target(name: "VhostUserTestKit",
                dependencies: ["VhostUser", "GuestMemory", "Virtqueue", "FUSE", "LinuxSystem", "CLinux"],
                swiftSettings: gnuSource),
        .target(name: "QEMUTestKit", swiftSettings: gnuSource),
        .executableTarget(name: "vhostfs-bench", dependencies: ["VhostUserTestKit", "LinuxSystem", .product(name: "ArgumentParser", package: "swift-argument-parser")], swiftSettings: gnuSource),

        // MARK: - Tests
        .testTarget(name: "LinuxSystemTests", dependencies: ["LinuxSystem", "CLinux"], swiftSettings: gnuSource),
        .testTarget(name: "GuestMemoryTests", dependencies: ["GuestMemory", "LinuxSystem"], swiftSettings: gnuSource),
        .testTarget(name: "VirtqueueTests",
                    dependencies: ["Virtqueue", "GuestMemory", "LinuxSystem", "VhostUserTestKit"],
                    swiftSettings: gnuSource),
        .testTarget(name: "VhostUserTests",
                    dependencies: ["VhostUser", "VhostUserTestKit", "LinuxSystem", "GuestMemory", "Virtqueue", "QEMUTestKit"],
                    swiftSettings: gnuSource),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "LinuxSystem", "VhostUserTestKit"],
                    swiftSettings: gnuSource),
        .testTarget(name: "FSDevAIOTests",
                    dependencies: ["FSDevAIO", "FSDev", "Reactor", "LinuxSystem", "CLinux", "VhostUserTestKit"],
                    swiftSettings: gnuSource),
        .testTarget(name: "VirtioFSTests",
                    dependencies: ["VirtioFS", "FSDevAIO", "FSDev", "Reactor", "VhostUser", "VhostUserTestKit",
                                   "QEMUTestKit", "LinuxSystem", "FUSE"],
                    swiftSettings: gnuSource),
        .testTarget(name: "QEMUTestKitTests", dependencies: ["QEMUTestKit"], swiftSettings: gnuSource),
        .testTarget(name: "VhostFSDaemonTests", dependencies: ["VhostFSDaemon"], swiftSettings: gnuSource),
        .testTarget(name: "SandboxTests", dependencies: ["VhostUserTestKit", "LinuxSystem"], swiftSettings: gnuSource),
        .testTarget(name: "EndToEndTests", dependencies: ["QEMUTestKit", "VhostUserTestKit"], exclude: ["GuestScripts"],
                    swiftSettings: gnuSource),
        .testTarget(name: "VhostFSBenchTests", dependencies: ["VhostUserTestKit", "LinuxSystem"], swiftSettings: gnuSource),
    ]
)
