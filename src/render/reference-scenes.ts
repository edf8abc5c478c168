// The fixed scenes `farm bench` renders. They are part of the definition of a work unit: change
// a single character and every WUPM measured before stops being comparable. To change them,
// add new ones with a new version tag and new reference times instead.

export const REFERENCE_VERSION = 'ref-v1'

/** Reflections, an area light and a checker floor: the usual costs of a POV-Ray scene. */
export const POVRAY_REFERENCE = `#version 3.7;
global_settings { assumed_gamma 1.0 max_trace_level 6 }
camera { location <0, 4.5 - 1.5 * clock, -11> rotate y * 90 * clock look_at <0, 0.8, 0> angle 48 }
light_source { <-8, 12, -10> rgb 1.1 area_light <2, 0, 0>, <0, 0, 2>, 3, 3 adaptive 1 }
light_source { <9, 6, -4> rgb 0.35 shadowless }
sky_sphere { pigment { gradient y color_map { [0 rgb <0.6, 0.7, 0.9>] [1 rgb <0.1, 0.2, 0.5>] } } }
plane { y, 0 pigment { checker rgb <0.9, 0.85, 0.7> rgb <0.25, 0.3, 0.35> scale 1.5 }
  finish { reflection { 0.1 } ambient 0.05 diffuse 0.8 } }
sphere { <0, 1.6, 0>, 1.6 pigment { rgb <0.85, 0.88, 0.9> }
  finish { reflection { 0.55 } specular 0.8 roughness 0.01 ambient 0 diffuse 0.3 } }
#declare I = 0;
#while (I < 5)
  #declare A = 360 * (clock + I / 5);
  sphere { <(3.2 + 0.5 * I) * cos(radians(A)), 0.6 + 0.5 * abs(sin(radians(A * 2 + I * 40))), (3.2 + 0.5 * I) * sin(radians(A))>,
    0.45 + 0.06 * I pigment { rgb <0.3 + 0.15 * I, 0.9 - 0.15 * I, 0.5> }
    finish { specular 0.5 roughness 0.02 reflection { 0.15 } ambient 0.05 } }
  #declare I = I + 1;
#end
`

/**
 * Builds and saves the Blender reference file: Cycles on the CPU with a fixed seed and sample
 * count, denoising off so every build of Blender renders the same work.
 */
export const BLENDER_REFERENCE_BUILDER = `import math, sys
import bpy
out = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
s = bpy.context.scene
s.frame_start, s.frame_end = 1, 4
s.render.engine = "CYCLES"
s.cycles.device = "CPU"
s.cycles.samples = 16
s.cycles.seed = 1
s.cycles.use_denoising = False
s.render.resolution_x, s.render.resolution_y, s.render.resolution_percentage = 240, 180, 100
w = bpy.data.worlds.new("sky"); w.color = (0.05, 0.07, 0.12); s.world = w
bpy.ops.mesh.primitive_plane_add(size=20)
for i in range(5):
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.6, location=(2.5 * math.cos(i * 1.2566), 2.5 * math.sin(i * 1.2566), 0.6))
    o = bpy.context.object
    o.location.z = 0.6
    o.keyframe_insert("location", frame=1)
    o.location.z = 1.6
    o.keyframe_insert("location", frame=4)
bpy.ops.mesh.primitive_monkey_add(location=(0, 0, 1))
bpy.ops.object.light_add(type="SUN", location=(4, -4, 8))
bpy.context.object.data.energy = 4
bpy.ops.object.camera_add(location=(0, -9, 5), rotation=(math.radians(62), 0, 0))
s.camera = bpy.context.object
bpy.ops.wm.save_as_mainfile(filepath=out)
`
