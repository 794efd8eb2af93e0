// Files that hold a model's inputs, shared by convert, run and eval; and loading a model file.
import ArgumentParser
import Foundation
import NNoM

/// One array read for one model input, and where it came from (for messages).
struct InputArray {
    let array: NumPyArray
    let source: String
}

func isNPZ(_ path: String) -> Bool {
    path.lowercased().hasSuffix(".npz")
}

/// The arrays for a model's inputs from the files given to @p option: one .npy per input in the model's
/// order (the option repeated), or one .npz holding an array named after each input. @p keys, when given,
/// are the names tried first in a .npz for a model with one input (eval's --x-key).
func loadInputArrays(_ files: [String], inputNames names: [String], option: String,
                     keys: [String] = []) throws -> [InputArray] {
    if let npz = files.first(where: isNPZ) {
        guard files.count == 1 else {
            throw CLIError("\(option): give one .npz (an array per input, named after it) or one .npy per input, "
                           + "not both")
        }
        return try names.enumerated().map { i, name in
            let candidates = names.count == 1 ? keys + [name] : [name]
            for key in candidates {
                do {
                    return InputArray(array: try NumPyArray(npz: url(npz), key: key), source: "\(npz):\(key)")
                } catch let error as NNoMError where error.status == .argument {
                    continue  // no such array: try the next name
                }
            }
            let wanted = names.map { "'\($0)'" }.joined(separator: ", ")
            throw CLIError("\(npz) has no array \(candidates.map { "'\($0)'" }.joined(separator: " or ")) for input "
                           + "\(i) ('\(name)'): a .npz holds each input under its name (\(wanted))")
        }
    }
    guard files.count == names.count else {
        let list = names.enumerated().map { "\($0.offset) '\($0.element)'" }.joined(separator: ", ")
        throw CLIError("the model has \(names.count) input\(names.count == 1 ? "" : "s") (\(list)), "
                       + "\(files.count) file\(files.count == 1 ? "" : "s") given to \(option): give one .npy per "
                       + "input in the model's order, or one .npz with an array named after each input")
    }
    return try files.map { InputArray(array: try NumPyArray(npy: url($0)), source: $0) }
}

/// Samples of every input, one row per sample (the inputs of a sample one after the other, the layout the
/// library takes), and whether the files held a single sample without its batch axis.
func inputRows(_ arrays: [InputArray], model m: Model) throws -> (rows: [[Float]], single: Bool) {
    var perInput: [[[Float]]] = []
    var single = true
    for (info, a) in zip(m.inputs, arrays) {
        perInput.append(try samples(of: a.array, size: info.count, file: a.source,
                                    input: "input '\(info.name)' \(formatShape(info.shape))"))
        single = single && a.array.count == info.count && a.array.shape.first != 1
    }
    guard let n = perInput.first?.count else { return ([], single) }
    if let k = perInput.firstIndex(where: { $0.count != n }) {
        throw CLIError("\(arrays[k].source) holds \(perInput[k].count) samples, \(arrays[0].source) \(n): "
                       + "every input needs the same number")
    }
    return ((0..<n).map { s in perInput.flatMap { $0[s] } }, single)
}

/// Loads a .nnom model; a Keras file given instead is told to go through 'nnom convert'.
/// The memory plan a command loads a model with: `--plan smallest|fastest`, `--max-arena BYTES`.
struct PlanOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The memory plan: smallest (the smallest arena: convolutions in place and the peak "
                               + "tiled wherever that makes it smaller) or fastest (the fastest plan whose arena fits "
                               + "--max-arena: neither if that fits, else convolutions in place, else tiling, else both).",
                               valueName: "smallest|fastest"))
    var plan: PlanGoal = .smallest

    @Option(name: .customLong("max-arena"), help: ArgumentHelp("The largest arena the plan may take, in bytes "
                                                               + "(0: the runtime's default limit).", valueName: "bytes"))
    var maxArena: Int = 0
}

extension PlanGoal: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "smallest": self = .smallest
        case "fastest": self = .fastest
        default: return nil
        }
    }
    public var defaultValueDescription: String { self == .smallest ? "smallest" : "fastest" }
    public static var allValueStrings: [String] { ["smallest", "fastest"] }
}

func loadModel(_ path: String, timing: Bool = false, operators: OperatorOptions,
               plan: PlanOptions = PlanOptions()) throws -> Model {
    let lower = path.lowercased()
    if [".keras", ".h5", ".hdf5"].contains(where: { lower.hasSuffix($0) }) {
        throw CLIError("\(path) is a Keras model, not a .nnom model: convert it first "
                       + "(nnom convert \(path) --calibration x.npy -o model.nnom)")
    }
    let registry = try operators.registry()
    return try hintingOperators {
        try Model(contentsOf: url(path), timing: timing, operators: registry, planGoal: plan.plan,
                  maxArenaBytes: plan.maxArena)
    }
}
