import Images

extension ImageError {
    /// The name of the case, as the fixtures' `kind` attributes spell it (`error_<kind>_<what>` files).
    public var kind: String {
        switch self {
        case .unreadable: return "unreadable"
        case .notPNG: return "notPNG"
        case .notJPEG: return "notJPEG"
        case .corrupt: return "corrupt"
        case .tooLarge: return "tooLarge"
        case .unsupported: return "unsupported"
        case .outOfMemory: return "outOfMemory"
        case .invalidImage: return "invalidImage"
        case .unwritable: return "unwritable"
        }
    }
}
