package dev.ckpt.apidump;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A module's public API as text, for the API dump tests: one line per public class and per public or protected
 * member, sorted, each starting with the owner's binary name.
 *
 * <pre>{@code
 * dev.ckpt.core.policy.Retention : public final class
 * dev.ckpt.core.policy.Retention public static dev.ckpt.core.policy.Retention keepAll()
 * }</pre>
 *
 * <p>Test support shared by every published module (the parent pom adds this directory to their test sources);
 * it is not part of any artifact. It reads compiled classes through reflection, so it sees what a Java caller
 * sees; a {@link Visibility} narrows that further (Kotlin's {@code internal} compiles to public bytecode). It
 * does not judge compatibility: a changed line is for a reviewer to read.
 */
public final class ApiDump {
    /** The system property that makes {@link #check} rewrite the committed dump instead of failing. */
    public static final String UPDATE_PROPERTY = "ckpt.api.update";

    /** Decides which compiled classes and members are API. */
    public interface Visibility {
        boolean isApi(Class<?> type);

        boolean isApi(Member member);
    }

    /**
     * Java's rules: public classes (nested ones inside API classes, public or protected), and their public
     * members, plus protected members of classes a caller can extend; never synthetic or bridge members.
     */
    public static final Visibility JAVA = new Visibility() {
        @Override
        public boolean isApi(Class<?> type) {
            if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
                return false;
            }
            Class<?> outer = type.getDeclaringClass();
            if (outer == null) {
                return Modifier.isPublic(type.getModifiers());
            }
            return isApi(outer) && (Modifier.isPublic(type.getModifiers()) || Modifier.isProtected(type.getModifiers()));
        }

        @Override
        public boolean isApi(Member member) {
            if (member.isSynthetic() || member instanceof Method && ((Method) member).isBridge()) {
                return false;
            }
            int mods = member.getModifiers();
            Class<?> owner = member.getDeclaringClass();
            return Modifier.isPublic(mods) || Modifier.isProtected(mods) && !Modifier.isFinal(owner.getModifiers());
        }
    };

    private ApiDump() {
    }

    /** The sorted dump of every class compiled into {@code classesDirectory}, loaded without initialization. */
    public static List<String> of(Path classesDirectory, Visibility visibility) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        TreeSet<String> lines = new TreeSet<>();
        for (String name : classNames(classesDirectory)) {
            Class<?> type;
            try {
                type = Class.forName(name, false, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("class file of " + name + " is not on the test class path", e);
            }
            if (!visibility.isApi(type)) {
                continue;
            }
            lines.add(header(type));
            for (Member member : members(type)) {
                if (visibility.isApi(member)) {
                    lines.add(line(member));
                }
            }
        }
        return new ArrayList<>(lines);
    }

    /** The binary names of the classes under {@code classesDirectory}. */
    public static List<String> classNames(Path classesDirectory) throws IOException {
        try (Stream<Path> files = Files.walk(classesDirectory)) {
            return files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classesDirectory.relativize(p).toString())
                    .filter(name -> !name.equals("module-info.class") && !name.endsWith("package-info.class"))
                    .map(name -> name.substring(0, name.length() - ".class".length()).replace('/', '.').replace('\\', '.'))
                    .sorted()
                    .collect(Collectors.toList());
        }
    }

    /** A class's line: {@code owner : modifiers kind [<type-parameters>] [extends ...] [implements ...]}. */
    public static String header(Class<?> type) {
        int mask = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL | Modifier.ABSTRACT;
        String kind;
        if (type.isAnnotation()) {
            kind = "@interface";
            mask &= ~(Modifier.ABSTRACT | Modifier.STATIC);
        } else if (type.isInterface()) {
            kind = "interface";
            mask &= ~(Modifier.ABSTRACT | Modifier.STATIC);
        } else if (type.isEnum()) {
            kind = "enum";
            mask &= ~(Modifier.FINAL | Modifier.STATIC);
        } else if (type.isRecord()) {
            kind = "record";
            mask &= ~(Modifier.FINAL | Modifier.STATIC);
        } else {
            kind = "class";
        }
        StringBuilder line = new StringBuilder(type.getName()).append(" : ");
        String mods = Modifier.toString(type.getModifiers() & mask);
        line.append(mods.isEmpty() ? "" : mods + " ").append(kind);
        TypeVariable<?>[] typeParameters = type.getTypeParameters();
        if (typeParameters.length > 0) {
            line.append(" <").append(Arrays.stream(typeParameters).map(ApiDump::typeParameter).collect(Collectors.joining(", "))).append('>');
        }
        Type superclass = type.getGenericSuperclass();
        if (superclass != null && !type.isEnum() && !type.isRecord() && superclass != Object.class) {
            line.append(" extends ").append(name(superclass));
        }
        List<Type> interfaces = Arrays.stream(type.getGenericInterfaces())
                .filter(i -> i != java.lang.annotation.Annotation.class)
                .collect(Collectors.toList());
        if (!interfaces.isEmpty()) {
            line.append(type.isInterface() ? " extends " : " implements ")
                    .append(interfaces.stream().map(ApiDump::name).collect(Collectors.joining(", ")));
        }
        return line.toString();
    }

    /** A member's line: {@code owner modifiers [type-parameters] type name(parameters) [throws ...]}. */
    public static String line(Member member) {
        StringBuilder line = new StringBuilder(member.getDeclaringClass().getName()).append(' ');
        int mask = Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL | Modifier.ABSTRACT;
        if (member.getDeclaringClass().isInterface()) {
            mask &= ~Modifier.ABSTRACT;
        }
        line.append(Modifier.toString(member.getModifiers() & mask));
        if (member instanceof Method && ((Method) member).isDefault()) {
            line.append(" default");
        }
        if (member instanceof Field) {
            Field field = (Field) member;
            return line.append(' ').append(name(field.getGenericType())).append(' ').append(field.getName()).toString();
        }
        Executable executable = (Executable) member;
        TypeVariable<?>[] typeParameters = executable.getTypeParameters();
        if (typeParameters.length > 0) {
            line.append(" <").append(Arrays.stream(typeParameters).map(ApiDump::typeParameter).collect(Collectors.joining(", "))).append('>');
        }
        if (executable instanceof Method) {
            line.append(' ').append(name(((Method) executable).getGenericReturnType())).append(' ').append(executable.getName());
        } else {
            line.append(' ').append("<init>");
        }
        // Generic parameter types leave out the synthetic ones (an inner class's outer instance); plain types do not.
        Type[] parameters = executable.getGenericParameterTypes();
        List<String> names = Arrays.stream(parameters).map(ApiDump::name).collect(Collectors.toCollection(ArrayList::new));
        if (executable.isVarArgs() && !names.isEmpty()) {
            String last = names.get(names.size() - 1);
            names.set(names.size() - 1, last.substring(0, last.length() - 2) + "...");
        }
        line.append('(').append(String.join(", ", names)).append(')');
        Type[] exceptions = executable.getGenericExceptionTypes();
        if (exceptions.length > 0) {
            line.append(" throws ").append(Arrays.stream(exceptions).map(ApiDump::name).collect(Collectors.joining(", ")));
        }
        return line.toString();
    }

    /** The JVM descriptor of a method or constructor ({@code (Ljava/lang/String;)V}) or a field. */
    public static String descriptor(Member member) {
        if (member instanceof Field) {
            return descriptor(((Field) member).getType());
        }
        Executable executable = (Executable) member;
        StringBuilder d = new StringBuilder("(");
        for (Class<?> p : executable.getParameterTypes()) {
            d.append(descriptor(p));
        }
        d.append(')');
        d.append(executable instanceof Method ? descriptor(((Method) executable).getReturnType()) : "V");
        return d.toString();
    }

    private static String descriptor(Class<?> type) {
        if (type.isArray()) {
            return "[" + descriptor(type.getComponentType());
        }
        if (!type.isPrimitive()) {
            return "L" + type.getName().replace('.', '/') + ";";
        }
        switch (type.getName()) {
            case "boolean": return "Z";
            case "byte": return "B";
            case "char": return "C";
            case "short": return "S";
            case "int": return "I";
            case "long": return "J";
            case "float": return "F";
            case "double": return "D";
            default: return "V";
        }
    }

    /**
     * Compares {@code dump} with the committed file. With {@code -Dckpt.api.update=true} the file is rewritten
     * instead; otherwise a difference fails with the lines that went and came, and {@code updateCommand}.
     */
    public static void check(Path committed, List<String> dump, String updateCommand) throws IOException {
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.createDirectories(committed.toAbsolutePath().getParent());
            Files.write(committed, dump, StandardCharsets.UTF_8);
            return;
        }
        List<String> expected = Files.exists(committed) ? Files.readAllLines(committed, StandardCharsets.UTF_8) : List.of();
        if (expected.equals(dump)) {
            return;
        }
        StringBuilder message = new StringBuilder("The public API differs from ").append(committed)
                .append(Files.exists(committed) ? "" : " (missing)").append(":\n");
        TreeSet<String> gone = new TreeSet<>(expected);
        dump.forEach(gone::remove);
        TreeSet<String> added = new TreeSet<>(dump);
        expected.forEach(added::remove);
        gone.forEach(l -> message.append("- ").append(l).append('\n'));
        added.forEach(l -> message.append("+ ").append(l).append('\n'));
        if (gone.isEmpty() && added.isEmpty()) {
            message.append("(same lines, but the file is not sorted or has duplicates)\n");
        }
        message.append("If the change is intended, update the dump and commit it:\n  ").append(updateCommand);
        throw new AssertionError(message.toString());
    }

    private static List<Member> members(Class<?> type) {
        List<Member> members = new ArrayList<>();
        members.addAll(Arrays.asList(type.getDeclaredConstructors()));
        members.addAll(Arrays.asList(type.getDeclaredMethods()));
        members.addAll(Arrays.asList(type.getDeclaredFields()));
        return members;
    }

    private static String typeParameter(TypeVariable<?> variable) {
        List<String> bounds = Arrays.stream(variable.getBounds()).filter(b -> b != Object.class).map(ApiDump::name)
                .collect(Collectors.toList());
        return bounds.isEmpty() ? variable.getName() : variable.getName() + " extends " + String.join(" & ", bounds);
    }

    /** Type names as Java writes them, without the {@code java.lang.} of its own classes. */
    private static String name(Type type) {
        return type.getTypeName().replaceAll("\\bjava\\.lang\\.(?=[A-Z])", "");
    }
}
