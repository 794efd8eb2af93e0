// A crash while reading a Keras file becomes a clear error: libhdf5 1.10 can die of SIGSEGV or SIGABRT
// inside the library on a corrupt file, where no error check can stop it. Around the read, a handler for
// the fatal signals writes one prepared line naming the file and the signal, and exits with status 1.
import Foundation

/// Messages the handler writes, indexed by signal number; prepared before the read (the handler may only
/// call async-signal-safe functions: write, _exit).
nonisolated(unsafe) private var crashMessages: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
private let crashMessageSlots = 64
private let fatalSignals: [(Int32, String)] = [(SIGSEGV, "SIGSEGV"), (SIGBUS, "SIGBUS"), (SIGABRT, "SIGABRT"),
                                              (SIGFPE, "SIGFPE"), (SIGILL, "SIGILL")]

private let crashHandler: @convention(c) (Int32) -> Void = { signal in
    if let table = crashMessages, signal >= 0, Int(signal) < crashMessageSlots, let message = table[Int(signal)] {
        _ = write(2, message, strlen(message))
    }
    _exit(1)
}

/// Runs @p body (which reads the Keras file @p file); a fatal signal during it ends the process with
/// "nnom: error: reading 'file' crashed ... (signal N, NAME) ..." on stderr and exit status 1.
func reportingCrashes<T>(reading file: String, _ body: () throws -> T) rethrows -> T {
    let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: crashMessageSlots)
    table.initialize(repeating: nil, count: crashMessageSlots)
    for (number, name) in fatalSignals where Int(number) < crashMessageSlots {
        table[Int(number)] = strdup("nnom: error: reading '\(file)' crashed the Keras reader (signal \(number), "
                                    + "\(name)): the file is corrupt or not a model libhdf5 can read\n")
    }
    crashMessages = table
    let previous = fatalSignals.map { signal($0.0, crashHandler) }
    defer {
        for (index, (number, _)) in fatalSignals.enumerated() { signal(number, previous[index]) }
        crashMessages = nil
        for slot in 0..<crashMessageSlots { free(table[slot]) }
        table.deallocate()
    }
    return try body()
}
