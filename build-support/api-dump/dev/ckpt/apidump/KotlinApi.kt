package dev.ckpt.apidump

import dev.ckpt.InternalCkptApi
import java.lang.reflect.AnnotatedElement
import java.lang.reflect.Constructor
import java.lang.reflect.Field
import java.lang.reflect.Member
import java.lang.reflect.Method
import kotlin.metadata.KmDeclarationContainer
import kotlin.metadata.KmProperty
import kotlin.metadata.Visibility
import kotlin.metadata.jvm.KotlinClassMetadata
import kotlin.metadata.jvm.fieldSignature
import kotlin.metadata.jvm.getterSignature
import kotlin.metadata.jvm.setterSignature
import kotlin.metadata.jvm.signature
import kotlin.metadata.jvm.syntheticMethodForAnnotations
import kotlin.metadata.visibility

/**
 * What a Kotlin module's callers can use: Java's rules, minus what Kotlin declares `internal` or `private` (both
 * can compile to public bytecode: internal classes, internal constructors, mangled `name$module` members, the
 * `Companion` field of an internal companion). The compiler's own record, the `@Metadata` annotation, says which.
 * What carries [InternalCkptApi] (public, for ckpt's other modules) is left out too.
 */
internal object KotlinApi : ApiDump.Visibility {
    private val visible = setOf(Visibility.PUBLIC, Visibility.PROTECTED)
    private val hiddenByClass = HashMap<Class<*>, Set<String>>()

    override fun isApi(type: Class<*>): Boolean {
        if (!ApiDump.JAVA.isApi(type)) return false
        if (type.isAnnotationPresent(InternalCkptApi::class.java)) return false
        // Kotlin records a nested class's visibility inside its container: a public class in an internal one is hidden.
        if (type.declaringClass?.let(::isApi) == false) return false
        return when (val metadata = metadata(type)) {
            null -> true // a Java class: Java's rules are the whole story
            is KotlinClassMetadata.Class -> metadata.kmClass.visibility in visible
            // The class of a file's top-level declarations: API when one of them is.
            is KotlinClassMetadata.FileFacade ->
                (type.declaredMethods.asSequence() + type.declaredFields.asSequence()).any(::isApi)
            else -> false // lambdas, `when` mappings, multi-file parts: never API
        }
    }

    override fun isApi(member: Member): Boolean =
        ApiDump.JAVA.isApi(member) && !(member as AnnotatedElement).isAnnotationPresent(InternalCkptApi::class.java) &&
            signature(member) !in hidden(member.declaringClass)

    /** The JVM signatures of [type]'s members that Kotlin declares non-public. */
    private fun hidden(type: Class<*>): Set<String> = hiddenByClass.getOrPut(type) {
        when (val metadata = metadata(type)) {
            is KotlinClassMetadata.Class -> {
                val kmClass = metadata.kmClass
                val companion = kmClass.companionObject?.let { name ->
                    val companionType = Class.forName("${type.name}\$$name", false, type.classLoader)
                    if (isApi(companionType)) null else name + ":" + ApiDump.descriptor(type.getDeclaredField(name))
                }
                hidden(kmClass, type) + kmClass.constructors.filter { it.visibility !in visible }.mapNotNull { it.signature?.toString() } +
                    listOfNotNull(companion)
            }
            is KotlinClassMetadata.FileFacade -> hidden(metadata.kmPackage, type)
            else -> emptySet()
        }
    }

    private fun hidden(container: KmDeclarationContainer, type: Class<*>): Set<String> = buildSet {
        container.functions.filter { it.visibility !in visible }.forEach { it.signature?.let { s -> add(s.toString()) } }
        for (property in container.properties) {
            if (property.visibility !in visible || isInternalApi(property, type)) {
                listOfNotNull(property.getterSignature, property.setterSignature).forEach { add(it.toString()) }
                property.fieldSignature?.let { add(it.name + ":" + it.descriptor) }
            } else if (property.setter?.visibility?.let { it !in visible } == true) {
                property.setterSignature?.let { add(it.toString()) }
            }
        }
    }

    /** A property's annotations live on a synthetic method of its own (`name$annotations`), not on its getter or field. */
    private fun isInternalApi(property: KmProperty, type: Class<*>): Boolean {
        val holder = property.syntheticMethodForAnnotations ?: return false
        return type.declaredMethods.any {
            it.name == holder.name && ApiDump.descriptor(it) == holder.descriptor && it.isAnnotationPresent(InternalCkptApi::class.java)
        }
    }

    private fun signature(member: Member): String = when (member) {
        is Field -> member.name + ":" + ApiDump.descriptor(member)
        is Constructor<*> -> "<init>" + ApiDump.descriptor(member)
        is Method -> member.name + ApiDump.descriptor(member)
        else -> error("unexpected member $member")
    }

    private fun metadata(type: Class<*>): KotlinClassMetadata? =
        type.getAnnotation(Metadata::class.java)?.let { KotlinClassMetadata.readStrict(it) }
}
