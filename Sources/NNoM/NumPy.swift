import CNNoM
import CNNoMRuntime
import Foundation

/// A NumPy array converted to float32 (C order), read and written by the C
/// host tools (`nnom_npy_read`, `nnom_npz_read`, `nnom_npy_write_f32`).
///
///     let x = try NumPyArray(npz: URL(fileURLWithPath: "test.npz"), key: "x")
///     let probabilities = try model.predict(x.rows)
public struct NumPyArray: Sendable, Equatable {
    /// Dimensions, outermost first (the batch axis, if any, is `shape[0]`).
    public var shape: [Int]
    /// All elements in C order.
    public var values: [Float]
    /// The entry's name without ".npy" when read from a .npz, else "".
    public var name: String

    public init(shape: [Int], values: [Float], name: String = "") {
        precondition(shape.reduce(1, *) == values.count, "NumPyArray: shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
        self.name = name
    }

    /// Reads a .npy file of any integer, bool or float dtype.
    public init(npy url: URL) throws {
        var array = nnom_array()
        try withCError { err in url.withUnsafeFileSystemRepresentation { nnom_npy_read($0, &array, err) } }
        self.init(taking: &array)
    }

    /// Reads the array @p key (e.g. "x") from a .npz file.
    public init(npz url: URL, key: String) throws {
        var array = nnom_array()
        try withCError { err in url.withUnsafeFileSystemRepresentation { nnom_npz_read($0, key, &array, err) } }
        self.init(taking: &array)
    }

    private init(taking array: inout nnom_array) {
        defer { nnom_array_free(&array) }
        let count = Int(array.count)
        shape = cArray(array.dims, as: Int64.self, count: Int(array.rank)).map(Int.init)
        values = count > 0 && array.data != nil ? Array(UnsafeBufferPointer(start: array.data, count: count)) : []
        name = withUnsafeBytes(of: array.name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// The array split along its first axis: one row per sample. A rank-0 or
    /// rank-1 array is one row.
    public var rows: [[Float]] {
        guard shape.count >= 2, let n = shape.first, n > 0 else { return values.isEmpty ? [] : [values] }
        let width = values.count / n
        return (0..<n).map { Array(values[$0 * width ..< ($0 + 1) * width]) }
    }

    /// Writes the array as a float32 .npy file.
    public func write(npy url: URL) throws {
        let dims = shape.map(Int64.init)
        try withCError { err in
            url.withUnsafeFileSystemRepresentation { path in
                values.withUnsafeBufferPointer { data in
                    dims.withUnsafeBufferPointer { nnom_npy_write_f32(path, data.baseAddress, Int32($0.count), $0.baseAddress, err) }
                }
            }
        }
    }

    /// Writes int8 values as an int8 .npy file of shape @p shape.
    public static func write(int8 values: [Int8], shape: [Int], npy url: URL) throws {
        guard shape.reduce(1, *) == values.count else {
            throw NNoMError(.argument, "shape \(shape) does not hold \(values.count) values")
        }
        let dims = shape.map(Int64.init)
        try withCError { err in
            url.withUnsafeFileSystemRepresentation { path in
                values.withUnsafeBufferPointer { data in
                    dims.withUnsafeBufferPointer { nnom_npy_write_s8(path, data.baseAddress, Int32($0.count), $0.baseAddress, err) }
                }
            }
        }
    }
}
