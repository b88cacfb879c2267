import ArgumentParser

/// `workbench`: the command line of the transfer-learning workbench.
@main
struct WorkbenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbench",
        abstract: "Transfer learning with a Swift engine checked against PyTorch.",
        subcommands: [Transfer.self, Verify.self, Check.self, Inspect.self, Convert.self, Bench.self],
        defaultSubcommand: Transfer.self)
}
