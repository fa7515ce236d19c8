package dev.ckpt.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.apidump.ApiDump;
import dev.ckpt.core.policy.Retention;
import dev.ckpt.core.template.PathTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dump tool behind {@link PublicApiTest}: its line format, its failure message and its update switch. */
class ApiDumpTest {
    @TempDir
    Path dir;

    @Test
    void classAndMemberLinesStartWithTheOwnerAndReadLikeJava() throws Exception {
        assertEquals("dev.ckpt.core.policy.Retention : public record",
                ApiDump.header(Retention.class));
        assertEquals("dev.ckpt.core.policy.Retention public static dev.ckpt.core.policy.Retention keepAll()",
                ApiDump.line(Retention.class.getMethod("keepAll")));
        assertEquals("dev.ckpt.core.template.PathTemplate public String format(Map<String, ?>)",
                ApiDump.line(PathTemplate.class.getMethod("format", java.util.Map.class)).replace("java.util.", ""));
    }

    @Test
    void packagePrivateClassesAndPrivateMembersAreNotApi() throws Exception {
        Class<?> hidden = Class.forName("dev.ckpt.core.policy.Fingerprints");
        assertFalse(ApiDump.JAVA.isApi(hidden));
        assertFalse(ApiDump.JAVA.isApi(Retention.class.getDeclaredField("keepBest")));
        assertTrue(ApiDump.JAVA.isApi(Retention.class));
    }

    @Test
    void aDifferentDumpFailsWithTheLinesThatWentAndCameAndTheUpdateCommand() throws Exception {
        Path committed = dir.resolve("x.api");
        Files.write(committed, List.of("a : public class", "a public void gone()"));
        AssertionError e = assertThrows(AssertionError.class,
                () -> ApiDump.check(committed, List.of("a : public class", "a public void came()"), "mvn update-it"));
        assertEquals("The public API differs from " + committed + ":\n"
                + "- a public void gone()\n"
                + "+ a public void came()\n"
                + "If the change is intended, update the dump and commit it:\n  mvn update-it", e.getMessage());
    }

    @Test
    void theUpdateSwitchRewritesTheDumpInsteadOfFailing() throws Exception {
        Path committed = dir.resolve("api/x.api");
        System.setProperty(ApiDump.UPDATE_PROPERTY, "true");
        try {
            ApiDump.check(committed, List.of("a : public class"), "unused");
        } finally {
            System.clearProperty(ApiDump.UPDATE_PROPERTY);
        }
        assertEquals(List.of("a : public class"), Files.readAllLines(committed));
    }
}
