import CNNoMRuntime

/// The C library's version, "major.minor.patch".
public var libraryVersion: String { String(cString: nnom_version_string()) }
