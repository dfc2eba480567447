import Testing

@testable import VhostFSDaemon

@Suite struct CPUListTests {
    @Test(arguments: [
        ("0", [0]),
        ("3", [3]),
        ("0,1", [0, 1]),
        ("0,1,4-6", [0, 1, 4, 5, 6]),
        ("4-6,0", [4, 5, 6, 0]),
        ("2-2", [2]),
        ("7,5,3", [7, 5, 3]),
        ("1,1", [1, 1]),
        ("8191", [8191]),
    ])
    func parsesLists(text: String, expected: [Int]) throws {
        #expect(try CPUList.parse(text) == expected)
    }

    @Test(arguments: [
        ("", "--reactor-cpus: the CPU list is empty"),
        ("0,", "--reactor-cpus: empty entry in CPU list 0,"),
        (",0", "--reactor-cpus: empty entry in CPU list ,0"),
        ("0,,1", "--reactor-cpus: empty entry in CPU list 0,,1"),
        ("a", "--reactor-cpus: a is not a CPU number or range (expected a list like 0,1,4-6)"),
        ("-1", "--reactor-cpus: -1 is not a CPU number or range (expected a list like 0,1,4-6)"),
        ("1-", "--reactor-cpus: 1- is not a CPU number or range (expected a list like 0,1,4-6)"),
        ("1-2-3", "--reactor-cpus: 1-2-3 is not a CPU number or range (expected a list like 0,1,4-6)"),
        (" 1", "--reactor-cpus:  1 is not a CPU number or range (expected a list like 0,1,4-6)"),
        ("+1", "--reactor-cpus: +1 is not a CPU number or range (expected a list like 0,1,4-6)"),
        ("6-4", "--reactor-cpus: range 6-4 runs backwards"),
        ("8192", "--reactor-cpus: CPU 8192 is above the largest CPU number, 8191"),
        ("0-99999999999999999999", "--reactor-cpus: CPU 99999999999999999999 is above the largest CPU number, 8191"),
    ])
    func refusesBadLists(text: String, message: String) {
        #expect(throws: DaemonConfigurationError(message)) { try CPUList.parse(text) }
    }

    @Test(arguments: [
        ([], "none"),
        ([0], "0"),
        ([0, 1], "0-1"),
        ([4, 0, 1, 2], "0-2,4"),
        ([1, 3, 5], "1,3,5"),
        ([5, 5, 6], "5-6"),
    ])
    func formatsLists(cpus: [Int], expected: String) {
        #expect(CPUList.format(cpus) == expected)
    }

    @Test func affinityIsNonEmptyAndWithinOnlineCPUs() {
        let cpus = CPUList.affinity()
        #expect(!cpus.isEmpty)
        #expect(cpus.allSatisfy { $0 >= 0 && $0 <= CPUList.maximumCPU })
    }

    @Test func reactorCPUsAreCheckedAgainstTheAllowedSet() throws {
        let share = try TemporaryDirectory()
        func make(_ cpus: [Int], queues: Int = 8) throws -> DaemonConfiguration {
            try DaemonConfiguration(
                listen: .socketPath("\(share.path)/s.sock"), sharedDirectory: share.path, reactorCPUs: cpus,
                queues: queues, allowedCPUs: [0, 1, 4, 5])
        }
        #expect(try make([0, 1, 4]).reactorCPUs == [0, 1, 4])
        #expect(try make([5]).reactorCount == 1)
        #expect(
            throws: DaemonConfigurationError(
                "--reactor-cpus: CPU 2 is not an online CPU this process may run on (allowed: 0-1,4-5)")
        ) {
            try make([0, 2])
        }
        #expect(throws: DaemonConfigurationError("--reactor-cpus: CPU 1 is listed twice")) { try make([1, 0, 1]) }
        #expect(throws: DaemonConfigurationError("--reactor-cpus: the CPU list is empty")) { try make([]) }
        #expect(
            throws: DaemonConfigurationError(
                "--reactor-cpus: 3 reactors but 2 request queues: every reactor needs a queue "
                    + "(raise --queues or list fewer CPUs)"
            )
        ) {
            try make([0, 1, 4], queues: 2)
        }
    }

    @Test func theProcessAffinityIsTheDefaultAllowedSet() throws {
        let share = try TemporaryDirectory()
        let first = try #require(CPUList.affinity().first)
        let configuration = try DaemonConfiguration(
            listen: .socketPath("\(share.path)/s.sock"), sharedDirectory: share.path, reactorCPUs: [first])
        #expect(configuration.reactorCPUs == [first])
        #expect(throws: DaemonConfigurationError.self) {
            try DaemonConfiguration(
                listen: .socketPath("\(share.path)/s.sock"), sharedDirectory: share.path,
                reactorCPUs: [CPUList.maximumCPU])
        }
    }
}
