// NNoM is the runtime module (NNoMRuntime: Model, Layer, evaluation, state)
// plus the host tools (Converter, NumPy files): importing NNoM brings both.
@_exported import NNoMRuntime
