package dev.ckpt.core.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties that hold for every value, checked on random inputs. */
class PathTemplatePropertiesTest {
    private static final PathTemplate BARE = PathTemplate.compile("{x}");

    @Provide
    Arbitrary<Double> finiteDoubles() {
        return Arbitraries.longs().map(Double::longBitsToDouble).filter(Double::isFinite);
    }

    @Property(tries = 2000)
    void bareFloatReadsBackToTheSameDouble(@ForAll("finiteDoubles") double x) {
        String text = BARE.format(Map.of("x", x));
        assertEquals(Double.doubleToLongBits(x), Double.doubleToLongBits(Double.parseDouble(text)), text);
    }

    @Property(tries = 2000)
    void bareFloatHasNoMoreDigitsThanJava(@ForAll("finiteDoubles") double x) {
        String ours = BARE.format(Map.of("x", x));
        int ourDigits = significantDigits(ours);
        int javaDigits = significantDigits(Double.toString(x));
        assertEquals(true, ourDigits <= Math.max(javaDigits, 1), ours + " vs " + Double.toString(x));
    }

    @Property(tries = 1000)
    void fixedPrecisionIsTheExactValueRoundedHalfEven(@ForAll("finiteDoubles") double x,
                                                     @ForAll @IntRange(min = 0, max = 20) int precision) {
        String expected = new BigDecimal(x).setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
        if (x < 0 || (x == 0 && 1 / x < 0)) {
            expected = expected.startsWith("-") ? expected : "-" + expected;
        }
        String got = PathTemplate.compile("{x:." + precision + "f}").format(Map.of("x", x));
        assertEquals(expected, got);
    }

    @Property(tries = 500)
    void fieldNamesListExactlyTheFieldsInOrder(@ForAll @Size(min = 1, max = 6) List<@From("names") String> names) {
        StringBuilder template = new StringBuilder("run/");
        for (String name : names) {
            template.append('{').append(name).append("}-");
        }
        List<String> expected = new ArrayList<>(new LinkedHashSet<>(names));
        assertEquals(expected, PathTemplate.compile(template.toString()).fieldNames());
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars('_').ofMinLength(1).ofMaxLength(8);
    }

    @Property(tries = 1000)
    void integersFormatAsJavaDoesWithoutASpec(@ForAll long v) {
        assertEquals(Long.toString(v), BARE.format(Map.of("x", v)));
    }

    @Property(tries = 1000)
    void hexOfAnIntegerMatchesJavaWithSign(@ForAll long v) {
        String magnitude = v < 0 ? Long.toUnsignedString(-v, 16) : Long.toString(v, 16);
        assertEquals((v < 0 ? "-0x" : "0x") + magnitude, PathTemplate.compile("{x:#x}").format(Map.of("x", v)));
    }

    private static int significantDigits(String text) {
        String mantissa = text.toLowerCase().split("e")[0].replace("-", "").replace(".", "");
        mantissa = mantissa.replaceAll("^0+", "").replaceAll("0+$", "");
        return mantissa.length();
    }
}
