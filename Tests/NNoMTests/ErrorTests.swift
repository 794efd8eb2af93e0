import CNNoM
import Foundation
import XCTest
@testable import NNoM

/// Every failure surfaces as an NNoMError with the C status and message.
final class ErrorTests: XCTestCase {
    func testStatusMirrorsTheCEnum() {
        let count = Int32(NNOM_STATUS_COUNT.rawValue)
        XCTAssertEqual(NNoMError.Status.allCases.map(\.rawValue), Array(1..<count))
        for status in NNoMError.Status.allCases {
            XCTAssertEqual(status.name, String(cString: nnom_status_name(nnom_status(UInt32(status.rawValue)))))
        }
        XCTAssertEqual(NNoMError.Status.checksum.name, "NNOM_ERR_CHECKSUM")
        XCTAssertEqual(NNoMError.Status.keras.name, "NNOM_ERR_KERAS")
    }

    func assertThrows(_ status: NNoMError.Status, containing text: String? = nil,
                      file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let e = error as? NNoMError else {
                return XCTFail("expected NNoMError, got \(error)", file: file, line: line)
            }
            XCTAssertEqual(e.status, status, e.message, file: file, line: line)
            XCTAssertFalse(e.message.isEmpty, file: file, line: line)
            if let text {
                XCTAssertTrue(e.message.contains(text), "'\(e.message)' should contain '\(text)'", file: file, line: line)
            }
        }
    }

    func testEmptyBytesAreTruncated() {
        assertThrows(.truncated, containing: "truncated") { _ = try Model(bytes: []) }
        XCTAssertThrowsError(try Model(bytes: [1, 2, 3])) { error in
            XCTAssertEqual(error.localizedDescription, (error as? NNoMError)?.message)
        }
    }

    func testOtherBytesAreNotAModel() {
        assertThrows(.magic, containing: "NNOM") { _ = try Model(bytes: Array("PK\u{3}\u{4} this is a zip, not a model".utf8) + [UInt8](repeating: 0, count: 200)) }
    }

    func testCorruptedByteFailsTheChecksum() throws {
        var bytes = try HandBuiltModel.int8CNN().serialized()
        bytes[bytes.count - 20] ^= 0x40
        assertThrows(.checksum, containing: "checksum") { _ = try Model(bytes: bytes) }
    }

    func testCutFileIsTruncated() throws {
        let bytes = try HandBuiltModel.int8CNN().serialized()
        assertThrows(.truncated) { _ = try Model(bytes: Array(bytes.prefix(bytes.count - 16))) }
    }

    func testMissingFileIsAnIOError() {
        assertThrows(.io, containing: "/no/such/model.nnom") {
            _ = try Model(contentsOf: URL(fileURLWithPath: "/no/such/model.nnom"))
        }
    }

    func testWrongInputSizeIsAShapeError() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        assertThrows(.shape, containing: "63 values") { _ = try model.predict([Float](repeating: 0, count: 63)) }
        // the model still works afterwards
        XCTAssertEqual(try model.predict([Float](repeating: 0, count: 64)).count, 10)
    }

    func testInt8DataOnAFloatModelIsAnArgumentError() throws {
        let model = try Model(bytes: try HandBuiltModel.float32CNN().serialized())
        assertThrows(.argument, containing: "float32") { _ = try model.predict(int8: [Int8](repeating: 0, count: 64)) }
    }

    func testMissingOutputIndex() throws {
        let model = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        assertThrows(.argument) { _ = try model.output(at: 3) }
    }

    func testNumPyErrors() throws {
        let folder = try TemporaryFolder()
        assertThrows(.io) { _ = try NumPyArray(npy: folder.file("missing.npy")) }
        let garbage = folder.file("garbage.npy")
        try Data("not numpy at all".utf8).write(to: garbage)
        XCTAssertThrowsError(try NumPyArray(npy: garbage)) { error in
            XCTAssertNotNil(error as? NNoMError)
        }
        assertThrows(.io) { _ = try NumPyArray(npz: folder.file("missing.npz"), key: "x") }
    }

    func testConverterErrors() throws {
        let folder = try TemporaryFolder()
        XCTAssertThrowsError(try Converter(keras: folder.file("missing.keras"))) { error in
            XCTAssertEqual((error as? NNoMError)?.status, .io, "\(error)")
        }
        let bogus = folder.file("bogus.keras")
        try Data("definitely not a zip".utf8).write(to: bogus)
        XCTAssertThrowsError(try Converter(keras: bogus)) { error in
            let status = (error as? NNoMError)?.status
            XCTAssertTrue(status == .io || status == .keras || status == .format, "\(error)")
        }
    }
}
