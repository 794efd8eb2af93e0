import CNNoMRuntime

// MARK: recurrent state

/// The state of recurrent layers (SimpleRNN, GRU, LSTM), thin over the C state API
/// (`nnom_model_state_size`, `nnom_model_reset_state`, `nnom_model_state_count`,
/// `nnom_model_state`, `nnom_model_set_state`).
///
/// Every recurrent layer keeps its state (`h`; an LSTM: `h` and `c`) outside the
/// arena. A stateful layer starts each run from the state the previous run left,
/// as Keras' stateful RNNs do across `predict()` calls; the others start from zero.
/// After a run, every recurrent layer holds its last state.
///
///     let a = try model.predict(x)    // a stateful model continues from run to run
///     let h = try model.state(layer: "lstm")
///     try model.resetState()          // Keras' reset_states(): the next run starts afresh
extension Model {
    /// Bytes of state memory the model keeps between runs (0 without recurrent layers).
    public var stateSize: Int {
        nnom_model_state_size(handle)
    }

    /// The layers that hold a state (the recurrent ones), in execution order.
    public var recurrentLayers: [Layer] {
        layers.filter { nnom_model_state_count(handle, Int32($0.index), nil) > 0 }
    }

    /// Zeroes the state of every recurrent layer: stateful layers start the next run afresh.
    public func resetState() throws {
        try checkState(nnom_model_reset_state(handle))
    }

    /// The number of state vectors of @p layer (0: it has none; 1: `h`; 2: an LSTM's `h` and `c`)
    /// and the number of values of each (the layer's units).
    public func stateShape(layer: Int) throws -> (count: Int, length: Int) {
        try requireLayer(layer)
        var length: Int32 = 0
        let count = nnom_model_state_count(handle, Int32(layer), &length)
        return (Int(count), Int(length))
    }

    /// State vector @p index (0: `h`, 1: an LSTM's `c`) of layer @p layer, as floats
    /// (dequantised from int16 in an int8 model).
    public func state(layer: Int, index: Int = 0) throws -> [Float] {
        let length = try stateLength(layer: layer, index: index)
        var values = [Float](repeating: 0, count: length)
        let status = values.withUnsafeMutableBufferPointer {
            nnom_model_state(handle, Int32(layer), Int32(index), $0.baseAddress, length)
        }
        try checkState(status)
        return values
    }

    /// State vector @p index of the layer named @p layer.
    public func state(layer: String, index: Int = 0) throws -> [Float] {
        try state(layer: layerIndex(layer), index: index)
    }

    /// Every state vector of layer @p layer: `[h]`, `[h, c]` for an LSTM, `[]` for a layer without state.
    public func states(layer: Int) throws -> [[Float]] {
        let (count, _) = try stateShape(layer: layer)
        return try (0..<count).map { try state(layer: layer, index: $0) }
    }

    /// Sets state vector @p index of layer @p layer (quantised and saturated in an int8 model):
    /// a stateful layer's next run starts from it.
    public func setState(_ values: [Float], layer: Int, index: Int = 0) throws {
        let length = try stateLength(layer: layer, index: index)
        guard values.count == length else {
            throw NNoMError(.shape, "setState: layer \(layer) ('\(layers[layer].name)') has state vectors of "
                            + "\(length) values, \(values.count) given")
        }
        let status = values.withUnsafeBufferPointer {
            nnom_model_set_state(handle, Int32(layer), Int32(index), $0.baseAddress, $0.count)
        }
        try checkState(status)
    }

    /// Sets state vector @p index of the layer named @p layer.
    public func setState(_ values: [Float], layer: String, index: Int = 0) throws {
        try setState(values, layer: layerIndex(layer), index: index)
    }

    // MARK: helpers

    private func checkState(_ status: nnom_status) throws {
        try NNoMRuntime.check(status, String(cString: nnom_model_last_error(handle)))
    }

    private func requireLayer(_ layer: Int) throws {
        guard layers.indices.contains(layer) else {
            throw NNoMError(.argument, "layer \(layer) does not exist: the model has \(layers.count) layers")
        }
    }

    private func layerIndex(_ name: String) throws -> Int {
        guard let layer = layers.first(where: { $0.name == name }) else {
            throw NNoMError(.argument, "no layer is named '\(name)'")
        }
        return layer.index
    }

    private func stateLength(layer: Int, index: Int) throws -> Int {
        let (count, length) = try stateShape(layer: layer)
        guard count > 0 else {
            throw NNoMError(.argument, "layer \(layer) ('\(layers[layer].name)', \(layers[layer].type)) "
                            + "holds no recurrent state")
        }
        guard (0..<count).contains(index) else {
            throw NNoMError(.argument, "layer \(layer) ('\(layers[layer].name)') has \(count) state "
                            + "vector\(count == 1 ? "" : "s"); \(index) does not exist")
        }
        return length
    }
}
