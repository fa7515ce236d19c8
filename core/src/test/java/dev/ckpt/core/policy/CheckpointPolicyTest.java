package dev.ckpt.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.monitor.MetricDirections;
import dev.ckpt.core.monitor.Mode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.ParameterizedTest;

class CheckpointPolicyTest {

    private static CheckpointPolicy everythingSet() {
        return CheckpointPolicy.builder("runs/x/e{epoch:02d}-{dice:.3f}")
                .monitor("val_dice")
                .mode(Mode.AUTO)
                .metricDirections(MetricDirections.builtIn().with(Map.of("dice", Direction.MAX)))
                .minDelta(0.01)
                .saveBestOnly(true)
                .saveWeightsOnly(true)
                .saveFrequency(SaveFrequency.everyEpoch())
                .initialValueThreshold(0.2)
                .retention(Retention.keepAll().withKeepBest(3).withKeepLast(2).withKeepEveryNthEpoch(5))
                .onMissingMonitor(MissingMonitor.FAIL)
                .verbose(true)
                .build();
    }

    @Test
    void defaultsAreKerasDefaultsPlusSkipAndWarn() {
        CheckpointPolicy p = CheckpointPolicy.builder("ck").build();
        assertEquals("val_loss", p.monitor().metric());
        assertEquals(Mode.AUTO, p.mode());
        assertEquals(Direction.MIN, p.monitor().direction());
        assertEquals(0.0, p.monitor().minDelta());
        assertFalse(p.saveBestOnly());
        assertFalse(p.saveWeightsOnly());
        assertEquals(SaveFrequency.everyEpoch(), p.saveFrequency());
        assertNull(p.initialValueThreshold());
        assertTrue(p.retention().keepsAll());
        assertEquals(MissingMonitor.SKIP_AND_WARN, p.missingMonitor());
        assertFalse(p.verbose());
        assertEquals(MetricDirections.builtIn(), p.metricDirections());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "runs/digits/e{epoch:02d}|runs/digits|runs/digits/e07|e07",
        "e{epoch}|''|e7|e7",
        "runs/x/best|runs/x|runs/x/best|best",
        "runs/e{epoch}/model|runs|runs/e7/model|e7/model",
        "/tmp/r/e{epoch}|/tmp/r|/tmp/r/e7|e7",
        "/e{epoch}|/|/e7|e7",
        "s3://bucket/runs/e{epoch}|s3://bucket/runs|s3://bucket/runs/e7|e7",
    })
    void theRunDirectoryIsTheTemplatesFixedLeadingDirectories(String template, String runDirectory, String formatted,
                                                              String inRun) {
        CheckpointPolicy p = CheckpointPolicy.builder(template).build();
        assertEquals(runDirectory, p.runDirectory());
        assertEquals(inRun, p.pathInRun(formatted));
    }

    @Test
    void keepShortcutsAddRulesToTheRetention() {
        CheckpointPolicy p = CheckpointPolicy.builder("ck/e{epoch}").keepBest(3).keepLast(2).keepEveryNthEpoch(10).build();
        assertEquals(new Retention(3, 2, 10), p.retention());
        assertEquals("keepLast", assertThrows(CheckpointConfigException.class,
                () -> CheckpointPolicy.builder("ck/e{epoch}").keepLast(0)).option());
    }

    @Test
    void theMonitorIsExplicitOnlyWhenSetAndStaysSoThroughToBuilder() {
        assertFalse(CheckpointPolicy.builder("ck").build().monitorExplicit());
        CheckpointPolicy set = CheckpointPolicy.builder("ck").monitor("val_loss").build();
        assertTrue(set.monitorExplicit());
        assertTrue(set.toBuilder().build().monitorExplicit());
    }

    @Test
    void toBuilderThenBuildGivesAnEqualPolicy() {
        CheckpointPolicy p = everythingSet();
        CheckpointPolicy copy = p.toBuilder().build();
        assertEquals(p, copy);
        assertEquals(p.hashCode(), copy.hashCode());
        assertEquals(p.fingerprint(), copy.fingerprint());
        assertEquals(p.verbose(), copy.verbose());
        assertEquals(p.metricDirections(), copy.metricDirections());
        assertEquals(p.saveWeightsOnly(), copy.saveWeightsOnly());
        assertEquals(p.mode(), copy.mode());
    }

    @Test
    void toBuilderChangesLeaveTheOriginalAlone() {
        CheckpointPolicy p = everythingSet();
        CheckpointPolicy changed = p.toBuilder().monitor("val_loss").build();
        assertEquals("val_dice", p.monitor().metric());
        assertEquals("val_loss", changed.monitor().metric());
        assertNotEquals(p, changed);
    }

    @Test
    void autoIsResolvedWhenBuiltButRemembered() {
        CheckpointPolicy p = everythingSet();
        assertEquals(Mode.AUTO, p.mode());
        assertEquals(Direction.MAX, p.monitor().direction());
    }

    @Test
    void equalPoliciesHaveEqualFingerprints() {
        assertEquals(everythingSet().fingerprint(), everythingSet().fingerprint());
    }

    @Test
    void verboseDoesNotChangeTheFingerprint() {
        CheckpointPolicy p = everythingSet();
        assertEquals(p.fingerprint(), p.toBuilder().verbose(false).build().fingerprint());
    }

    @Test
    void aChangedSettingChangesTheFingerprint() {
        CheckpointPolicy p = everythingSet();
        assertNotEquals(p.fingerprint(), p.toBuilder().minDelta(0.02).build().fingerprint());
        assertNotEquals(p.fingerprint(), p.toBuilder().retention(Retention.keepAll()).build().fingerprint());
        assertNotEquals(p.fingerprint(),
                p.toBuilder().saveFrequency(SaveFrequency.everyBatches(3)).monitor("loss").filepath("s{step}")
                        .build().fingerprint());
    }

    @Test
    void settingsOfAFingerprintAreThePolicysDecisionSettings() {
        CheckpointPolicy p = everythingSet().toBuilder().filepath("ck\\win=dows/e{epoch}").build();
        assertEquals(p.decisionSettings(), CheckpointPolicy.settingsOf(p.fingerprint()));
        assertEquals("MAX", CheckpointPolicy.settingsOf(p.fingerprint()).get("direction"));
        assertEquals(Map.of(), CheckpointPolicy.settingsOf(null));
    }

    @Test
    void describeDifferencesNamesAChangedMonitor() {
        CheckpointPolicy run = CheckpointPolicy.builder("ck/best").monitor("val_loss").build();
        CheckpointPolicy now = run.toBuilder().monitor("val_accuracy").build();
        assertEquals(List.of("monitor: run has \"val_loss\", policy has \"val_accuracy\"",
                        "direction: run has \"MIN\", policy has \"MAX\""),
                now.describeDifferences(run.fingerprint()));
    }

    @Test
    void describeDifferencesIsEmptyForAnEqualPolicy() {
        assertEquals(List.of(), everythingSet().describeDifferences(everythingSet().fingerprint()));
    }

    @Test
    void describeDifferencesReportsSettingsThisVersionDoesNotKnow() {
        CheckpointPolicy p = CheckpointPolicy.builder("ck").build();
        assertEquals(List.of("futureOption: run has \"7\", this version of ckpt has no such setting"),
                p.describeDifferences(p.fingerprint() + "futureOption=7\n"));
    }

    @Test
    void describeDifferencesReportsSettingsTheRunDidNotRecord() {
        CheckpointPolicy p = CheckpointPolicy.builder("ck").build();
        List<String> diff = p.describeDifferences("");
        assertEquals(p.decisionSettings().size(), diff.size());
        assertEquals("filepath: run has nothing, policy has \"ck\"", diff.get(0));
    }

    @Test
    void aFingerprintSurvivesBackslashesAndNewlinesInTheTemplate() {
        CheckpointPolicy p = CheckpointPolicy.builder("C:\\runs\\n\ne{epoch}").build();
        assertEquals(List.of(), p.describeDifferences(p.fingerprint()));
        assertEquals(p.decisionSettings().size(), p.fingerprint().split("\n").length);
    }

    @Test
    void decisionSettingsListsTheSettingsInAStableOrder() {
        assertEquals(List.of("filepath", "monitor", "direction", "minDelta", "saveBestOnly", "saveWeightsOnly",
                        "saveFrequency", "initialValueThreshold", "retention", "missingMonitor"),
                List.copyOf(everythingSet().decisionSettings().keySet()));
    }

    @Test
    void kerasSaveFreqSpellingsAreParsed() {
        assertEquals(SaveFrequency.everyEpoch(), SaveFrequency.parse("epoch"));
        assertEquals(SaveFrequency.everyBatches(25), SaveFrequency.parse("25"));
        assertEquals("saveFrequency", assertThrows(CheckpointConfigException.class,
                () -> SaveFrequency.parse("0")).option());
        assertEquals("saveFrequency", assertThrows(CheckpointConfigException.class,
                () -> SaveFrequency.parse("Epoch")).option());
    }

    @Test
    void onlyEpochSavingIsEpochLevel() {
        assertFalse(SaveFrequency.everyEpoch().batchLevel());
        assertTrue(SaveFrequency.everyBatches(1).batchLevel());
        assertTrue(SaveFrequency.every(Duration.ofSeconds(1)).batchLevel());
    }

    @Test
    void retentionRulesCombine() {
        Retention r = Retention.keepAll().withKeepBest(3).withKeepLast(2).withKeepEveryNthEpoch(10);
        assertEquals(new Retention(3, 2, 10), r);
        assertFalse(r.keepsAll());
        assertEquals("best:3,last:2,everyNthEpoch:10", r.describe());
        assertTrue(r.withKeepBest(null).withKeepLast(null).withKeepEveryNthEpoch(null).keepsAll());
        assertEquals("all", Retention.keepAll().describe());
    }

    @Test
    void counterFieldsAreEpochBatchAndStep() {
        assertTrue(TemplateValues.isCounter("epoch"));
        assertTrue(TemplateValues.isCounter("batch"));
        assertTrue(TemplateValues.isCounter("step"));
        assertFalse(TemplateValues.isCounter("loss"));
    }

    @Test
    void keepBestWithBatchLevelSavingNeedsATrainingMonitor() {
        CheckpointPolicy.Builder b = CheckpointPolicy.builder("ck/s{step}").saveFrequency(SaveFrequency.everyBatches(5))
                .retention(Retention.keepAll().withKeepBest(2));
        assertEquals("monitor", assertThrows(CheckpointConfigException.class, b::build).option());
        assertEquals("loss", b.monitor("loss").build().monitor().metric());
    }

    @Test
    void aValidationMonitorWithBatchLevelSavingIsFineWhenNothingRanksByIt() {
        CheckpointPolicy p = CheckpointPolicy.builder("ck/s{step}").saveFrequency(SaveFrequency.everyBatches(5))
                .build();
        assertEquals("val_loss", p.monitor().metric());
    }

    @Test
    void aFieldWhoseSpecCannotFormatItsValueIsRefused() {
        assertEquals("filepath", assertThrows(CheckpointConfigException.class,
                () -> CheckpointPolicy.builder("ck/{val_loss:d}").build()).option());
        assertEquals("filepath", assertThrows(CheckpointConfigException.class,
                () -> CheckpointPolicy.builder("ck/{epoch:.2s}").build()).option());
    }

    @Test
    void anInfiniteThresholdIsAllowed() {
        assertEquals(Double.POSITIVE_INFINITY,
                CheckpointPolicy.builder("ck").initialValueThreshold(Double.POSITIVE_INFINITY).build()
                        .initialValueThreshold());
    }

    @Test
    void retentionSummaryNamesEachRuleForPeople() {
        assertEquals("keep all", Retention.keepAll().summary());
        assertEquals("keep best 1, last 3", Retention.keepAll().withKeepBest(1).withKeepLast(3).summary());
        assertEquals("keep every 5th epoch", Retention.keepAll().withKeepEveryNthEpoch(5).summary());
    }

    // ---- Keras file suffixes ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "model_checkpoints/best_model.h5|.h5",
        "runs/e{epoch:02d}.hdf5|.hdf5",
        "runs/best.keras|.keras",
        "runs/e{epoch:02d}-{val_loss:.2f}.weights.h5|.weights.h5",
        "runs/BEST.H5|.H5",
    })
    void aKerasSuffixIsKeptAndReportedOnceByDefault(String filepath, String suffix) {
        CheckpointPolicy p = CheckpointPolicy.builder(filepath).build();
        assertEquals(KerasSuffix.WARN, p.kerasSuffix());
        assertEquals(filepath, p.filepath().source());
        assertEquals(1, p.warnings().size(), p.warnings().toString());
        assertTrue(p.warnings().get(0).contains("ends in \"" + suffix + "\""), p.warnings().get(0));
        assertTrue(p.warnings().get(0).contains("directories named \"" + filepath + "\""), p.warnings().get(0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "runs/e{epoch:02d}.keras|runs/e03",
        "runs/e{epoch:02d}.h5|runs/e03",
        "runs/e{epoch:02d}.hdf5|runs/e03",
        "runs/e{epoch:02d}.weights.h5|runs/e03",
        "runs/e{epoch:02d}.Keras|runs/e03",
    })
    void stripRemovesTheSuffixFromEveryFormattedPath(String filepath, String formatted) {
        CheckpointPolicy p = CheckpointPolicy.builder(filepath).kerasSuffix(KerasSuffix.STRIP).build();
        assertEquals(formatted, p.filepath().format(Map.of("epoch", 3)));
        assertEquals("runs", p.runDirectory());
        assertEquals(List.of(), p.warnings());
    }

    @Test
    void stripOnAFixedPathNamesTheCheckpointWithoutTheSuffix() {
        CheckpointPolicy p = CheckpointPolicy.builder("model_checkpoints/best_model.h5")
                .kerasSuffix(KerasSuffix.STRIP).saveBestOnly(true).build();
        assertEquals("model_checkpoints/best_model", p.filepath().source());
        assertEquals("best_model", p.pathInRun(p.filepath().format(Map.of())));
    }

    @ParameterizedTest
    @CsvSource({"runs/x/e{epoch:02d}", "runs/x/model.json", "runs/x/h5", "runs/x/e{epoch}.h5x", "runs/x/weights_h5"})
    void otherNamesGetNoWarningAndStripLeavesThemAlone(String filepath) {
        assertEquals(List.of(), CheckpointPolicy.builder(filepath).build().warnings());
        assertEquals(filepath, CheckpointPolicy.builder(filepath).kerasSuffix(KerasSuffix.STRIP).build().filepath().source());
    }

    @Test
    void toBuilderKeepsTheFilepathAsWrittenAndTheSuffixChoice() {
        CheckpointPolicy p = CheckpointPolicy.builder("runs/x.h5.h5").kerasSuffix(KerasSuffix.STRIP).build();
        CheckpointPolicy copy = p.toBuilder().build();
        assertEquals("runs/x.h5", copy.filepath().source(), "the suffix is stripped once, from the path as written");
        assertEquals(p, copy);
        assertEquals(KerasSuffix.STRIP, copy.kerasSuffix());
        assertNotEquals(p, p.toBuilder().kerasSuffix(KerasSuffix.WARN).build());
    }
}
