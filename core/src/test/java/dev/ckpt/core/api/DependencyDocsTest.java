package dev.ckpt.core.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

/**
 * The README's first screen tells a user how to depend on ckpt: its Gradle line and Maven block name the project's
 * own coordinates (the version this build becomes when released), and the changelog has a section for it. No
 * Gradle build checks the Gradle line, so this does.
 */
class DependencyDocsTest {
    static String readme;
    static String firstScreen;
    static String groupId;
    static String version;

    @BeforeAll
    static void read() throws Exception {
        readme = Files.readString(Path.of("../README.md"));
        firstScreen = readme.substring(0, readme.indexOf("\n---\n"));
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("../pom.xml").toFile());
        groupId = text(pom, "groupId");
        version = text(pom, "version");
    }

    @Test
    void gradleAndMavenSnippetsNameTheProjectsCoordinates() {
        Matcher gradle = Pattern.compile("implementation\\(\"([^:\"]+):([^:\"]+):([^\"]+)\"\\)").matcher(firstScreen);
        Matcher maven = Pattern.compile("<groupId>(.+)</groupId>\\s*<artifactId>(.+)</artifactId>\\s*<version>(.+)</version>")
                .matcher(firstScreen);
        assertTrue(gradle.find(), "a Gradle implementation(\"group:artifact:version\") line before the first ---");
        assertTrue(maven.find(), "a Maven <dependency> block before the first ---");
        String released = version.replace("-SNAPSHOT", "");
        assertEquals(groupId + ":ckpt-dsl:" + released, gradle.group(1) + ":" + gradle.group(2) + ":" + gradle.group(3));
        assertEquals(groupId + ":ckpt-dsl:" + released, maven.group(1) + ":" + maven.group(2) + ":" + maven.group(3));
    }

    @Test
    void theTwoCommandsComeFirstThenTheDependency() {
        int mainJob = firstScreen.indexOf("exec:");
        int tests = firstScreen.indexOf("mvn -B verify");
        int gradle = firstScreen.indexOf("implementation(");
        assertTrue(mainJob >= 0 && mainJob < tests && tests < gradle, "main job, tests, then the Gradle line");
    }

    @Test
    void theChangelogHasASectionForThisVersion() throws Exception {
        String changelog = Files.readString(Path.of("../CHANGELOG.md"));
        String heading = version.endsWith("-SNAPSHOT") ? "## [Unreleased]" : "## [" + version + "]";
        assertTrue(changelog.contains("\n" + heading), "CHANGELOG.md needs a \"" + heading + "\" section for " + version);
    }

    private static String text(Document pom, String child) {
        var nodes = pom.getDocumentElement().getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeName().equals(child)) {
                return nodes.item(i).getTextContent().trim();
            }
        }
        throw new AssertionError("../pom.xml has no <" + child + ">");
    }
}
