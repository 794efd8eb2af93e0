import CNNoMRuntime
import Foundation

/// A failure reported by the nnom C library: its status code and its message.
///
/// Every error of the C API carries a message that names the input at fault,
/// e.g. `checksum mismatch: the file says 0x1234, its content gives 0x5678`.
/// The Swift layer passes it through unchanged.
public struct NNoMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Mirrors the C `nnom_status` failure codes (`NNOM_OK` is not an error).
    /// The raw value is the C value.
    public enum Status: Int32, CaseIterable, Sendable {
        /// A NULL pointer, an index or a value out of range.
        case argument = 1
        /// The allocator returned NULL.
        case noMemory = 2
        /// A model file is shorter than it claims.
        case truncated = 3
        /// The bytes are not a .nnom file.
        case magic = 4
        /// A .nnom file of a version this runtime cannot read.
        case version = 5
        /// The file's CRC-32 does not match its content.
        case checksum = 6
        /// A malformed record: offset, size, count or alignment.
        case format = 7
        /// Shapes, sizes or parameters that do not fit together.
        case shape = 8
        /// A layer type, option or data type that is not supported.
        case unsupported = 9
        /// The arena given is smaller than the plan needs.
        case arenaTooSmall = 10
        /// A call out of order, e.g. running before compiling.
        case state = 11
        /// A file could not be read or written.
        case io = 12
        /// A Keras model that cannot be converted.
        case keras = 13

        /// The C constant's name, e.g. `NNOM_ERR_CHECKSUM`.
        public var name: String {
            String(cString: nnom_status_name(nnom_status(rawValue: UInt32(rawValue))))
        }
    }

    public let status: Status
    public let message: String

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The error for a failed C call. A code this Swift module does not know
    /// (a newer C library) is reported as `.unsupported` with its C name.
    package init(cStatus: nnom_status, message: String) {
        if let known = Status(rawValue: Int32(truncatingIfNeeded: cStatus.rawValue)) {
            self.init(known, message.isEmpty ? known.name : message)
        } else {
            let name = String(cString: nnom_status_name(cStatus))
            self.init(.unsupported, message.isEmpty ? name : "\(name): \(message)")
        }
    }

    package init(_ err: nnom_error) {
        var copy = err
        let text = withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(cStatus: err.status, message: text)
    }

    public var description: String { message }
}

extension NNoMError: LocalizedError {
    /// The C message, so that `error.localizedDescription` shows it too.
    public var errorDescription: String? { message }
}

/// Throws the error for @p status, with the message @p message() gives (read only on failure).
@inline(__always)
package func check(_ status: nnom_status, _ message: @autoclosure () -> String) throws {
    if status != NNOM_OK {
        throw NNoMError(cStatus: status, message: message())
    }
}

/// Calls a C function that reports failure through an `nnom_error`.
package func withCError(_ body: (UnsafeMutablePointer<nnom_error>) -> nnom_status) throws {
    var err = nnom_error()
    let status = body(&err)
    if status != NNOM_OK {
        if err.status == NNOM_OK { err.status = status }
        throw NNoMError(err)
    }
}
