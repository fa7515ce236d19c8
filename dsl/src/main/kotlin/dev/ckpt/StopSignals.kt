package dev.ckpt

import sun.misc.Signal
import sun.misc.SignalHandler
import java.util.concurrent.ConcurrentHashMap

/**
 * A POSIX signal that asks a training to stop at its next batch end (see [CheckpointOptions.stopOn]).
 *
 * SIGTERM and SIGINT end the JVM after the stop, with the JVM's usual exit code (128 + the signal's number: 143
 * for SIGTERM, 130 for SIGINT). SIGUSR1 and SIGUSR2 only stop the training: `fit` returns, and the program decides
 * what comes next (for example `exitProcess(3)` to have a scheduler requeue the job).
 */
public enum class StopSignal(internal val signalName: String, internal val endsJvm: Boolean) {
    /** Sent by Kubernetes, SLURM, systemd and `kill` to end a process; the default. */
    SIGTERM("TERM", true),

    /** Ctrl-C in a terminal; the default. */
    SIGINT("INT", true),

    /** A user signal, e.g. SLURM's `--signal=B:USR1@60`: stops training, the JVM goes on. */
    SIGUSR1("USR1", false),

    /** A user signal: stops training, the JVM goes on. */
    SIGUSR2("USR2", false),
}

/**
 * The JVM-wide signal handlers behind [StopSignal]: installed once per signal, on first use, they ask every
 * training in progress to stop, then hand a terminating signal on to the handler that was there before (the JVM's
 * own, which runs the shutdown hooks; ckpt's hook waits for the stop's commit). Handlers stay installed; with no
 * training in progress they only hand the signal on.
 */
internal object StopSignals {
    private val active = ConcurrentHashMap<StopControl, Set<StopSignal>>()
    private val previous = HashMap<StopSignal, SignalHandler>()

    /** Routes [signals] to [control] until [remove]; installs the handlers not installed yet. */
    @Synchronized
    fun add(control: StopControl, signals: Set<StopSignal>, messages: Messages) {
        for (signal in signals) {
            if (signal in previous) continue
            try {
                previous[signal] = Signal.handle(Signal(signal.signalName)) { s -> received(signal, s) }
            } catch (e: IllegalArgumentException) {
                // The JVM or another library owns it (e.g. -Xrs, or a VM that uses SIGUSR2 itself).
                messages.warn("stopOn: cannot handle ${signal.name} in this JVM (${e.message}); it will not stop training")
            }
        }
        active[control] = signals
    }

    fun remove(control: StopControl) {
        active.remove(control)
    }

    private fun received(signal: StopSignal, s: Signal) {
        for ((control, signals) in active) if (signal in signals) control.request(signal.name, fromSignal = signal.endsJvm)
        if (signal.endsJvm) {
            val before = synchronized(this) { previous[signal] }
            if (before != null && before != SignalHandler.SIG_IGN && before != SignalHandler.SIG_DFL) {
                before.handle(s)
            } else if (before == SignalHandler.SIG_DFL) {
                Runtime.getRuntime().exit(128 + s.number)
            }
        }
    }
}
