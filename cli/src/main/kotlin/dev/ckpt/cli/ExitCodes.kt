package dev.ckpt.cli

/**
 * The exit codes of the `ckpt` command, documented in docs/cli.md and in `ckpt --help`.
 *
 * ```sh
 * java -jar ckpt.jar verify runs/digits || echo "exit $?"
 * ```
 *
 * They deliberately stay few and stable: scripts branch on them.
 */
public object ExitCodes {
    /** The command did what was asked (verify: every checkpoint is intact). */
    public const val OK: Int = 0

    /** verify found a corrupt, missing or incomplete checkpoint, or a damaged history line. */
    public const val DAMAGED_CHECKPOINTS: Int = 1

    /** A bad option or argument: unknown option, missing RUN, `--out` not .png/.svg, an unknown metric, a count below 1. */
    public const val USAGE: Int = 2

    /** Not found: no run at RUN (no directory at ROOT), no such checkpoint, no best checkpoint, no metric history. */
    public const val NOT_FOUND: Int = 3

    /**
     * The run's `manifest.json` (or a `checkpoint.json` or `history.jsonl` the command needs) is malformed, unsupported or
     * unsafe; for `runs`, a run under ROOT is (the others are listed first).
     */
    public const val CORRUPT_RUN: Int = 4

    /** prune: a writer (a training) holds the run's lock. */
    public const val LOCKED: Int = 5

    /** Reading or writing failed: permissions, a full disk, a deletion that failed. */
    public const val IO_ERROR: Int = 6

    /**
     * An `s3://` run, and S3 is not set up: a missing region or credentials, a bad `CKPT_S3_*` value, or a server that
     * refused the SDK's default checksums or the credentials. The message names the settings that fix it.
     */
    public const val S3_SETUP: Int = 7

    /** A bug in ckpt: the message says what happened; please report it. */
    public const val INTERNAL_ERROR: Int = 70

    internal val TABLE: List<Pair<Int, String>> = listOf(
        OK to "success (verify: every checkpoint is intact)",
        DAMAGED_CHECKPOINTS to "verify found a damaged checkpoint or history line",
        USAGE to "bad option or argument",
        NOT_FOUND to "not found: no run at RUN, no such checkpoint, no best, no history",
        CORRUPT_RUN to "the run's manifest.json (or another file it needs) is damaged",
        LOCKED to "prune: a training holds the run's lock",
        IO_ERROR to "reading or writing failed (permissions, disk full, a failed deletion)",
        S3_SETUP to "S3 is not set up: a missing or wrong S3 setting (the message names it)",
        INTERNAL_ERROR to "a bug in ckpt (please report it)",
    )
}

/** A failure the command reports as one line on stderr, with its exit code. */
internal class CliFailure(val exitCode: Int, message: String) : Exception(message)
