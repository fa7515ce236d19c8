package dev.ckpt

/** Marks ckpt's DSL scopes so that an inner block cannot silently set an outer block's options. */
@DslMarker
@Target(AnnotationTarget.CLASS)
internal annotation class CkptDsl
