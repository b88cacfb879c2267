import Dispatch
import Foundation

/// SIGINT (Ctrl-C) during `workbench train`: the first one sets a flag that training polls at its safe points
/// (between batches, before validation, between epochs), so it stops there and says where the last good checkpoint
/// is; a second one exits at once with status 130, which is still safe because every file is replaced atomically
/// (the file being written, if any, stays as it was before).
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var source: DispatchSourceSignal?
    /// What to print if a second SIGINT ends the process at once.
    private var lastGood: () -> String

    /// Catches SIGINT from now on; `lastGood` says where the last good checkpoint is.
    init(lastGood: @escaping () -> String) {
        self.lastGood = lastGood
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "workbench.sigint"))
        source.setEventHandler { [unowned self] in self.received() }
        source.resume()
        self.source = source
    }

    /// Whether SIGINT has arrived.
    var requested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }

    private func received() {
        lock.lock()
        count += 1
        let second = count > 1
        lock.unlock()
        if second {
            let message = "\ninterrupted again: stopping now; \(lastGood())\n"
            FileHandle.standardError.write(Data(message.utf8))
            _exit(130)
        }
        FileHandle.standardError.write(
            Data("\ninterrupt: stopping at the next safe point (press Ctrl-C again to stop at once)\n".utf8))
    }
}
