"""Runs the Keras converter in a child process.

libhdf5 1.10 can crash (SIGSEGV, SIGABRT) on a corrupt file, inside the
library where no error check can stop it. Reading a Keras file in a child
process turns such a crash into an exception in the caller, whose process
carries on. The child runs the same C converter (``_nnom.convert_keras``) and
sends back what it returns: the .nnom bytes, the report rows and the top-1
agreement (a weights.h, when asked for, is written by the child itself).

Protocol: the parent writes one pickled request on the child's stdin; the
child writes pickled frames on its stdout: ``("progress", done, total)``
while calibrating, then ``("ok", result)`` or ``("error", type, message,
status, status_name)``. Anything the C libraries print goes to stderr.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
from typing import Callable, List, Optional, Sequence

from . import _nnom

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child_command() -> List[str]:
    """The child's command line: this interpreter, finding this copy of the package first."""
    code = (f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
            "from nnom._isolated import child_main; child_main()")
    return [sys.executable, "-c", code]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _rebuild_error(type_name: str, message: str, status, status_name) -> BaseException:
    known = {"NNoMError": _nnom.NNoMError, "NNoMValueError": _nnom.NNoMValueError, "ValueError": ValueError,
             "TypeError": TypeError, "MemoryError": MemoryError, "OSError": OSError}
    exc = known.get(type_name, RuntimeError)(message)
    if status is not None:
        exc.status, exc.status_name = status, status_name
    return exc


def convert_in_child(path: str, args: Sequence, progress: Optional[Callable[[int, int], None]]):
    """``_nnom.convert_keras(path, calibration, *args, progress)`` in a child process.

    ``args[0]`` is the calibration list [(float32 array, shape), ...]; its
    arrays cross as bytes. Raises the child's exception, or :class:`NNoMError`
    naming the file and the signal when the child dies.
    """
    calibration = [(memoryview(a).cast("B").tobytes() if not isinstance(a, bytes) else a, tuple(shape))
                   for a, shape in args[0]]
    request = pickle.dumps((path, calibration) + tuple(args[1:]) + (progress is not None,),
                           protocol=pickle.HIGHEST_PROTOCOL)
    child = subprocess.Popen(_child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        try:
            child.stdin.write(request)
            child.stdin.close()
        except BrokenPipeError:  # the child died before reading: its exit status says why
            pass
        outcome = None
        while outcome is None:
            try:
                frame = pickle.load(child.stdout)
            except EOFError:
                break
            if frame[0] == "progress":
                if progress is not None:
                    progress(frame[1], frame[2])
            else:
                outcome = frame
        code = child.wait()
    except BaseException:  # Ctrl-C or an error in the parent: the child must not outlive the call
        child.kill()
        child.wait()
        raise
    finally:
        child.stdout.close()
    if outcome is not None and outcome[0] == "ok":
        return outcome[1]
    if outcome is not None:
        raise _rebuild_error(*outcome[1:])
    if code < 0:
        exc = _nnom.NNoMError(f"reading '{path}' crashed the converter process with signal {-code} "
                              f"({_signal_name(-code)}): the file is corrupt or not a model libhdf5 can read; "
                              "this process is unaffected")
        exc.signal = -code
        raise exc
    raise _nnom.NNoMError(f"converting '{path}': the converter process exited with status {code} "
                          "without an answer")


def child_main() -> None:
    """The child's side: read the request, convert, send frames, exit."""
    frames = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stdout now means stderr: only frames reach the parent's pipe
    sys.stdout = sys.stderr

    def send(frame) -> None:
        pickle.dump(frame, frames, protocol=pickle.HIGHEST_PROTOCOL)
        frames.flush()

    request = pickle.load(sys.stdin.buffer)
    path, calibration, rest, want_progress = request[0], request[1], request[2:-1], request[-1]
    on_progress = (lambda done, total: send(("progress", done, total))) if want_progress else None
    try:
        result = _nnom.convert_keras(path, list(calibration), *rest, on_progress)
    except Exception as exc:  # everything goes back to the parent, which raises it
        send(("error", type(exc).__name__, str(exc), getattr(exc, "status", None),
              getattr(exc, "status_name", None)))
    else:
        send(("ok", result))
    frames.close()
