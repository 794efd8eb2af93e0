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

    @OptionGroup var operators: OperatorOptions
    @OptionGroup var plan: PlanOptions

    @Option(help: ArgumentHelp("A .npz file with the inputs and integer class labels; with --labels, the inputs "
                               + "alone: a .npy (one per model input, repeat the option) or a .npz with an array "
                               + "named after each input.", valueName: "npz|npy"))
    var data: [String] = []

    @Option(help: "A .npy file of integer class labels; then --data holds only the inputs.")
    var labels: String?

    @Option(help: "The array of inputs in the .npz file (one-input models; several inputs are named after them).")
    var xKey = "x"

    @Option(help: "The array of labels in the .npz file.")
    var yKey = "y"

    @Option(name: .customLong("top-k"), help: "The k of top-k accuracy.")
    var topK = 5

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1") }
        if data.isEmpty { throw ValidationError("Missing expected argument '--data <npz|npy>'") }
        if labels == nil, let npy = data.first(where: { !isNPZ($0) }) {
            throw ValidationError("--data \(npy) holds inputs only: give the labels with --labels <npy>, or one .npz "
                                  + "holding both (arrays '\(xKey)' and '\(yKey)')")
        }
    }

    func run() throws {
        let m = try loadModel(model, operators: operators, plan: plan)
        guard let out = m.outputs.first else { throw CLIError("\(model): the model has no output") }
        let names = m.inputs.map(\.name)
        let arrays = try loadInputArrays(data, inputNames: names, option: "--data", keys: [xKey])
        let y: NumPyArray, yName: String
        if let labels {
            (y, yName) = (try NumPyArray(npy: url(labels)), labels)
        } else {
            (y, yName) = (try NumPyArray(npz: url(data[0]), key: yKey), "\(data[0]):\(yKey)")
        }
        let (inputs, _) = try inputRows(arrays, model: m)
        let xName = arrays.map(\.source).joined(separator: ", ")
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
