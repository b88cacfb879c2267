import ArgumentParser
import Checkpoints

/// Options shared by the checkpoint commands for wrapped and DataParallel checkpoints.
struct UnwrapOptions: ParsableArguments {
    @Flag(help: "Accept a checkpoint that wraps its state dict ({\"state_dict\": ...} or {\"model\": ...}).")
    var unwrap = false

    @Option(help: "Remove this prefix from every key (e.g. \"module.\" for DataParallel checkpoints).")
    var stripPrefix: String?

    var loadOptions: CheckpointLoadOptions { CheckpointLoadOptions(unwrap: unwrap, stripPrefix: stripPrefix) }
}
