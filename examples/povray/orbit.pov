// Planets orbiting a chrome sphere over a checkered floor while the camera swings round: one
// orbit and a quarter turn of the camera as `clock` goes 0..1 over the frame range (+KFI/+KFF).
#version 3.7;
#include "colors.inc"
#include "orbit-materials.inc"

global_settings { assumed_gamma 1.0 max_trace_level 6 }

camera {
  location <0, 4.5 - 1.5 * clock, -11>
  rotate y * 90 * clock
  look_at <0, 0.8, 0>
  angle 48
}
// No `jitter` on the area light: POV-Ray draws its jitter per render thread, so the pixels
// would change with the thread count and from run to run, and pixel-hash checks would fail.
light_source { <-8, 12, -10> rgb 1.1 area_light <2, 0, 0>, <0, 0, 2>, 3, 3 adaptive 1 }
light_source { <9, 6, -4> rgb 0.35 shadowless }
sky_sphere { pigment { gradient y color_map { [0 rgb <0.6, 0.7, 0.9>] [1 rgb <0.1, 0.2, 0.5>] } } }

plane { y, 0 texture { Checker } }
sphere { <0, 1.6, 0>, 1.6 texture { Chrome } }

#declare Planets = 5;
#declare I = 0;
#while (I < Planets)
  #declare Angle = 360 * (clock + I / Planets);
  #declare Radius = 3.2 + 0.5 * I;
  #declare Height = 0.55 + 0.6 * abs(sin(radians(Angle * 2 + I * 40)));
  sphere {
    <Radius * cos(radians(Angle)), Height, Radius * sin(radians(Angle))>, 0.45 + 0.06 * I
    Planet(I * 360 / Planets)
  }
  #declare I = I + 1;
#end

torus { 2.6, 0.06 rotate <8, 0, 0> translate <0, 1.6, 0> texture { Chrome } }
