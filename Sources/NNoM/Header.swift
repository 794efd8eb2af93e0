import CNNoM
import CNNoMRuntime
import Foundation

// weights.h is written by the host tools (nnom_write_header), so these live in
// NNoM, not in the runtime-only NNoMRuntime.

extension Model {
    /// Writes `weights.h` for firmware: the model's .nnom bytes as an aligned
    /// const array and a `<name>_load()` function (`nnom_write_header`).
    /// @p name must be a C identifier (nil: from the file's name, `headerName(for:)`); @p source is named
    /// in the header's top comment. Returns the C name used.
    @discardableResult
    public func writeHeader(to url: URL, name: String? = nil, source: String? = nil) throws -> String {
        let bytes = try serialized()
        let cName = name ?? headerName(for: url)
        try withCError { err in
            url.withUnsafeFileSystemRepresentation { path in
                if operators != nil {
                    // the bytes alone cannot be loaded without the registry: write from the loaded model
                    return nnom_write_model_header(handle, path, cName, source, err)
                }
                return bytes.withUnsafeBytes { nnom_write_header($0.baseAddress, $0.count, path, cName, source, err) }
            }
        }
        return cName
    }
}

/// The C name a header written to @p url gets when none is given (`nnom_header_default_name`):
/// "weights-v2.h" gives "weights_v2".
public func headerName(for url: URL) -> String {
    var buffer = [CChar](repeating: 0, count: 80)
    _ = url.withUnsafeFileSystemRepresentation { nnom_header_default_name($0, &buffer, buffer.count) }
    return String(cString: buffer)
}
