package dev.ckpt

/**
 * Marks what ckpt's own modules share across module boundaries (the storage layer that `ckpt-s3` builds on) but
 * does not offer to users: it may change in any release, without notice. Kotlin's `internal` stops at the module,
 * so these declarations are public in bytecode; using one from Kotlin needs `@OptIn(InternalCkptApi::class)`,
 * and the API dumps leave them out.
 *
 * ```kotlin
 * @OptIn(InternalCkptApi::class)
 * class MyStoreProvider : RunStoreProvider { ... }   // inside a ckpt module only
 * ```
 *
 * It deliberately does not hide anything from Java callers, who see no opt-in markers: the missing dump lines
 * are their warning.
 */
@RequiresOptIn(
    message = "ckpt's internal API, shared between ckpt's modules; it may change in any release",
    level = RequiresOptIn.Level.ERROR,
)
@Retention(AnnotationRetention.RUNTIME)
@Target(
    AnnotationTarget.CLASS,
    AnnotationTarget.FUNCTION,
    AnnotationTarget.CONSTRUCTOR,
    AnnotationTarget.PROPERTY,
    AnnotationTarget.TYPEALIAS,
)
@MustBeDocumented
public annotation class InternalCkptApi
