package dev.ckpt.core.api;

import dev.ckpt.apidump.ApiDump;
import dev.ckpt.core.policy.CheckpointPolicy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The public API of ckpt-core is what {@code core/api/ckpt-core.api} lists: a change to a public class or member
 * shows up as a diff here, and is committed on purpose (with the command the failure prints) or undone.
 */
class PublicApiTest {
    static final Path DUMP = Path.of("api/ckpt-core.api");
    static final String UPDATE = "mvn -B -pl core test -Dtest=PublicApiTest -Dckpt.api.update=true";

    @Test
    void publicApiMatchesTheCommittedDump() throws Exception {
        Path classes = Path.of(CheckpointPolicy.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> dump = ApiDump.of(classes, ApiDump.JAVA);
        ApiDump.check(DUMP, dump, UPDATE);
    }
}
