package dev.ckpt.api

import dev.ckpt.CheckpointCallback
import dev.ckpt.CheckpointOptions
import dev.ckpt.apidump.ApiDump
import dev.ckpt.apidump.KotlinApi
import dev.ckpt.CorruptRunException
import dev.ckpt.storage.Manifest
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunWriter
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import java.lang.reflect.Member
import java.lang.reflect.Modifier
import java.nio.file.Files
import java.nio.file.Path

/**
 * The public API of ckpt-dsl is what `dsl/api/ckpt-dsl.api` lists (Kotlin's `internal` excluded), and the Java
 * API test compiles against nothing else.
 */
class PublicApiSpec : FunSpec({
    val dump = Path.of("api/ckpt-dsl.api")
    val coreDump = Path.of("../core/api/ckpt-core.api")
    val update = "mvn -B -pl dsl -am test -Dtest=PublicApiSpec -Dsurefire.failIfNoSpecifiedTests=false -Dckpt.api.update=true"
    val mainClasses = locationOf(CheckpointCallback::class.java)

    test("the public API matches the committed dump") {
        ApiDump.check(dump, ApiDump.of(mainClasses, KotlinApi), update)
    }

    test("internal declarations stay out of the dump though their bytecode is public") {
        Modifier.isPublic(RunWriter::class.java.modifiers) shouldBe true
        KotlinApi.isApi(RunWriter::class.java) shouldBe false
        KotlinApi.isApi(CheckpointOptions::class.java.getConstructor(String::class.java)) shouldBe false
        KotlinApi.isApi(CheckpointOptions::class.java.getMethod("setResume", Boolean::class.javaPrimitiveType)) shouldBe true
        KotlinApi.isApi(Class.forName("dev.ckpt.storage.RunWriter\$Companion")) shouldBe false // public, inside an internal class
        KotlinApi.isApi(Class.forName("dev.ckpt.storage.FormatsKt")) shouldBe false // only internal top-level functions
        KotlinApi.isApi(Class.forName("dev.ckpt.Ckpt")) shouldBe true // checkpoint(path, Consumer)
    }

    test("Java sees one checkpoint entry point, taking a Consumer; Kotlin's block form is synthetic to Java") {
        val entries = Class.forName("dev.ckpt.Ckpt").declaredMethods.filter { it.name == "checkpoint" }
        entries.filter { KotlinApi.isApi(it) }.map { it.parameterTypes.toList() } shouldBe
            listOf(listOf(String::class.java, java.util.function.Consumer::class.java))
        entries.filter { it.parameterTypes.last() == Function1::class.java }.map { it.isSynthetic } shouldBe listOf(true)
    }

    test("InternalCkptApi declarations, public for ckpt-s3, stay out of the dump") {
        Modifier.isPublic(RunStore::class.java.modifiers) shouldBe true
        KotlinApi.isApi(RunStore::class.java) shouldBe false
        KotlinApi.isApi(Manifest::class.java) shouldBe false
        val constructor = CorruptRunException::class.java.getConstructor(String::class.java, String::class.java, Throwable::class.java)
        Modifier.isPublic(constructor.modifiers) shouldBe true
        KotlinApi.isApi(constructor) shouldBe false
        KotlinApi.isApi(CorruptRunException::class.java.getMethod("getProblem")) shouldBe true
        KotlinApi.isApi(Class.forName("dev.ckpt.ExceptionsKt")) shouldBe false // runTakenOver
        val constants = Class.forName("dev.ckpt.storage.FormatsKt")
        Modifier.isPublic(constants.getField("MANIFEST_FILE").modifiers) shouldBe true
        KotlinApi.isApi(constants.getField("MANIFEST_FILE")) shouldBe false // a const val: its annotation is on a synthetic method
    }

    test("JavaApiTest refers only to classes and members listed in the dumps") {
        val listed = (Files.readAllLines(dump) + Files.readAllLines(coreDump)).toSet()
        val testClasses = locationOf(PublicApiSpec::class.java)
        val refs = ClassReferences.of(testClasses.resolve("dev/ckpt/JavaApiTest.class"))
        val loader = PublicApiSpec::class.java.classLoader
        fun mainClass(name: String): Class<*>? = if (!name.startsWith("dev.ckpt.")) null else
            Class.forName(name, false, loader).takeIf { locationOf(it) != testClasses }

        val unlisted = ArrayList<String>()
        refs.classes.mapNotNull(::mainClass).forEach { type ->
            if (ApiDump.header(type) !in listed) unlisted += "class ${type.name}"
        }
        refs.members.forEach { ref ->
            val owner = mainClass(ref.owner) ?: return@forEach
            val member = resolve(owner, ref) ?: error("$ref: no such member in ${owner.name}")
            if (member.declaringClass.name.startsWith("dev.ckpt.") && ApiDump.line(member) !in listed) {
                unlisted += ApiDump.line(member)
            }
        }
        withClue("JavaApiTest compiles against these, which the API dumps do not list") { unlisted.shouldBeEmpty() }
    }
})

private fun locationOf(type: Class<*>): Path = Path.of(type.protectionDomain.codeSource.location.toURI())

/** The member [ref] names, declared by [owner] or inherited, as the JVM resolves it (enough for this check). */
private fun resolve(owner: Class<*>, ref: ClassReferences.MemberRef): Member? {
    val candidates = generateSequence(owner) { it.superclass } + owner.interfaces.asSequence()
    return candidates.flatMap { type ->
        if (ref.isField) type.declaredFields.asSequence()
        else type.declaredMethods.asSequence() + type.declaredConstructors.asSequence()
    }.firstOrNull { member ->
        val name = if (member is java.lang.reflect.Constructor<*>) "<init>" else member.name
        name == ref.name && ApiDump.descriptor(member) == ref.descriptor
    }
}
