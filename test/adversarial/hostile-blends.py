# Writes the hostile .blend files of test/adversarial/sandbox-scenes.test.ts, one per directory:
#   blender -b --factory-startup --python hostile-blends.py -- OUT_DIR PRIVATE_DIR
# fileout/  a compositor File Output node writing into PRIVATE_DIR
# image/    a plane textured with PRIVATE_DIR/secret.png by absolute path
# python/   a registered text block and a scripted driver that each write a file into PRIVATE_DIR
import bpy, os, sys

out, private = sys.argv[sys.argv.index('--') + 1:][:2]
scene = bpy.context.scene
scene.render.engine = 'CYCLES'
scene.cycles.samples = 1
scene.cycles.use_denoising = False
scene.frame_start, scene.frame_end = 1, 1

def save(name):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(out, name, 'scene.blend'), copy=True)

scene.use_nodes = True
tree = scene.node_tree
file_output = tree.nodes.new('CompositorNodeOutputFile')
file_output.name = 'Leak'
file_output.base_path = os.path.join(private, 'fileout') + '/'
tree.links.new(tree.nodes['Render Layers'].outputs['Image'], file_output.inputs[0])
save('fileout')
tree.nodes.remove(file_output)
scene.use_nodes = False

material = bpy.data.materials.new('Secret')
material.use_nodes = True
texture = material.node_tree.nodes.new('ShaderNodeTexImage')
texture.image = bpy.data.images.load(os.path.join(private, 'secret.png'))
texture.image.name = 'secret.png'
bsdf = material.node_tree.nodes['Principled BSDF']
material.node_tree.links.new(texture.outputs['Color'], bsdf.inputs['Base Color'])
bpy.data.objects['Cube'].data.materials.append(material)
save('image')
bpy.data.objects['Cube'].data.materials.clear()
bpy.data.materials.remove(material)
bpy.data.images.remove(bpy.data.images['secret.png'])

text = bpy.data.texts.new('startup.py')
text.write("open(%r, 'w').write('text block ran')\n" % os.path.join(private, 'pwned-text.txt'))
text.use_module = True
driver = bpy.data.objects['Cube'].driver_add('location', 0).driver
driver.type = 'SCRIPTED'
driver.expression = "__import__('builtins').open(%r, 'w').write('driver ran') * 0" % os.path.join(private, 'pwned-driver.txt')
save('python')
