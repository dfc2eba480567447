import VhostFSDaemon

// Parse and validate the command line; help, version, capabilities and invalid command lines exit here.
let configuration = DaemonCommandLine.configurationOrExit(Array(CommandLine.arguments.dropFirst()))
let logger = DaemonLogging.bootstrap(for: configuration)
do {
    try DaemonLauncher.launch(configuration, logger: logger)
} catch {
    DaemonLogging.exitAfterFailure(error, logger: logger)
}
