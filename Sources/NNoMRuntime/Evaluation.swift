import CNNoMRuntime

/// Classification metrics of a model on labelled data, computed by the C
/// runtime (`nnom_evaluate`), so a device gives the same numbers.
public struct Evaluation: Sendable, Equatable {
    /// Number of classes (the size of output 0).
    public let classes: Int
    /// The k of top-k.
    public let k: Int
    public let samples: Int
    /// Samples whose best-scoring class is the label (ties go to the lower class).
    public let top1Correct: Int
    /// Samples whose label is among the k best classes.
    public let topKCorrect: Int
    /// `confusion[label][prediction]`: how often each label was predicted as each class.
    public let confusion: [[Int]]

    /// Top-1 accuracy in [0, 1] (0 without samples).
    public var accuracy: Double { samples == 0 ? 0 : Double(top1Correct) / Double(samples) }
    /// Top-k accuracy in [0, 1] (0 without samples).
    public var topKAccuracy: Double { samples == 0 ? 0 : Double(topKCorrect) / Double(samples) }
}

extension Model {
    /// Runs the model on every sample and scores output 0 against the labels.
    ///
    /// - Parameters:
    ///   - samples: one row of floats per sample: the model's input (`inputs[0].count` values), or for a
    ///     model with several inputs, every input's values one after the other in the model's order.
    ///   - labels: the class of each sample, in `0 ..< outputs[0].count`.
    ///   - topK: the k of top-k accuracy (clamped to the number of classes).
    ///   - progress: called now and then with the number of samples done.
    public func evaluate(samples: [[Float]], labels: [Int], topK: Int = 5,
                         progress: ((Int) -> Void)? = nil) throws -> Evaluation {
        guard !inputs.isEmpty, let output = outputs.first else {
            throw NNoMError(.argument, "evaluate: the model must have an input and an output")
        }
        guard samples.count == labels.count else {
            throw NNoMError(.argument, "evaluate: \(samples.count) samples but \(labels.count) labels")
        }
        let sampleSize = inputs.reduce(0) { $0 + $1.count }
        if let bad = samples.firstIndex(where: { $0.count != sampleSize }) {
            let what = inputs.count == 1
                ? "input '\(inputs[0].name)' of shape \(inputs[0].shape) takes \(sampleSize)"
                : "the model's \(inputs.count) inputs take \(sampleSize) together"
            throw NNoMError(.shape, "evaluate: sample \(bad) has \(samples[bad].count) values but \(what)")
        }
        let classes = output.count
        let k = max(1, min(topK, classes))
        // The C code reads n × input.count floats: hand it one contiguous buffer.
        let flat = samples.flatMap { $0 }
        let cLabels = labels.map { Int32(clamping: $0) }
        var confusion = [Int64](repeating: 0, count: classes * classes)
        var eval = nnom_eval()
        nnom_eval_init(&eval)
        eval.n_classes = Int32(classes)
        eval.k = Int32(k)
        // Chunks only to report progress; the totals accumulate in `eval` across calls.
        let chunk = 64
        try confusion.withUnsafeMutableBufferPointer { matrix in
            eval.confusion = matrix.baseAddress
            try flat.withUnsafeBufferPointer { x in
                try cLabels.withUnsafeBufferPointer { y in
                    var start = 0
                    while start < samples.count {
                        let n = min(chunk, samples.count - start)
                        let status = nnom_evaluate(handle, x.baseAddress! + start * sampleSize,
                                                   y.baseAddress! + start, n, &eval)
                        try NNoMRuntime.check(status, String(cString: nnom_model_last_error(handle)))
                        start += n
                        progress?(start)
                    }
                }
            }
            eval.confusion = nil
        }
        return Evaluation(
            classes: classes, k: k, samples: Int(eval.samples), top1Correct: Int(eval.top1),
            topKCorrect: Int(eval.topk),
            confusion: (0..<classes).map { row in confusion[row * classes ..< (row + 1) * classes].map(Int.init) })
    }
}
