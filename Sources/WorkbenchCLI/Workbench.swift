import ArgumentParser

/// `workbench`: the command line of the transfer-learning workbench.
@main
struct WorkbenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbench",
        abstract: "Transfer learning with a Swift engine checked against PyTorch.",
        subcommands: [
            Transfer.self, Train.self, Evaluate.self, Predict.self, Export.self, LessonCommand.self,
            LessonsCommand.self, Grade.self, Hint.self, Reset.self, Watch.self, Verify.self, Check.self, Regress.self,
            Inspect.self, Convert.self, Bench.self,
        ],
        defaultSubcommand: Transfer.self)
}
