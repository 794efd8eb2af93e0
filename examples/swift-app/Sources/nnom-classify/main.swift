// Classifies one input with a .nnom model, from several tasks sharing one
// ModelActor: prints the scores and the best class.
//   nnom-classify model.nnom v0 v1 ... (the input's values, HWC order)
import Foundation
import NNoMRuntime

let arguments = CommandLine.arguments.dropFirst()
guard let path = arguments.first else {
    FileHandle.standardError.write(Data("usage: nnom-classify model.nnom value...\n".utf8))
    exit(2)
}
let values = arguments.dropFirst().compactMap(Float.init)
do {
    let model = try ModelActor(contentsOf: URL(fileURLWithPath: path))
    guard values.count == model.inputs[0].count else {
        throw NNoMError(.argument, "the model's input takes \(model.inputs[0].count) values, \(values.count) given")
    }
    // four tasks run the same input through the shared model; they must agree
    let results = try await withThrowingTaskGroup(of: [Float].self) { group in
        for _ in 0..<4 { group.addTask { try await model.predict(values) } }
        return try await group.reduce(into: [[Float]]()) { $0.append($1) }
    }
    guard results.allSatisfy({ $0 == results[0] }) else {
        throw NNoMError(.state, "tasks disagree")
    }
    let scores = results[0]
    let best = scores.indices.max { scores[$0] < scores[$1] }!
    print("scores: " + scores.map { String(format: "%.4f", $0) }.joined(separator: " "))
    print("class \(best)")
} catch {
    FileHandle.standardError.write(Data("nnom-classify: \(error)\n".utf8))
    exit(1)
}
