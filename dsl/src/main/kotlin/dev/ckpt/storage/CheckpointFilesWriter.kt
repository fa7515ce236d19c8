package dev.ckpt.storage

import java.io.IOException
import java.nio.file.Path

/**
 * Writes a checkpoint's model files into a directory that ckpt provides and later moves into place.
 *
 * ```kotlin
 * writer.commit(root.resolve("e07"), info) { dir -> Files.writeString(dir.resolve("model.json"), json) }
 * ```
 * ```java
 * writer.commit(root.resolve("e07"), info, dir -> Files.writeString(dir.resolve("model.json"), json));
 * ```
 *
 * It deliberately gets no say in where the directory is, nor in `checkpoint.json` (reserved: ckpt writes it
 * last). Write regular files only, under [dir]; symbolic links are refused. Flushing is ckpt's job.
 */
public fun interface CheckpointFilesWriter {
    /** Writes every model file under [dir] (an empty, private temporary directory). */
    @Throws(IOException::class)
    public fun writeFiles(dir: Path)
}
