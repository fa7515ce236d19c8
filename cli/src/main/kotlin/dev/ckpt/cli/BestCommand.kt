package dev.ckpt.cli

import picocli.CommandLine.Command

@Command(name = "best", description = ["Print the location of the run's best checkpoint."])
internal class BestCommand : RunCommand() {
    override fun call(): Int {
        val best = open().best()
        if (json) printJson(checkpointJson(best, sizeOf(best))) else out.println(best.location)
        return ExitCodes.OK
    }
}
