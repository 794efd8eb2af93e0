import ArgumentParser
import Foundation
import NNoM

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a classifier on labelled data: accuracy, top-k and the confusion matrix."
    )

    @Argument(help: "The .nnom model.")
    var model: String

    @Option(help: "A .npz file with inputs and integer class labels (or, with --labels, a .npy of inputs).")
    var data: String

    @Option(help: "A .npy file of integer class labels; then --data is a .npy file of inputs.")
    var labels: String?

    @Option(help: "The array of inputs in the .npz file.")
    var xKey = "x"

    @Option(help: "The array of labels in the .npz file.")
    var yKey = "y"

    @Option(name: .customLong("top-k"), help: "The k of top-k accuracy.")
    var topK = 5

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
    }

    func run() throws {
        let m = try Model(contentsOf: url(model), timing: false)
        guard m.inputs.count == 1, let info = m.inputs.first, let out = m.outputs.first else {
            throw CLIError("\(model): 'nnom eval' needs a model with one input (this one has \(m.inputs.count))")
        }
        let x: NumPyArray, y: NumPyArray, xName: String, yName: String
        if let labels {
            (x, y, xName, yName) = (try NumPyArray(npy: url(data)), try NumPyArray(npy: url(labels)), data, labels)
        } else {
            (x, y) = (try NumPyArray(npz: url(data), key: xKey), try NumPyArray(npz: url(data), key: yKey))
            (xName, yName) = ("\(data):\(xKey)", "\(data):\(yKey)")
        }
        let inputs = try samples(of: x, size: info.count, file: xName,
                                 input: "input '\(info.name)' \(formatShape(info.shape))")
        guard y.shape.count <= 1 else {
            throw CLIError("\(yName) has shape \(formatShape(y.shape)); expected integer class labels of shape (N,)")
        }
        var classes: [Int] = []
        classes.reserveCapacity(y.count)
        for (i, v) in y.values.enumerated() {
            guard v.rounded() == v, v >= 0, v < Float(out.count) else {
                throw CLIError("\(yName)[\(i)] = \(v) is not a class in 0..<\(out.count)")
            }
            classes.append(Int(v))
        }
        guard classes.count == inputs.count else {
            throw CLIError("\(inputs.count) samples in \(xName) but \(classes.count) labels in \(yName)")
        }
        var bar = Progress("evaluating", total: inputs.count)
        let e = try m.evaluate(samples: inputs, labels: classes, topK: topK, progress: { bar.update($0) })

        print("samples: \(e.samples), classes: \(e.classes)")
        print("accuracy: \(percent(e.accuracy)) (\(e.top1Correct)/\(e.samples))")
        print("top-\(e.k) accuracy: \(percent(e.topKAccuracy)) (\(e.topKCorrect)/\(e.samples))")
        print("")
        print("confusion matrix (rows: label, columns: prediction):")
        var table = TextTable([("label", .right)] + (0..<e.classes).map { ("\($0)", .right) } + [("recall", .right)])
        for (label, row) in e.confusion.enumerated() {
            let total = row.reduce(0, +)
            let recall = total == 0 ? "-" : percent(Double(row[label]) / Double(total))
            table.add(["\(label)"] + row.map(String.init) + [recall])
        }
        print(table.render())
    }
}
