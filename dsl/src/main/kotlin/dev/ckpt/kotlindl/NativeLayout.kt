package dev.ckpt.kotlindl

/** File names and value encoding of KotlinDL 0.4.0's `JSON_CONFIG_CUSTOM_VARIABLES` layout, shared by writer and reader. */
internal object NativeLayout {
    const val MODEL_CONFIG = "modelConfig.json"
    const val VARIABLE_NAMES = "variableNames.txt"
    const val VARIABLE_SUFFIX = ".txt"

    /** KotlinDL's loader treats every variable whose name starts with this as optimizer state. */
    const val OPTIMIZER_PREFIX = "optimizer"

    fun variableFile(name: String): String = name + VARIABLE_SUFFIX

    fun isOptimizerVariable(name: String): Boolean = name.startsWith(OPTIMIZER_PREFIX)

    /**
     * KotlinDL writes `"$dir/$name.txt"` without checking the name; ckpt refuses names that would leave the
     * directory, create a subdirectory or overwrite the names file.
     */
    fun requireFileSafe(name: String) {
        require(
            name.isNotEmpty() && name != "." && name != ".." && '/' !in name && '\\' !in name &&
                name.none { it.isISOControl() } && variableFile(name) != VARIABLE_NAMES,
        ) { "variable name '$name' cannot be stored as a file name '${variableFile(name)}' in KotlinDL's layout" }
    }
}
