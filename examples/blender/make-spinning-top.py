# Builds examples/blender/spinning-top.blend: a small Cycles animation that `farm render` and the
# tests use. Run by scripts/setup.d/blender-example.sh as
#   blender -b --factory-startup --python make-spinning-top.py -- OUT.blend
# It is generated rather than committed because a .blend is a binary that git cannot review.
import math
import sys

import bpy

out = sys.argv[sys.argv.index("--") + 1]

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.frame_start = 1
scene.frame_end = 48
scene.render.fps = 24
scene.render.engine = "CYCLES"
scene.cycles.device = "CPU"
scene.cycles.samples = 16
scene.cycles.seed = 7
# Left on on purpose, as in a file saved from a desktop Blender: Debian's Blender has no
# OpenImageDenoise, and the adapter must notice and render without it.
scene.cycles.use_denoising = True
scene.render.resolution_x = 320
scene.render.resolution_y = 240
scene.render.resolution_percentage = 100
scene.render.image_settings.file_format = "PNG"

world = bpy.data.worlds.new("sky")
world.color = (0.05, 0.07, 0.12)
scene.world = world

bpy.ops.mesh.primitive_plane_add(size=20, location=(0, 0, 0))
floor = bpy.context.object
floor_mat = bpy.data.materials.new("floor")
floor_mat.diffuse_color = (0.8, 0.75, 0.6, 1)
floor_mat.use_nodes = True
floor_mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.8, 0.75, 0.6, 1)
floor.data.materials.append(floor_mat)

bpy.ops.mesh.primitive_cone_add(vertices=12, radius1=1, depth=2, location=(0, 0, 1.2), rotation=(math.pi, 0, 0))
top = bpy.context.object
top_mat = bpy.data.materials.new("top")
top_mat.use_nodes = True
top_mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.9, 0.2, 0.1, 1)
top.data.materials.append(top_mat)

top.rotation_euler = (math.pi, 0, 0)
top.location = (-2, 0, 1.2)
top.keyframe_insert("rotation_euler", frame=1)
top.keyframe_insert("location", frame=1)
top.rotation_euler = (math.pi + 0.2, 0, 4 * math.pi)
top.location = (2, 0, 1.2)
top.keyframe_insert("rotation_euler", frame=48)
top.keyframe_insert("location", frame=48)

bpy.ops.object.light_add(type="SUN", location=(4, -4, 8))
bpy.context.object.data.energy = 4
bpy.context.object.rotation_euler = (0.6, 0.3, 0.8)

bpy.ops.object.camera_add(location=(0, -12, 5), rotation=(math.radians(72), 0, 0))
scene.camera = bpy.context.object

bpy.ops.wm.save_as_mainfile(filepath=out)
