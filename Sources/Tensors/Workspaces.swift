import Foundation
import Kernels

/// The scratch buffer of the current thread, reused by every convolution it runs so that hot paths do not
/// allocate im2col columns per call.
enum Workspaces {
    private static let key = "tl.tensors.workspace"

    static var current: Workspace {
        let dictionary = Thread.current.threadDictionary
        if let workspace = dictionary[key] as? Workspace { return workspace }
        let workspace = Workspace()
        dictionary[key] = workspace
        return workspace
    }
}
