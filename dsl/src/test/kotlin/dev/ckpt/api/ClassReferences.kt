package dev.ckpt.api

import java.io.DataInputStream
import java.nio.file.Files
import java.nio.file.Path

/**
 * The classes, fields and methods a compiled class refers to, read from its constant pool: what it was compiled
 * against, whatever its source says.
 */
internal class ClassReferences private constructor(
    /** Binary names (`dev.ckpt.Ckpt$Options`) of every class named in the class file, also inside descriptors. */
    val classes: Set<String>,
    /** Field and method references. */
    val members: List<MemberRef>,
) {
    data class MemberRef(val owner: String, val name: String, val descriptor: String, val isField: Boolean)

    companion object {
        private val typeInDescriptor = Regex("L([^;<>]+)[;<]")

        fun of(classFile: Path): ClassReferences = DataInputStream(Files.newInputStream(classFile).buffered()).use { input ->
            check(input.readInt() == 0xCAFEBABE.toInt()) { "$classFile is not a class file" }
            input.readUnsignedShort()
            input.readUnsignedShort()
            val count = input.readUnsignedShort()
            val utf8 = arrayOfNulls<String>(count)
            val classIndex = IntArray(count)
            val refs = ArrayList<Triple<Int, Int, Boolean>>() // class index, name-and-type index, is field
            val nameAndType = HashMap<Int, Pair<Int, Int>>()
            var i = 1
            while (i < count) {
                when (val tag = input.readUnsignedByte()) {
                    1 -> utf8[i] = input.readUTF()
                    3, 4 -> input.readInt()
                    5, 6 -> { input.readLong(); i++ }
                    7 -> classIndex[i] = input.readUnsignedShort()
                    8, 16, 19, 20 -> input.readUnsignedShort()
                    9, 10, 11 -> refs += Triple(input.readUnsignedShort(), input.readUnsignedShort(), tag == 9)
                    12 -> nameAndType[i] = input.readUnsignedShort() to input.readUnsignedShort()
                    15 -> { input.readUnsignedByte(); input.readUnsignedShort() }
                    17, 18 -> { input.readUnsignedShort(); input.readUnsignedShort() }
                    else -> error("$classFile: unknown constant pool tag $tag")
                }
                i++
            }
            val classes = HashSet<String>()
            classIndex.filter { it != 0 }.map { utf8[it]!! }.forEach { name ->
                if (name.startsWith("[")) typeInDescriptor.findAll(name).forEach { classes += it.groupValues[1] } else classes += name
            }
            utf8.filterNotNull().forEach { text -> typeInDescriptor.findAll(text).forEach { classes += it.groupValues[1] } }
            val members = refs.map { (owner, nat, isField) ->
                val (name, descriptor) = nameAndType.getValue(nat)
                MemberRef(utf8[classIndex[owner]]!!.replace('/', '.'), utf8[name]!!, utf8[descriptor]!!, isField)
            }
            ClassReferences(classes.map { it.replace('/', '.') }.toSet(), members)
        }
    }
}
