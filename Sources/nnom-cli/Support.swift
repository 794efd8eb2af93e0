// Text output of the tool: tables, numbers, shapes, progress.
import Foundation
import NNoM

/// A plain-text table: a header, a rule, and rows with aligned columns.
struct TextTable {
    enum Alignment { case left, right }

    let headers: [String]
    let alignments: [Alignment]
    private(set) var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: max(0, widths[i] - cell.count))
                return alignments[i] == .left ? cell + padding : padding + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// NumPy's way of writing a shape: (8, 8, 1), (10,), ().
func formatShape(_ shape: [Int]) -> String {
    shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

/// 1234567 -> "1,234,567".
func grouped<T: BinaryInteger>(_ value: T) -> String {
    let digits = String(value.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (value < 0 ? "-" : "") + out
}

func percent(_ fraction: Double) -> String {
    String(format: "%.2f%%", fraction * 100)
}

func formatQuantization(_ q: Quantization?) -> String {
    guard let q else { return "float32" }
    return String(format: "s=%.6g zp=%d", Double(q.scale), q.zeroPoint)
}

/// Splits a NumPy array into samples of @p size values: a single sample (the
/// array is exactly one input) or one per row of the first axis.
func samples(of array: NumPyArray, size: Int, file: String, input: String) throws -> [[Float]] {
    if array.count == size {
        return [array.values]
    }
    if let n = array.shape.first, n > 0, array.count == n * size {
        return (0..<n).map { Array(array.values[$0 * size ..< ($0 + 1) * size]) }
    }
    throw CLIError("\(file) holds an array of shape \(formatShape(array.shape)), which is neither one input of "
                   + "\(size) values for \(input) nor a batch of them (N, ...)")
}

/// Counter and bar on stderr for long runs. Shown when stderr is a terminal,
/// or always when NNOM_PROGRESS=1 (NNOM_PROGRESS=0 hides it).
struct Progress {
    let label: String
    let total: Int
    private let enabled: Bool
    private var shown = -1

    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
        switch ProcessInfo.processInfo.environment["NNOM_PROGRESS"] {
        case "1": enabled = total > 0
        case "0": enabled = false
        default: enabled = total > 0 && isatty(2) != 0
        }
    }

    mutating func update(_ done: Int) {
        guard enabled else { return }
        let step = min(done, total) * 40 / total
        guard step != shown else { return }
        shown = step
        let bar = String(repeating: "=", count: step) + String(repeating: " ", count: 40 - step)
        fputs("\r\(label) [\(bar)] \(min(done, total))/\(total)", stderr)
        if done >= total { fputs("\n", stderr) }
    }

    /// Ends the line if the bar was drawn but did not reach its total.
    mutating func finish() {
        guard enabled, shown >= 0, shown < 40 else { return }
        shown = 40
        fputs("\n", stderr)
    }
}

func url(_ path: String) -> URL {
    URL(fileURLWithPath: path)
}
