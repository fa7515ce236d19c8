package dev.ckpt.core.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Python-style text of a double for templates ({@code {val_loss:.4f}}, {@code {x}}): CPython's
 * {@code PyOS_double_to_string} for the codes e, f, g and r (repr): digits are rounded
 * half-even on the exact binary value, and repr uses the shortest digit string that reads back to
 * the same double. (Not the variable files' float text: that is {@code dev.ckpt.kotlindl.FloatText} in dsl,
 * which prints Java's {@code Float.toString}.)
 */
final class PythonFloatFormat {
    private PythonFloatFormat() {
    }

    /** Decimal digits without trailing zeros (at least one digit) and the decimal point position. */
    private static final class Digits {
        final String digits;
        final int decpt;

        Digits(String digits, int decpt) {
            this.digits = digits;
            this.decpt = decpt;
        }

        static Digits of(BigDecimal rounded) {
            if (rounded.signum() == 0) {
                return new Digits("0", 1);
            }
            String unscaled = rounded.unscaledValue().toString();
            int decpt = unscaled.length() - rounded.scale();
            int end = unscaled.length();
            while (end > 1 && unscaled.charAt(end - 1) == '0') {
                end--;
            }
            return new Digits(unscaled.substring(0, end), decpt);
        }
    }

    /** Python's {@code repr(float)}. */
    static String repr(double value) {
        return toText(value, 'r', 0, false, false, true, false);
    }

    /**
     * @param code      'e', 'f', 'g' or 'r'
     * @param precision digits after the point (e, f) or significant digits (g); ignored for r
     */
    static String toText(double value, int code, int precision, boolean upper, boolean alternate,
                         boolean addDotZero, boolean noNegativeZero) {
        if (Double.isNaN(value)) {
            return upper ? "NAN" : "nan";
        }
        boolean negative = (Double.doubleToRawLongBits(value) & Long.MIN_VALUE) != 0;
        if (Double.isInfinite(value)) {
            return (negative ? "-" : "") + (upper ? "INF" : "inf");
        }
        BigDecimal exact = new BigDecimal(Math.abs(value));
        Digits d;
        switch (code) {
            case 'e':
                d = Digits.of(exact.round(new MathContext(precision + 1, RoundingMode.HALF_EVEN)));
                precision = precision + 1;
                break;
            case 'f':
                d = Digits.of(exact.setScale(precision, RoundingMode.HALF_EVEN));
                break;
            case 'g':
                if (precision == 0) {
                    precision = 1;
                }
                d = Digits.of(exact.round(new MathContext(precision, RoundingMode.HALF_EVEN)));
                break;
            default:
                d = shortest(Math.abs(value), exact);
                break;
        }
        if (negative && noNegativeZero && d.digits.equals("0")) {
            negative = false;
        }
        return render(negative, d, code, precision, upper, alternate, addDotZero);
    }

    /**
     * Python's repr digits: the shortest digit string that reads back to {@code magnitude}, the closest
     * one when several have that length. A round-tripping string of n digits implies one of n + 1, so the
     * search walks down from the length of Java's own (round-tripping, sometimes one digit longer) output.
     */
    private static Digits shortest(double magnitude, BigDecimal exact) {
        if (magnitude == 0) {
            return new Digits("0", 1);
        }
        int n = Math.min(17, Math.max(1, significantDigits(Double.toString(magnitude))));
        Digits best = closestRoundTrip(magnitude, exact, n);
        if (best == null) {
            return Digits.of(exact.round(new MathContext(17, RoundingMode.HALF_EVEN)));
        }
        while (n > 1) {
            Digits shorter = closestRoundTrip(magnitude, exact, n - 1);
            if (shorter == null) {
                break;
            }
            best = shorter;
            n--;
        }
        return best;
    }

    /** The n-digit neighbour of {@code exact} that reads back to {@code magnitude} (closest wins), or null. */
    private static Digits closestRoundTrip(double magnitude, BigDecimal exact, int n) {
        BigDecimal down = exact.round(new MathContext(n, RoundingMode.DOWN));
        BigDecimal up = exact.round(new MathContext(n, RoundingMode.UP));
        boolean downOk = Double.parseDouble(down.toString()) == magnitude;
        boolean upOk = Double.parseDouble(up.toString()) == magnitude;
        if (downOk && upOk) {
            int cmp = exact.subtract(down).compareTo(up.subtract(exact));
            if (cmp == 0) {
                return Digits.of(exact.round(new MathContext(n, RoundingMode.HALF_EVEN)));
            }
            return Digits.of(cmp < 0 ? down : up);
        }
        if (downOk) {
            return Digits.of(down);
        }
        return upOk ? Digits.of(up) : null;
    }

    private static int significantDigits(String javaText) {
        int first = -1;
        int last = -1;
        int count = 0;
        for (int i = 0; i < javaText.length(); i++) {
            char c = javaText.charAt(i);
            if (c == 'E') {
                break;
            }
            if (c >= '0' && c <= '9') {
                if (c != '0' && first < 0) {
                    first = count;
                }
                if (c != '0') {
                    last = count;
                }
                count++;
            }
        }
        return first < 0 ? 1 : last - first + 1;
    }

    /** CPython's {@code format_float_short} layout of digits, decimal point, padding zeros and exponent. */
    private static String render(boolean negative, Digits d, int code, int precision, boolean upper,
                                 boolean alternate, boolean addDotZero) {
        String digits = d.digits;
        int len = digits.length();
        int decpt = d.decpt;
        boolean useExp = false;
        long vEnd = len;
        switch (code) {
            case 'e':
                useExp = true;
                vEnd = precision;
                break;
            case 'f':
                vEnd = (long) decpt + precision;
                break;
            case 'g':
                if (decpt <= -4 || decpt > (addDotZero ? precision - 1 : precision)) {
                    useExp = true;
                }
                if (alternate) {
                    vEnd = precision;
                }
                break;
            default:
                useExp = decpt <= -4 || decpt > 16;
                break;
        }
        int exp = 0;
        if (useExp) {
            exp = decpt - 1;
            decpt = 1;
        }
        long vStart = decpt <= 0 ? decpt - 1 : 0;
        if (!useExp && addDotZero) {
            vEnd = Math.max(vEnd, decpt + 1L);
        } else {
            vEnd = Math.max(vEnd, decpt);
        }
        StringBuilder sb = new StringBuilder();
        if (negative) {
            sb.append('-');
        }
        if (decpt <= 0) {
            NumberLayout.repeat(sb, '0', decpt - vStart);
            sb.append('.');
            NumberLayout.repeat(sb, '0', -decpt);
        } else {
            NumberLayout.repeat(sb, '0', -vStart);
        }
        if (0 < decpt && decpt <= len) {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, len);
        } else {
            sb.append(digits);
        }
        if (len < decpt) {
            NumberLayout.repeat(sb, '0', decpt - len);
            sb.append('.');
            NumberLayout.repeat(sb, '0', vEnd - decpt);
        } else {
            NumberLayout.repeat(sb, '0', vEnd - len);
        }
        if (sb.charAt(sb.length() - 1) == '.' && !alternate) {
            sb.setLength(sb.length() - 1);
        }
        if (useExp) {
            sb.append(upper ? 'E' : 'e').append(exp < 0 ? '-' : '+');
            int abs = Math.abs(exp);
            if (abs < 10) {
                sb.append('0');
            }
            sb.append(abs);
        }
        return sb.toString();
    }
}
