// The recurrent state API on `Model`: a stateful Keras fixture converted with the Swift
// Converter, run in succession, reset, set, and checked against the C API called directly.
import CNNoM
import Foundation
import XCTest
@testable import NNoM

final class StateTests: XCTestCase {
    /// rnn_stateful: input (5, 3); outputs LSTM(4, stateful, sequences), GRU(3, stateful),
    /// SimpleRNN(3, stateful). Its 12 inputs are 3 successive Keras calls of 4 sequences:
    /// rows 0, 4 and 8 are one sequence continued over three calls.
    private func statefulModel() throws -> (Model, [[Float]]) {
        let url = Paths.kerasFixtures.appendingPathComponent("rnn_stateful.keras")
        let x = try NumPyArray(npy: Paths.kerasFixtures.appendingPathComponent("rnn_stateful.input.npy")).rows
        let (model, _) = try Converter.convert(keras: url, calibration: x)
        XCTAssertEqual(model.elementType, .int8)
        return (model, [x[0], x[4], x[8]])
    }

    /// Every output of one run on @p input.
    private func run(_ model: Model, _ input: [Float]) throws -> [[Float]] {
        try model.setInput(input)
        try model.run()
        return try model.outputs.indices.map { try model.output(at: $0) }
    }

    /// Every state vector of every recurrent layer, in layer order.
    private func allStates(_ model: Model) throws -> [[Float]] {
        try model.recurrentLayers.flatMap { try model.states(layer: $0.index) }
    }

    func testStatefulRunsContinueAndResetRepeatsTheFirstRun() throws {
        let (model, inputs) = try statefulModel()
        XCTAssertGreaterThan(model.stateSize, 0)
        let recurrent = model.recurrentLayers
        XCTAssertEqual(recurrent.count, 3)
        XCTAssertEqual(try recurrent.map { try model.stateShape(layer: $0.index).count }.sorted(), [1, 1, 2])
        // a fresh model starts from zero states
        XCTAssertTrue(try allStates(model).allSatisfy { $0.allSatisfy { $0 == 0 } })

        var outputs: [[[Float]]] = [], states: [[[Float]]] = []
        for input in inputs {
            outputs.append(try run(model, input))
            states.append(try allStates(model))
        }
        for k in 1..<3 {
            XCTAssertNotEqual(states[k].map(bits), states[k - 1].map(bits), "state unchanged by run \(k)")
            XCTAssertNotEqual(outputs[k].map(bits), outputs[k - 1].map(bits), "output unchanged by run \(k)")
        }
        XCTAssertTrue(states[0].contains { $0.contains { $0 != 0 } })

        // a stateful model depends on its history: the first input again, without a reset, gives something else
        XCTAssertNotEqual(try run(model, inputs[0]).map(bits), outputs[0].map(bits))

        try model.resetState()
        XCTAssertTrue(try allStates(model).allSatisfy { $0.allSatisfy { $0 == 0 } })
        let again = try run(model, inputs[0])
        XCTAssertEqual(again.map(bits), outputs[0].map(bits), "after resetState() the first run differs")
        XCTAssertEqual(try allStates(model).map(bits), states[0].map(bits))
        // ... and the whole sequence repeats
        XCTAssertEqual(try run(model, inputs[1]).map(bits), outputs[1].map(bits))
        XCTAssertEqual(try run(model, inputs[2]).map(bits), outputs[2].map(bits))

        // setState: restore the states after run 2, and run 3 repeats
        try model.resetState()
        var i = 0
        for layer in recurrent {
            for which in 0..<(try model.stateShape(layer: layer.index).count) {
                try model.setState(states[1][i], layer: layer.index, index: which)
                i += 1
            }
        }
        XCTAssertEqual(try allStates(model).map(bits), states[1].map(bits))
        XCTAssertEqual(try run(model, inputs[2]).map(bits), outputs[2].map(bits))
        // by name too
        try model.setState(states[0][0], layer: recurrent[0].name)
        XCTAssertEqual(bits(try model.state(layer: recurrent[0].name)), bits(states[0][0]))
    }

    func testStateMatchesTheCAPICalledDirectly() throws {
        let (model, inputs) = try statefulModel()
        // the same .nnom bytes loaded through the C API, in aligned storage that outlives the C model
        let bytes = try model.serialized()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        var handle: OpaquePointer?
        var err = nnom_error()
        var options = nnom_options()
        nnom_options_init(&options)
        XCTAssertEqual(nnom_model_load(buffer.baseAddress, bytes.count, &options, &handle, &err), NNOM_OK)
        let m = try XCTUnwrap(handle)
        defer { nnom_model_destroy(m) }
        XCTAssertEqual(nnom_model_alloc_arena(m), NNOM_OK)
        XCTAssertEqual(nnom_model_state_size(m), model.stateSize)

        func cStates() -> [[Float]] {
            var all: [[Float]] = []
            for layer in 0..<nnom_model_layer_count(m) {
                var length: Int32 = 0
                let count = nnom_model_state_count(m, layer, &length)
                for which in 0..<count {
                    var v = [Float](repeating: .nan, count: Int(length))
                    XCTAssertEqual(v.withUnsafeMutableBufferPointer {
                        nnom_model_state(m, layer, which, $0.baseAddress, $0.count)
                    }, NNOM_OK)
                    all.append(v)
                }
            }
            return all
        }
        func cRun(_ input: [Float]) -> [[Float]] {
            XCTAssertEqual(input.withUnsafeBufferPointer { nnom_model_set_input_f32(m, 0, $0.baseAddress, $0.count) },
                           NNOM_OK)
            XCTAssertEqual(nnom_model_run(m), NNOM_OK)
            return (0..<nnom_model_output_count(m)).map { o in
                var info = nnom_tensor_info()
                _ = nnom_model_output_info(m, o, &info)
                var out = [Float](repeating: .nan, count: Int(info.count))
                XCTAssertEqual(out.withUnsafeMutableBufferPointer {
                    nnom_model_get_output_f32(m, o, $0.baseAddress, $0.count)
                }, NNOM_OK)
                return out
            }
        }

        for (k, input) in inputs.enumerated() {
            XCTAssertEqual(try run(model, input).map(bits), cRun(input).map(bits), "run \(k)")
            XCTAssertEqual(try allStates(model).map(bits), cStates().map(bits), "state after run \(k)")
        }
        try model.resetState()
        XCTAssertEqual(nnom_model_reset_state(m), NNOM_OK)
        XCTAssertEqual(try allStates(model).map(bits), cStates().map(bits))

        // a state set through Swift reads back through C, and the other way round
        let layer = model.recurrentLayers[0]
        let length = try model.stateShape(layer: layer.index).length
        let values = (0..<length).map { Float($0 + 1) * 0.125 - 0.25 }
        try model.setState(values, layer: layer.index)
        var fromC = [Float](repeating: .nan, count: length)
        XCTAssertEqual(fromC.withUnsafeMutableBufferPointer {
            nnom_model_state(model.handle, Int32(layer.index), 0, $0.baseAddress, $0.count)
        }, NNOM_OK)
        XCTAssertEqual(bits(fromC), bits(try model.state(layer: layer.index)))
        XCTAssertEqual(values.withUnsafeBufferPointer {
            nnom_model_set_state(m, Int32(layer.index), 0, $0.baseAddress, $0.count)
        }, NNOM_OK)
        XCTAssertEqual(try allStates(model).map(bits), cStates().map(bits))
        XCTAssertEqual(try run(model, inputs[1]).map(bits), cRun(inputs[1]).map(bits))
    }

    func testStateErrors() throws {
        let (model, _) = try statefulModel()
        func expect(_ status: NNoMError.Status, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                XCTAssertEqual((error as? NNoMError)?.status, status, "\(error)", line: line)
            }
        }
        let recurrent = model.recurrentLayers
        let gru = try XCTUnwrap(recurrent.first { $0.type.lowercased().contains("gru") })
        let length = try model.stateShape(layer: gru.index).length
        XCTAssertEqual(try model.stateShape(layer: 0).count, 0)          // the input layer has no state
        expect(.argument) { _ = try model.state(layer: 0) }
        expect(.argument) { _ = try model.state(layer: gru.index, index: 1) }    // a GRU has only h
        expect(.argument) { _ = try model.state(layer: model.layers.count) }
        expect(.argument) { _ = try model.state(layer: -1) }
        expect(.argument) { _ = try model.state(layer: "no such layer") }
        expect(.shape) { try model.setState([Float](repeating: 0, count: length + 1), layer: gru.index) }
        XCTAssertEqual(try model.states(layer: 0).count, 0)

        // a model without recurrent layers has no state, and resetting it is harmless
        let cnn = try Model(bytes: try HandBuiltModel.int8CNN().serialized())
        XCTAssertEqual(cnn.stateSize, 0)
        XCTAssertTrue(cnn.recurrentLayers.isEmpty)
        XCTAssertNoThrow(try cnn.resetState())
    }
}
