# Builds the .blend fixtures of test/integration/farm-assets.test.ts. Run as
#   blender -b --factory-startup --python blender-assets.py -- MODE ARGS...
#   image OUT.png,R,G,B ...        8x8 PNGs of one colour each
#   project OUT.blend TEX.png ...  a camera, a sun and one cube per texture, side by side
#   library OUT.blend TEX.png      a collection "props" holding a sphere textured with TEX
#   link SCENE.blend LIB.blend     adds an instance of LIB's "props" to SCENE (saved in place)
#   tiles OUT.blend SEQ.png UDIM.png  a cube using an image sequence (from SEQ, its first frame)
#                                     and UDIM tiles (from UDIM, its tile 1001)
# Paths are saved relative, as Blender does by default (//../../outside/abs.png).
import sys

import bpy

mode, *args = sys.argv[sys.argv.index("--") + 1 :]


def textured(name, tex):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    node = mat.node_tree.nodes.new("ShaderNodeTexImage")
    node.image = bpy.data.images.load(tex, check_existing=False)
    node.interpolation = "Closest"
    mat.node_tree.links.new(node.outputs["Color"], mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"])
    return mat


def save(out):
    bpy.ops.wm.save_as_mainfile(filepath=out, relative_remap=True)


if mode == "image":
    for spec in args:
        path, r, g, b = spec.split(",")
        image = bpy.data.images.new("t", 8, 8)
        image.pixels = [float(r), float(g), float(b), 1.0] * 64
        image.filepath_raw = path
        image.file_format = "PNG"
        image.save()
elif mode == "project":
    out, *textures = args
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.samples = 4
    scene.cycles.seed = 3
    scene.cycles.use_denoising = False
    scene.frame_start, scene.frame_end = 1, 2
    camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    camera.location = (0, -7, 3)
    camera.rotation_euler = (1.15, 0, 0)
    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    scene.collection.objects.link(sun)
    for i, tex in enumerate(textures):
        bpy.ops.mesh.primitive_cube_add(location=(i * 2.5 - 1.25 * (len(textures) - 1), 0, 0))
        bpy.context.object.data.materials.append(textured(f"m{i}", tex))
    save(out)
elif mode == "library":
    out, tex = args
    bpy.ops.wm.read_factory_settings(use_empty=True)
    props = bpy.data.collections.new("props")
    bpy.context.scene.collection.children.link(props)
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.8, location=(0, 0, 1.6))
    sphere = bpy.context.object
    for collection in sphere.users_collection:
        collection.objects.unlink(sphere)
    props.objects.link(sphere)
    sphere.data.materials.append(textured("library", tex))
    save(out)
elif mode == "link":
    scene_file, library = args
    with bpy.data.libraries.load(library, link=True, relative=True) as (source, target):
        target.collections = ["props"]
    instance = bpy.data.objects.new("props", None)
    instance.instance_type = "COLLECTION"
    instance.instance_collection = target.collections[0]
    bpy.context.scene.collection.objects.link(instance)
    save(scene_file)
elif mode == "tiles":
    out, first, tile = args
    bpy.ops.wm.read_factory_settings(use_empty=True)
    mat = bpy.data.materials.new("tiles")
    mat.use_nodes = True
    sequence = bpy.data.images.load(first)
    sequence.source = "SEQUENCE"
    udim = bpy.data.images.load(tile)
    udim.source = "TILED"
    for image in (sequence, udim):
        mat.node_tree.nodes.new("ShaderNodeTexImage").image = image
    bpy.ops.mesh.primitive_cube_add()
    bpy.context.object.data.materials.append(mat)
    save(out)
